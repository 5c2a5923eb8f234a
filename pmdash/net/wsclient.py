"""A lean RFC 6455 client on an asyncio ``Protocol``: the opening handshake, then every frame
parsed in ``data_received`` and each message handed synchronously to one callback (no task or
future per frame).

    ws = await connect("wss://host/path", headers={...}, max_size=2**24)
    ws.start(on_message)          # messages flow from here on, in order
    ws.send("PING")
    reason = await ws.wait_closed()

No extension is offered (a server that forces one is refused), no subprotocol, no redirect.
The proxy the environment sets for the URL is used (an HTTP ``CONNECT`` tunnel, ``proxy.py``).
Handshake header values and proxy credentials never appear in an error message.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import ssl
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pmdash import __version__
from pmdash.net import wsframes
from pmdash.net.proxy import Proxy, open_tunnel, proxy_for
from pmdash.net.wsframes import FrameParser, OnMessage, ProtocolError

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_HEAD = 64 * 1024
_READ_SIZE = 16 * 1024
"""Bytes read per socket callback (asyncio's selector transports read up to 256 KiB): every
frame of a read is parsed and dispatched in that one callback, so a smaller read keeps a
burst from holding the event loop (timers, screen updates) for several milliseconds. At
50,000 msg/s, 32 KiB reads (about 1.5 ms of decoding each) put the loop's lag p99 at
4.3-6.6 ms; 16 KiB at 3.5-4.8 ms, for no CPU that the runs could tell apart."""
_USER_AGENT = f"Python/{sys.version_info.major}.{sys.version_info.minor} pmdash/{__version__}"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_RESERVED = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "content-length",
        "transfer-encoding",
    }
)
_REASON_CHARS = re.compile(r"[^\x20-\x7e]")

_CONNECTING, _OPEN, _CLOSING, _CLOSED = range(4)


class InvalidURL(ValueError):
    """The URL is not a usable ws:// or wss:// URL."""


class HeaderError(ValueError):
    """An additional handshake header cannot be sent (its value is never named)."""


class HandshakeRejected(Exception):
    """The server answered the upgrade with an HTTP status other than 101."""

    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status} {reason}".rstrip())
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        """Seconds from the answer's ``Retry-After`` (delay form), or None."""


class HandshakeFailed(Exception):
    """The server's 101 answer is not a valid WebSocket upgrade."""


@dataclass(frozen=True)
class Target:
    """Where a ws:// or wss:// URL points."""

    secure: bool
    host: str
    port: int
    resource: str
    host_header: str


def parse_url(url: str) -> Target:
    """Split a ws:// or wss:// URL; raises :class:`InvalidURL`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"cannot parse the URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss"):
        raise InvalidURL(f"scheme {scheme!r} isn't ws or wss")
    if parts.username is not None or parts.password is not None:
        raise InvalidURL("credentials in the URL are not supported")
    host = parts.hostname
    if not host:
        raise InvalidURL("no host")
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidURL("host name cannot be IDNA-encoded") from None
    secure = scheme == "wss"
    default = 443 if secure else 80
    port = default if port is None else port
    name = f"[{host}]" if ":" in host else host
    host_header = name if port == default else f"{name}:{port}"
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(secure, host, port, resource, host_header)


def build_request(target: Target, headers: Mapping[str, str] | None, key: str) -> bytes:
    """The HTTP/1.1 upgrade request; raises :class:`HeaderError` for an unsendable header."""
    extra = dict(headers or {})
    lines = [
        f"GET {target.resource} HTTP/1.1",
        f"Host: {target.host_header}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if not any(name.lower() == "user-agent" for name in extra):
        lines.append(f"User-Agent: {_USER_AGENT}")
    for name, value in extra.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise HeaderError("a handshake header has an invalid name")
        if name.lower() in _RESERVED:
            raise HeaderError(f"handshake header {name} is set by the WebSocket client itself")
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise HeaderError(f"handshake header {name} has an invalid value")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def accept_value(key: str) -> str:
    """The Sec-WebSocket-Accept a server must answer to ``key``."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()


def check_response(head: bytes, key: str) -> None:
    """Check the response head (without the blank line); raises on anything but a valid 101."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code_text, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or not (code_text.isdigit() and len(code_text) == 3):
        raise HandshakeFailed("the server's answer is not an HTTP/1.1 response")
    code = int(code_text)
    if code != 101:
        raise HandshakeRejected(code, _REASON_CHARS.sub("", reason)[:100].strip(),
                                _retry_after(lines[1:]))
    fields: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HandshakeFailed("malformed header line in the 101 answer")
        fields.setdefault(name.lower(), []).append(value.strip())
    if [v.lower() for v in fields.get("upgrade", [])] != ["websocket"]:
        raise HandshakeFailed("101 answer without Upgrade: websocket")
    tokens = {t.strip().lower() for v in fields.get("connection", []) for t in v.split(",")}
    if "upgrade" not in tokens:
        raise HandshakeFailed("101 answer without Connection: Upgrade")
    if fields.get("sec-websocket-accept") != [accept_value(key)]:
        raise HandshakeFailed("wrong Sec-WebSocket-Accept in the 101 answer")
    if "sec-websocket-extensions" in fields:
        raise HandshakeFailed("the server chose an extension the client did not offer")
    if "sec-websocket-protocol" in fields:
        raise HandshakeFailed("the server chose a subprotocol the client did not offer")


def _retry_after(lines: list[str]) -> float | None:
    """The delay of a ``Retry-After: <seconds>`` header line (capped at an hour), or None."""
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "retry-after" and value.strip().isdigit():
            return min(float(value.strip()), 3600.0)
    return None


_default_context: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    global _default_context
    if _default_context is None:
        _default_context = ssl.create_default_context()
    return _default_context


async def connect(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    open_timeout: float | None = 10.0,
    close_timeout: float = 2.0,
    max_size: int | None = 2**20,
    ping_interval: float | None = 20.0,
    ping_timeout: float | None = 20.0,
    ssl_context: ssl.SSLContext | None = None,
    proxy: Proxy | bool = True,
) -> WsClient:
    """Open a WebSocket: TCP (through a proxy's tunnel if there is one; TLS for wss://), then
    the upgrade, all within ``open_timeout``. ``proxy``: ``True`` the one the environment sets
    for ``url`` (``proxy.proxy_for``), ``False`` none, or that one.

    Raises :class:`InvalidURL`, :class:`HeaderError`, :class:`HandshakeRejected`,
    :class:`HandshakeFailed`, ``proxy.ProxyConfigError``, ``TimeoutError``, ``ssl.SSLError`` or
    ``OSError`` (``proxy.ProxyError`` among them). Messages are held (reading paused) until
    :meth:`WsClient.start`.
    """
    target = parse_url(url)
    via = proxy_for(url) if proxy is True else (proxy if isinstance(proxy, Proxy) else None)
    key = base64.b64encode(os.urandom(16)).decode()
    request = build_request(target, headers, key)
    loop = asyncio.get_running_loop()
    client = WsClient(
        loop,
        request=request,
        key=key,
        max_size=max_size,
        close_timeout=close_timeout,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
    )
    tls = (ssl_context or _tls_context()) if target.secure else None
    try:
        async with asyncio.timeout(open_timeout):
            server_hostname = target.host if tls is not None else None
            if via is None:
                await loop.create_connection(
                    lambda: client,
                    target.host,
                    target.port,
                    ssl=tls,
                    server_hostname=server_hostname,
                )
            else:
                sock = await open_tunnel(via, target.host, target.port)
                try:
                    await loop.create_connection(
                        lambda: client, sock=sock, ssl=tls, server_hostname=server_hostname
                    )
                except BaseException:
                    sock.close()
                    raise
            await client._opened
    except BaseException:
        client._abandon()
        raise
    return client


class WsClient(asyncio.Protocol):
    """One client connection. Create it with :func:`connect`."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        request: bytes,
        key: str,
        max_size: int | None,
        close_timeout: float,
        ping_interval: float | None,
        ping_timeout: float | None,
    ) -> None:
        self._loop = loop
        self._request = request
        self._key = key
        self._close_timeout = close_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._state = _CONNECTING
        self._transport: asyncio.Transport | None = None
        self._head = bytearray()
        self._pending: list[bytes] = []
        self._max_size = max_size
        self._started = False
        self._parser = FrameParser(_ignore, self._on_control, max_size)  # replaced by start()
        self._feed: Callable[[bytes], None] | None = None  # the parser's, once started
        self._opened: asyncio.Future[None] = loop.create_future()
        self._closed: asyncio.Future[str] = loop.create_future()
        self._reason: str | None = None
        self._ping_payload: bytes | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None
        self._abort_timer: asyncio.TimerHandle | None = None
        self.close_code: int | None = None
        """The code of the server's close frame (1005 for none in it), once received."""
        self.close_reason = ""
        """The reason text of the server's close frame, once received."""

    # --- public API -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Open and not closing: :meth:`send` writes."""
        return self._state == _OPEN

    def start(self, on_message: OnMessage) -> None:
        """Deliver every message to ``on_message`` from now on (held ones first, at once)."""
        if self._started:
            raise RuntimeError("start() was already called")
        self._started = True
        halted = self._parser.halted  # aborted or lost before start: deliver nothing
        self._parser = FrameParser(on_message, self._on_control, self._max_size)
        if halted:
            self._parser.halt()
        self._feed = self._parser.feed
        if self._ping_interval is not None and self._state == _OPEN:
            self._ping_timer = self._loop.call_later(self._ping_interval, self._send_ping)
        pending, self._pending = self._pending, []
        for chunk in pending:
            self.data_received(chunk)
        if self._transport is not None and self._state != _CLOSED:
            self._transport.resume_reading()

    def send(self, message: str | bytes) -> None:
        """Write one message (text for ``str``) at once; dropped unless the socket is open."""
        if self._state != _OPEN or self._transport is None:
            return
        if isinstance(message, str):
            frame = wsframes.encode_frame(wsframes.TEXT, message.encode())
        else:
            frame = wsframes.encode_frame(wsframes.BINARY, message)
        self._transport.write(frame)

    async def close(self, code: int = wsframes.NORMAL_CLOSURE, reason: str = "") -> None:
        """Closing handshake: send a close frame, wait up to ``close_timeout`` for the
        server's, then drop the TCP connection."""
        if self._state == _OPEN:
            self._end_reason("closed by the client")
            self._write_close(code, reason)
        if self._state != _CLOSED:
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), self._close_timeout)
            except TimeoutError:
                self.abort()
        await asyncio.shield(self._closed)

    def abort(self) -> None:
        """Drop the TCP connection now, without a closing handshake."""
        self._end_reason("aborted by the client")
        self._parser.halt()
        if self._state != _CLOSED:
            self._state = _CLOSING
        if self._transport is not None:
            self._transport.abort()

    async def wait_closed(self) -> str:
        """Wait until the connection is gone; why it ended, for a status line."""
        return await asyncio.shield(self._closed)

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if isinstance(getattr(transport, "max_size", None), int):
            transport.max_size = _READ_SIZE  # type: ignore[attr-defined]
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        feed = self._feed
        if feed is not None:
            try:
                feed(data)
            except ProtocolError as exc:
                self._fail(exc.code, exc.reason, f"protocol error: {exc.reason}")
            except Exception as exc:
                self._fail(wsframes.INTERNAL_ERROR, "", f"message handler raised {exc_text(exc)}")
        elif self._state == _CONNECTING:
            self._handshake_data(data)
        elif self._state != _CLOSED:
            self._pending.append(data)  # opened, not started: hold it and stop reading

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._state = _CLOSED
        self._parser.halt()
        for timer in (self._ping_timer, self._pong_timer, self._abort_timer):
            if timer is not None:
                timer.cancel()
        if not self._opened.done():
            text = "connection closed during the WebSocket handshake"
            self._opened.set_exception(ConnectionError(f"{text}: {exc}" if exc else text))
        if exc is not None:
            self._end_reason(f"connection closed: no close frame received ({exc_text(exc)})")
        else:
            self._end_reason("connection closed: no close frame received")
        if not self._closed.done():
            self._closed.set_result(self._reason or "")

    # --- inside -----------------------------------------------------------------------------

    def _handshake_data(self, data: bytes) -> None:
        head = self._head
        head += data
        end = head.find(b"\r\n\r\n")
        if end < 0:
            if len(head) > _MAX_HEAD:
                self._open_failed(HandshakeFailed("response head over 64 KiB"))
            return
        rest = bytes(head[end + 4 :])
        try:
            check_response(bytes(head[:end]), self._key)
        except (HandshakeRejected, HandshakeFailed) as exc:
            self._open_failed(exc)
            return
        self._head = bytearray()
        self._state = _OPEN
        if rest:
            self._pending.append(rest)
        assert self._transport is not None
        self._transport.pause_reading()  # until start()
        if not self._opened.done():
            self._opened.set_result(None)

    def _open_failed(self, exc: Exception) -> None:
        if not self._opened.done():
            self._opened.set_exception(exc)
        self._state = _CLOSING
        if self._transport is not None:
            self._transport.abort()

    def _abandon(self) -> None:
        """connect() gave up (timeout, cancellation, error): drop everything quietly."""
        if not self._opened.done():
            self._opened.cancel()
        elif not self._opened.cancelled():
            self._opened.exception()  # retrieved: no "never retrieved" warning
        if self._transport is not None:
            self._transport.abort()

    def _on_control(self, opcode: int, payload: bytes) -> None:
        if opcode == wsframes.PING:
            if self._state == _OPEN and self._transport is not None:
                self._transport.write(wsframes.encode_frame(wsframes.PONG, payload))
        elif opcode == wsframes.PONG:
            if self._ping_payload is not None and payload == self._ping_payload:
                self._ping_payload = None
                if self._pong_timer is not None:
                    self._pong_timer.cancel()
                    self._pong_timer = None
        else:
            code, reason = wsframes.parse_close(payload)
            self.close_code, self.close_reason = code, reason
            self._end_reason(f"server closed the connection: {code} {reason}".rstrip())
            if self._state == _OPEN:
                self._write_close(code, "")  # echo the code (RFC 6455 §5.5.1)
            self._shut()

    def _write_close(self, code: int, reason: str) -> None:
        self._state = _CLOSING
        if self._transport is not None:
            payload = wsframes.close_payload(code, reason)
            self._transport.write(wsframes.encode_frame(wsframes.CLOSE, payload))

    def _fail(self, code: int, reason: str, why: str) -> None:
        """Fail the connection: close frame with ``code`` if still open, then drop TCP."""
        self._end_reason(why)
        self._parser.halt()
        if self._state == _OPEN:
            self._write_close(code, reason)
        self._shut()

    def _shut(self) -> None:
        """Close TCP after the queued writes, but never wait longer than close_timeout."""
        if self._transport is None or self._state == _CLOSED:
            return
        self._state = _CLOSING
        self._transport.close()
        if self._abort_timer is None:
            self._abort_timer = self._loop.call_later(self._close_timeout, self._transport.abort)

    def _send_ping(self) -> None:
        self._ping_timer = None
        if self._state != _OPEN or self._transport is None:
            return
        assert self._ping_interval is not None
        self._ping_timer = self._loop.call_later(self._ping_interval, self._send_ping)
        if self._ping_payload is not None:
            return  # the last one is still unanswered; its own timeout runs
        self._ping_payload = os.urandom(4)
        self._transport.write(wsframes.encode_frame(wsframes.PING, self._ping_payload))
        if self._ping_timeout is not None:
            self._pong_timer = self._loop.call_later(self._ping_timeout, self._pong_missed)

    def _pong_missed(self) -> None:
        self._pong_timer = None
        self._end_reason(f"no pong to a protocol ping within {self._ping_timeout:g} s")
        self.abort()

    def _end_reason(self, text: str) -> None:
        if self._reason is None:
            self._reason = text


def _ignore(message: str | bytes) -> None:
    pass


def exc_text(exc: BaseException) -> str:
    """``Type: message`` of an exception, at most 200 characters, for a status line."""
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}"[:200] if text else name
