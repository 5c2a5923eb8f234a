"""A tiny scriptable WebSocket server on 127.0.0.1 for connection-loop tests.

It records every connection (path, handshake headers, frames received), answers the text
``PING`` with ``PONG`` unless told not to, can stall (answer nothing), reject handshakes with
an HTTP status, push frames to clients and close connections.

    async with WsServer() as srv:
        conn = await srv.wait_connection(0)
        await conn.send('{"event_type": "book", ...}')
        await srv.wait_until(lambda: len(conn.received) >= 2)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

Reply = Callable[[str | bytes], list[str]]


@dataclass
class ServerConn:
    """One accepted client connection, as the server saw it."""

    ws: ServerConnection
    path: str
    headers: Headers
    received: list[str | bytes] = field(default_factory=list)
    received_at: list[float] = field(default_factory=list)
    closed: bool = False

    def texts(self) -> list[str]:
        return [m if isinstance(m, str) else m.decode() for m in self.received]

    def data_frames(self) -> list[str]:
        """Everything received except the text heartbeat ``PING``."""
        return [m for m in self.texts() if m != "PING"]

    async def send(self, frame: str | bytes) -> None:
        await self.ws.send(frame)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.ws.close(code, reason)

    def drop(self) -> None:
        """Cut the TCP connection without a closing handshake."""
        self.ws.transport.abort()


class WsServer:
    """A loopback WebSocket server whose behaviour tests change while it runs."""

    def __init__(self, path: str = "/ws/market", *, answer_ping: bool = True) -> None:
        self.path = path
        self.answer_ping = answer_ping
        self.stalled = False
        """While True the server sends nothing at all (no PONG, no replies)."""
        self.reject_status: int | None = None
        """When set, handshakes are refused with this HTTP status."""
        self.reply: Reply | None = None
        """Called for each non-heartbeat frame; the frames it returns are sent back."""
        self.connections: list[ServerConn] = []
        self.handshakes = 0
        self._server: Server | None = None
        self._changed = asyncio.Condition()
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}"

    async def __aenter__(self) -> WsServer:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            max_size=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 5.0)

    async def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        self.handshakes += 1
        await self._notify()
        if self.reject_status is not None:
            return conn.respond(HTTPStatus(self.reject_status), "rejected by test server\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        conn = ServerConn(ws=ws, path=ws.request.path, headers=ws.request.headers)
        self.connections.append(conn)
        await self._notify()
        loop = asyncio.get_running_loop()
        try:
            async for message in ws:
                conn.received.append(message)
                conn.received_at.append(loop.time())
                await self._notify()
                if self.stalled:
                    continue
                if message == "PING":
                    if self.answer_ping:
                        await ws.send("PONG")
                    continue
                if self.reply is not None:
                    for frame in self.reply(message):
                        await ws.send(frame)
        except ConnectionClosed:
            pass
        finally:
            conn.closed = True
            await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (checked on every server-side change)."""

        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(wait(), timeout)

    async def wait_connection(self, index: int, timeout: float = 5.0) -> ServerConn:
        """The ``index``-th connection (0-based), once it exists."""
        await self.wait_until(lambda: len(self.connections) > index, timeout)
        return self.connections[index]

    async def wait_frames(self, conn: ServerConn, count: int, timeout: float = 5.0) -> list[str]:
        """At least ``count`` non-heartbeat frames received on ``conn``."""
        await self.wait_until(lambda: len(conn.data_frames()) >= count, timeout)
        return conn.data_frames()
