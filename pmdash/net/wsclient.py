"""The WebSocket client: the websockets library's sans-I/O ``ClientProtocol`` (opening
handshake, framing, masking, control frames, size limits, close handshake) driven by a lean
asyncio ``Protocol``, so every message of a socket read is handed synchronously to one
callback (no task or future per frame).

    ws = await connect("wss://host/path", headers={...}, max_size=2**24)
    ws.start(on_message)          # messages flow from here on, in order
    ws.send("PING")
    reason = await ws.wait_closed()

What pmdash adds around the library: text messages decoded as UTF-8 when whole (the sans-I/O
layer hands out frames, not messages), bounded reads, a bound on unsent data (a server that
stops reading while it makes us answer its PINGs is not allowed to grow our memory), protocol
keepalive pings, the proxy tunnel (``proxy.py``), and error texts that never quote a header
value or a proxy credential. No extension is offered, no subprotocol, no redirect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import ssl
import sys
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from websockets.client import ClientProtocol
from websockets.exceptions import (
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
    NegotiationError,
)
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.uri import WebSocketURI

from pmdash import __version__
from pmdash.net.proxy import Proxy, open_tunnel, proxy_for

OnMessage = Callable[[str | bytes], None]

_READ_SIZE = 16 * 1024
"""Bytes read per socket callback (asyncio's selector transports read up to 256 KiB): every
message of a read is parsed and dispatched in that one callback, so a smaller read keeps a
burst from holding the event loop (timers, screen updates) for several milliseconds. At
50,000 msg/s, 32 KiB reads (about 1.5 ms of decoding each) put the loop's lag p99 at
4.3-6.6 ms; 16 KiB at 3.5-4.8 ms, for no CPU that the runs could tell apart."""
WRITE_LIMIT = 1 << 20
"""Unsent bytes past which reading stops (a client of a market feed sends little: pings,
pongs, subscriptions; a megabyte waiting means the server is not reading)."""
WRITE_STALL_S = 5.0
"""Seconds over ``WRITE_LIMIT`` before the connection is dropped."""
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
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")
_QUIET = logging.getLogger("pmdash.net.wsclient.protocol")
"""The library's logger for our connections: it would log the handshake's headers (our
credentials) at DEBUG and its own tracebacks to stderr (under the dashboard's screen). Off."""
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
_QUIET.setLevel(logging.CRITICAL + 1)
_TEXT, _BINARY, _CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT
_PONG, _CLOSE = Opcode.PONG, Opcode.CLOSE
_OPEN, _CLOSED = State.OPEN, State.CLOSED


class InvalidURL(ValueError):
    """The URL is not a usable ws:// or wss:// URL."""


class HeaderError(ValueError):
    """An additional handshake header cannot be sent (its value is never named)."""


class HandshakeRejected(Exception):
    """The server answered the upgrade with an HTTP status other than 101.

    ``retry_after``: the seconds its ``Retry-After`` header asked for (429, 503), if any.
    ``body``: the start of the answer's body (printable, at most 200 characters): often the
    server's own reason (``{"error": "unknown API key"}``)."""

    def __init__(
        self, status: int, reason: str, retry_after: float | None = None, body: str = ""
    ) -> None:
        super().__init__(f"HTTP {status} {reason}".rstrip())
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        self.body = body


class HandshakeFailed(Exception):
    """The server's answer is not a valid WebSocket upgrade."""


def parse_url(url: str) -> WebSocketURI:
    """Check a ws:// or wss:// URL; raises :class:`InvalidURL` (whose text never quotes the
    URL: it may hold credentials)."""
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
    port = (443 if secure else 80) if port is None else port
    return WebSocketURI(secure, host, port, parts.path, parts.query)


def handshake(
    uri: WebSocketURI, headers: Mapping[str, str] | None, max_size: int | None
) -> tuple[ClientProtocol, Request]:
    """The library's protocol object and its upgrade request with ``headers`` added; raises
    :class:`HeaderError` (naming the header, never its value) for one that cannot be sent."""
    protocol = ClientProtocol(uri, max_size=max_size, logger=_QUIET)
    request = protocol.connect()
    extra = dict(headers or {})
    if not any(name.lower() == "user-agent" for name in extra if isinstance(name, str)):
        request.headers["User-Agent"] = _USER_AGENT
    for name, value in extra.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise HeaderError("a handshake header has an invalid name")
        if name.lower() in _RESERVED:
            raise HeaderError(f"handshake header {name} is set by the WebSocket client itself")
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise HeaderError(f"handshake header {name} has an invalid value")
        request.headers[name] = value
    return protocol, request


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
    write_limit: int = WRITE_LIMIT,
    write_stall: float = WRITE_STALL_S,
) -> WsClient:
    """Open a WebSocket: TCP (through a proxy's tunnel if there is one; TLS for wss://), then
    the upgrade, all within ``open_timeout``. ``proxy``: ``True`` the one the environment sets
    for ``url`` (``proxy.proxy_for``), ``False`` none, or that one. Past ``write_limit``
    unsent bytes reading stops; still past it after ``write_stall`` s, the socket is dropped.

    Raises :class:`InvalidURL`, :class:`HeaderError`, :class:`HandshakeRejected`,
    :class:`HandshakeFailed`, ``proxy.ProxyConfigError``, ``TimeoutError``, ``ssl.SSLError`` or
    ``OSError`` (``proxy.ProxyError`` among them). Messages are held (reading paused) until
    :meth:`WsClient.start`.
    """
    uri = parse_url(url)
    via = proxy_for(url) if proxy is True else (proxy if isinstance(proxy, Proxy) else None)
    protocol, request = handshake(uri, headers, max_size)
    loop = asyncio.get_running_loop()
    client = WsClient(
        loop,
        protocol,
        request,
        close_timeout=close_timeout,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        write_limit=write_limit,
        write_stall=write_stall,
    )
    tls = (ssl_context or _tls_context()) if uri.secure else None
    try:
        async with asyncio.timeout(open_timeout):
            server_hostname = uri.host if tls is not None else None
            if via is None:
                await loop.create_connection(
                    lambda: client, uri.host, uri.port, ssl=tls, server_hostname=server_hostname
                )
            else:
                sock = await open_tunnel(via, uri.host, uri.port)
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
        protocol: ClientProtocol,
        request: Request,
        *,
        close_timeout: float,
        ping_interval: float | None,
        ping_timeout: float | None,
        write_limit: int,
        write_stall: float,
    ) -> None:
        self._loop = loop
        self._proto = protocol
        self._request = request
        self._close_timeout = close_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._write_limit = write_limit
        self._write_stall = write_stall
        self._transport: asyncio.Transport | None = None
        self._on_message: OnMessage | None = None
        self._held: list[str | bytes] = []
        """Messages that arrived before :meth:`start`."""
        self._halted = False
        """Deliver nothing more (aborted, failed, or closing by our choice)."""
        self._fragments: list[bytes | bytearray | memoryview] = []
        self._fragmented_text = False
        self._wait_start = True
        self._writes_full = False
        self._reading = True
        self._opened: asyncio.Future[None] = loop.create_future()
        self._closed: asyncio.Future[str] = loop.create_future()
        self._reason: str | None = None
        self._ping_payload: bytes | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None
        self._abort_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        self.close_code: int | None = None
        """The code of the server's close frame (1005 for none in it), once received."""
        self.close_reason = ""
        """The reason text of the server's close frame, once received."""

    # --- public API -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Open and not closing: :meth:`send` writes."""
        return self._proto.state is _OPEN and self._transport is not None

    def start(self, on_message: OnMessage) -> None:
        """Deliver every message to ``on_message`` from now on (held ones first, at once)."""
        if self._on_message is not None:
            raise RuntimeError("start() was already called")
        self._on_message = on_message
        held, self._held = self._held, []
        for message in held:
            self._deliver(message)
        self._wait_start = False
        if self._ping_interval is not None and self.is_open:
            self._ping_timer = self._loop.call_later(self._ping_interval, self._send_ping)
        self._update_reading()

    def send(self, message: str | bytes) -> None:
        """Write one message (text for ``str``) at once; dropped unless the socket is open."""
        if self._proto.state is not _OPEN or self._transport is None:
            return
        if isinstance(message, str):
            self._proto.send_text(message.encode())
        else:
            self._proto.send_binary(message)
        self._flush()

    def halt(self) -> None:
        """Hand out no more messages (the socket stays as it is)."""
        self._halted = True

    async def close(
        self,
        code: int = CloseCode.NORMAL_CLOSURE,
        reason: str = "",
        *,
        timeout: float | None = None,
    ) -> None:
        """Closing handshake: send a close frame, wait up to ``timeout`` (default
        ``close_timeout``) for the server's, then drop the TCP connection. Messages that
        arrive meanwhile are dropped: the caller is done with this socket."""
        self._halted = True
        if self.is_open:
            self._end_reason("closed by the client")
            self._proto.send_close(code, reason)
            self._flush()
        if not self._closed.done():
            wait = self._close_timeout if timeout is None else min(timeout, self._close_timeout)
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), wait)
            except TimeoutError:
                self.abort()
        await asyncio.shield(self._closed)

    def abort(self) -> None:
        """Drop the TCP connection now, without a closing handshake."""
        self._end_reason("aborted by the client")
        self._halted = True
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
        transport.set_write_buffer_limits(high=self._write_limit)
        self._proto.send_request(self._request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        proto = self._proto
        proto.receive_data(data)
        events = proto.events_received()
        self._flush()  # pongs and a close echo, before the messages are handled
        on_message = self._on_message
        for event in events:
            # The common case inline (a whole text message, delivering): saves three calls
            # a frame over the general path below.
            if (
                type(event) is Frame
                and event.opcode is _TEXT
                and event.fin
                and on_message is not None
                and not self._wait_start
                and not self._halted
            ):
                try:
                    message = str(event.data, "utf-8")
                except UnicodeDecodeError:
                    self._on_frame(event)  # says why and fails the connection
                    continue
                try:
                    on_message(message)
                except Exception as exc:
                    self._fail(
                        CloseCode.INTERNAL_ERROR, "", f"message handler raised {exc_text(exc)}"
                    )
            elif type(event) is Frame:
                self._on_frame(event)
            else:
                assert isinstance(event, Response)
                self._on_response(event)
        self._after_receive()

    def eof_received(self) -> bool | None:
        self._proto.receive_eof()
        for event in self._proto.events_received():
            if isinstance(event, Response):
                self._on_response(event)
        self._after_receive()
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        with contextlib.suppress(Exception):  # whatever the library says, the socket is gone
            self._proto.receive_eof()
            for event in self._proto.events_received():
                if isinstance(event, Response):  # an error answer read to the end of the stream
                    self._on_response(event)
        self._halted = True
        for timer in (self._ping_timer, self._pong_timer, self._abort_timer, self._stall_timer):
            if timer is not None:
                timer.cancel()
        if not self._opened.done():
            failure = self._proto.handshake_exc
            if failure is not None and not _ended_early(failure):
                self._opened.set_exception(_handshake_error(failure))
            else:
                text = "connection closed during the WebSocket handshake"
                self._opened.set_exception(ConnectionError(f"{text}: {exc}" if exc else text))
        if exc is not None:
            self._end_reason(f"connection closed: no close frame received ({exc_text(exc)})")
        else:
            self._end_reason("connection closed: no close frame received")
        if not self._closed.done():
            self._closed.set_result(self._reason or "")

    def pause_writing(self) -> None:
        self._writes_full = True
        self._update_reading()
        if self._stall_timer is None:
            self._stall_timer = self._loop.call_later(self._write_stall, self._write_stalled)

    def resume_writing(self) -> None:
        self._writes_full = False
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        self._update_reading()

    # --- inside -----------------------------------------------------------------------------

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is _TEXT or opcode is _BINARY:
            if frame.fin:
                self._message(frame.data, opcode is _TEXT)
            else:
                self._fragments = [frame.data]
                self._fragmented_text = opcode is _TEXT
        elif opcode is _CONT:
            self._fragments.append(frame.data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                self._message(data, self._fragmented_text)
        elif opcode is _PONG:
            if self._ping_payload is not None and frame.data == self._ping_payload:
                self._ping_payload = None
                if self._pong_timer is not None:
                    self._pong_timer.cancel()
                    self._pong_timer = None
        elif opcode is _CLOSE:
            received = self._proto.close_rcvd
            if received is not None:
                self.close_code, self.close_reason = received.code, received.reason
                self._end_reason(
                    f"server closed the connection: {received.code} {received.reason}".rstrip()
                )
        # PING: the library has queued the PONG already.

    def _message(self, data: bytes | bytearray | memoryview, text: bool) -> None:
        if self._halted:
            return
        if text:
            try:
                message: str | bytes = str(data, "utf-8")
            except UnicodeDecodeError as exc:
                self._fail(
                    CloseCode.INVALID_DATA,
                    f"invalid UTF-8 in a text message at byte {exc.start}",
                    f"protocol error: invalid UTF-8 in a text message (byte {exc.start})",
                )
                return
        else:
            message = bytes(data)
        if self._wait_start:
            self._held.append(message)
        else:
            self._deliver(message)

    def _deliver(self, message: str | bytes) -> None:
        if self._halted or self._on_message is None:
            return
        try:
            self._on_message(message)
        except Exception as exc:
            self._fail(CloseCode.INTERNAL_ERROR, "", f"message handler raised {exc_text(exc)}")

    def _on_response(self, response: Response) -> None:
        if self._opened.done():
            return
        failure = self._proto.handshake_exc
        if failure is None:
            self._opened.set_result(None)
            self._update_reading()  # messages are held until start()
        else:
            self._opened.set_exception(_handshake_error(failure))
            self._halted = True
            if self._transport is not None:
                self._transport.abort()

    def _after_receive(self) -> None:
        proto = self._proto
        if proto.state is _OPEN and proto.parser_exc is None and self._opened.done():
            return  # the common case: nothing ended
        if not self._opened.done():
            failure = proto.handshake_exc
            if failure is not None and not _ended_early(failure):
                self._opened.set_exception(_handshake_error(failure))
                self._halted = True
                if self._transport is not None:
                    self._transport.abort()
            return
        if proto.parser_exc is not None and self._reason is None:
            failure = proto.parser_exc
            if isinstance(failure, EOFError):
                self._end_reason("connection closed: no close frame received")
            else:
                self._end_reason(f"protocol error: {failure}")
            self._halted = True
        if proto.close_expected() or proto.state is _CLOSED:
            self._shut()

    def _fail(self, code: int, reason: str, why: str) -> None:
        """Fail the connection: close frame with ``code`` if still open, then drop TCP."""
        self._end_reason(why)
        self._halted = True
        self._proto.fail(code, reason)
        self._flush()
        self._shut()

    def _shut(self) -> None:
        """Close TCP after the queued writes, but never wait longer than close_timeout."""
        transport = self._transport
        if transport is None or self._closed.done():
            return
        transport.close()
        if self._abort_timer is None:
            self._abort_timer = self._loop.call_later(self._close_timeout, transport.abort)

    def _flush(self) -> None:
        transport = self._transport
        if transport is None:
            return
        for data in self._proto.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof() and not transport.is_closing():
                transport.write_eof()

    def _update_reading(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        want = not self._writes_full and not (self._wait_start and self._opened.done())
        if want and not self._reading:
            self._reading = True
            transport.resume_reading()
        elif not want and self._reading:
            self._reading = False
            transport.pause_reading()

    def _write_stalled(self) -> None:
        self._stall_timer = None
        size = self._transport.get_write_buffer_size() if self._transport is not None else 0
        self._end_reason(
            f"the server is not reading: {size // 1024} KiB unsent for {self._write_stall:g} s"
        )
        self.abort()

    def _abandon(self) -> None:
        """connect() gave up (timeout, cancellation, error): drop everything quietly."""
        if not self._opened.done():
            self._opened.cancel()
        elif not self._opened.cancelled():
            self._opened.exception()  # retrieved: no "never retrieved" warning
        self._halted = True
        if self._transport is not None:
            self._transport.abort()

    def _send_ping(self) -> None:
        self._ping_timer = None
        if not self.is_open:
            return
        assert self._ping_interval is not None
        self._ping_timer = self._loop.call_later(self._ping_interval, self._send_ping)
        if self._ping_payload is not None:
            return  # the last one is still unanswered; its own timeout runs
        self._ping_payload = os.urandom(4)
        self._proto.send_ping(self._ping_payload)
        self._flush()
        if self._ping_timeout is not None:
            self._pong_timer = self._loop.call_later(self._ping_timeout, self._pong_missed)

    def _pong_missed(self) -> None:
        self._pong_timer = None
        self._end_reason(f"no pong to a protocol ping within {self._ping_timeout:g} s")
        self.abort()

    def _end_reason(self, text: str) -> None:
        if self._reason is None:
            self._reason = text


def _ended_early(failure: Exception) -> bool:
    """The handshake failed because the stream ended before a whole answer."""
    return isinstance(failure, InvalidMessage) and isinstance(failure.__cause__, EOFError)


def _handshake_error(failure: Exception) -> Exception:
    """The library's handshake failure as one of ours, in words safe for a status line."""
    if isinstance(failure, InvalidStatus):
        response = failure.response
        reason = _UNPRINTABLE.sub("", response.reason_phrase)[:100].strip()
        body = (response.body or b"")[:800].decode("utf-8", "replace")
        return HandshakeRejected(response.status_code, reason, _retry_after(response),
                                 _UNPRINTABLE.sub(" ", body)[:200].strip())
    if isinstance(failure, InvalidMessage):
        return HandshakeFailed("the server's answer is not a valid HTTP/1.1 response")
    if isinstance(failure, NegotiationError):
        return HandshakeFailed(f"the server chose an extension or subprotocol: {failure}")
    if isinstance(failure, InvalidHandshake):
        text = _UNPRINTABLE.sub("", str(failure))[:200]
        return HandshakeFailed(f"invalid 101 answer: {text}")
    return HandshakeFailed(f"invalid 101 answer: {exc_text(failure)}")


def _retry_after(response: Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds only; an HTTP date is not honoured)."""
    values = response.headers.get_all("Retry-After")
    value = values[0].strip() if len(values) == 1 else ""
    if value.isdigit() and len(value) <= 9:
        return float(int(value))
    return None


def exc_text(exc: BaseException) -> str:
    """``Type: message`` of an exception, at most 200 characters, for a status line."""
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}"[:200] if text else name
