"""One loopback port for every feed and REST endpoint of the embedded exchange.

Built on ``websockets.asyncio.server.serve``: ``process_request`` answers plain HTTP GETs
(REST, control, health) with JSON; requests for a feed's path go on to the WebSocket handshake
and then to that feed's handler. Feeds are pluggable: anything with ``feed_id``, ``path`` and
``async handle(ws)`` can be added with ``add_feed`` (the market channel is built in).

It listens on loopback only: its control API (``/sim/fault/*``, ``/sim/pause``) has no
authentication.
"""

from __future__ import annotations

import email.utils
import http
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from pmdash.loopback import is_loopback_host
from pmdash.sim.control import control_routes
from pmdash.sim.exchange import Exchange
from pmdash.sim.faults import Faults
from pmdash.sim.rest import Handler, Query, Reply, RestApi
from pmdash.sim.session import DEFAULT_MAX_QUEUE, SessionRegistry

HeaderHandler = Callable[[str, Query, Mapping[str, str]], Reply]
"""A REST handler that also reads the request headers (signed calls)."""
_WS_LOG = logging.getLogger("pmdash.sim.websockets")
_WS_LOG.setLevel(logging.INFO)
"""websockets logs every request header at DEBUG: the signed REST reads carry the passphrase
in one, so that level never reaches any handler."""
MAX_FRAME = 16 * 2**20
CLOSE_TIMEOUT_S = 2.0


class Feed(Protocol):
    """A WebSocket feed served at ``path`` (its id names it in the start-up line)."""

    feed_id: str
    path: str

    def handle(self, ws: ServerConnection) -> Awaitable[None]: ...


class CheckedFeed(Feed, Protocol):
    """A feed that checks the upgrade request first (signed headers): ``check_handshake``
    returns ``(status, body)`` to refuse it with that HTTP answer, or None to go on."""

    def check_handshake(self, request: Request) -> Reply | None: ...


def json_response(status: int, body: Any) -> Response:
    payload = json.dumps(body).encode()
    headers = Headers([
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Connection", "close"),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
    ])
    return Response(status, http.HTTPStatus(status).phrase, headers, payload)


class SimServer:
    """The exchange's network face: feeds by path, REST routes, sessions, faults."""

    def __init__(self, exchange: Exchange, *, max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self.exchange = exchange
        self.sessions = SessionRegistry()
        self.max_queue = max_queue
        self._feeds: dict[str, Feed] = {}
        self._routes: dict[str, Handler] = {}
        self._prefixes: dict[str, Handler] = {}
        self._header_routes: dict[str, HeaderHandler] = {}
        self._server: Server | None = None
        self.host = ""
        self.port = 0
        from pmdash.registry import FEEDS  # the registry's factories import the sim lazily

        for spec in FEEDS.values():
            if spec.sim_route is not None:
                self.add_feed(spec.sim_route(self))
        rest = RestApi(exchange)
        self._routes.update(rest.routes())
        self._prefixes.update(rest.prefixes())
        self.add_route("/health", self._health)
        self.faults = Faults(self)
        for path, handler in control_routes(self).items():
            self.add_route(path, handler)

    # --- registry ---------------------------------------------------------------------------

    def add_feed(self, feed: Feed) -> None:
        self._feeds[feed.path] = feed

    def feed(self, path: str) -> Feed | None:
        return self._feeds.get(path)

    def feeds(self) -> dict[str, str]:
        """Feed id -> path of every feed served."""
        return {f.feed_id: f.path for f in self._feeds.values()}

    def add_route(self, path: str, handler: Handler, *, prefix: bool = False) -> None:
        (self._prefixes if prefix else self._routes)[path] = handler

    def add_header_route(self, path: str, handler: HeaderHandler) -> None:
        """A route whose handler gets the request headers too (L2-signed REST)."""
        self._header_routes[path] = handler

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host`` (a loopback address, else ValueError) and ``port``."""
        if not is_loopback_host(host):
            raise ValueError(f"the sim listens on loopback only, not on {host!r}")
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._process_request,
            max_size=MAX_FRAME,
            compression=None,
            close_timeout=CLOSE_TIMEOUT_S,
            logger=_WS_LOG,
        )
        sock = self._server.sockets[0]
        self.host, self.port = sock.getsockname()[:2]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    def urls(self) -> dict[str, str]:
        """Feed id -> ws URL for every feed, plus the REST bases (rest, gamma, clob)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        base = f"http://{host}:{self.port}"
        urls = {fid: f"ws://{host}:{self.port}{path}" for fid, path in self.feeds().items()}
        urls.update(rest=base, gamma=base, clob=base)
        return urls

    # --- HTTP and WebSocket dispatch --------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        feed = self._feeds.get(parts.path)
        refused: Reply | None = None
        if feed is not None:
            check = getattr(feed, "check_handshake", None)
            refused = check(request) if check is not None else None
            if refused is None:
                return None  # go on with the WebSocket handshake
        # websockets aborts the TCP connection right after a non-101 response once the write
        # buffer is under its low-water mark: with both marks at 0 that means fully flushed,
        # so a slow reader still gets the whole body.
        connection.transport.set_write_buffer_limits(high=0)
        if refused is not None:
            return json_response(*refused)
        query: Query = parse_qs(parts.query, keep_blank_values=True)
        handler = self._routes.get(parts.path)
        signed = self._header_routes.get(parts.path)
        if signed is not None:
            handler = _with_headers(signed, request.headers)
        if handler is None:
            for prefix, candidate in self._prefixes.items():
                if parts.path.startswith(prefix):
                    handler = candidate
                    break
        if handler is None:
            return json_response(404, {"error": "not found"})
        try:
            status, body = handler(parts.path, query)
        except Exception as exc:  # a handler bug must not take the server down
            return json_response(500, {"error": f"{type(exc).__name__}: {exc}"})
        return json_response(status, body)

    async def _handle(self, ws: ServerConnection) -> None:
        path = urlsplit(ws.request.path).path if ws.request else ""
        feed = self._feeds.get(path)
        if feed is None:
            await ws.close(1008, "unknown path")
            return
        await feed.handle(ws)

    def _health(self, path: str, query: Query) -> Reply:
        return 200, {
            "status": "ok",
            "feeds": self.feeds(),
            "connections": self.sessions.counts(),
            "markets": len(self.exchange.sim_markets()),
            "paused": self.exchange.paused,
            "messages": self.exchange.messages,
            "seed": self.exchange.seed,
            "rate": self.exchange.rate,
        }



def _with_headers(handler: HeaderHandler, headers: Mapping[str, str]) -> Handler:
    def handle(path: str, query: Query) -> Reply:
        return handler(path, query, headers)

    return handle
