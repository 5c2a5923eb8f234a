"""pmdash's WebSocket client (websockets' sans-I/O ``ClientProtocol`` under pmdash's asyncio
``Protocol``) against real loopback servers: websockets' server, and a raw TCP server that
sends crafted bytes (every frame kind, split anywhere; every protocol error a server can make).

Frames the tests send as a server, and the client frames they read back, are built and parsed
here by hand, independently of the library.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import logging
import ssl
import struct
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from pmdash.net.connection import Connection
from pmdash.net.policy import FeedPolicy
from pmdash.net.wsclient import (
    HandshakeFailed,
    HandshakeRejected,
    HeaderError,
    InvalidURL,
    WsClient,
    connect,
    handshake,
    parse_url,
)
from tests.proxyserver import ProxyServer

pytestmark = pytest.mark.timeout(30)

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# --- frames built and read by hand ----------------------------------------------------------


def server_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool = False,
    long64: bool = False,
) -> bytes:
    """One server frame, built by hand (``long64``: 64-bit length even when shorter)."""
    b0 = (0x80 if fin else 0) | rsv | opcode
    bit = 0x80 if mask else 0
    n = len(payload)
    if long64 or n >= 65536:
        head = bytes((b0, bit | 127)) + struct.pack("!Q", n)
    elif n >= 126:
        head = bytes((b0, bit | 126)) + struct.pack("!H", n)
    else:
        head = bytes((b0, bit | n))
    if not mask:
        return head + payload
    key = b"\x01\x02\x03\x04"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def text(s: str, **kw: Any) -> bytes:
    return server_frame(0x1, s.encode(), **kw)


def close_frame(code: int, reason: str = "") -> bytes:
    return server_frame(0x8, struct.pack("!H", code) + reason.encode())


def client_frames(data: bytes) -> list[tuple[int, bytes]]:
    """Every complete client frame in ``data`` as (opcode, unmasked payload); all must be
    masked and final."""
    frames, pos = [], 0
    while len(data) - pos >= 2:
        b0, b1 = data[pos], data[pos + 1]
        assert b1 & 0x80, "client frame not masked"
        assert b0 & 0x80, "client frame not final"
        n, pos = b1 & 0x7F, pos + 2
        if n == 126:
            (n,), pos = struct.unpack_from("!H", data, pos), pos + 2
        elif n == 127:
            (n,), pos = struct.unpack_from("!Q", data, pos), pos + 8
        if len(data) < pos + 4 + n:
            break
        key, pos = data[pos : pos + 4], pos + 4
        frames.append((b0 & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(data[pos : pos + n]))))
        pos += n
    return frames


STREAM = b"".join(
    [
        text("hello"),
        text("é" * 100),  # 200 bytes: 16-bit length
        server_frame(0x2, bytes(range(256))),
        # "ü€" split inside both characters across three fragments, a ping in between
        server_frame(0x1, "ab\xfc".encode()[:3], fin=False),
        server_frame(0x9, b"p1"),
        server_frame(0x0, "\xfc€".encode()[1:3], fin=False),
        server_frame(0x0, "€z".encode()[1:], fin=True),
        text(""),
        server_frame(0xA, b"pong"),
        text("short", long64=True),
        text("last"),
    ]
)
EXPECTED = ["hello", "é" * 100, bytes(range(256)), "abü€z", "", "short", "last"]


# --- URL and request ------------------------------------------------------------------------


def test_parse_url() -> None:
    u = parse_url("wss://Example.com/ws/market?x=1")
    assert (u.secure, u.host, u.port, u.resource_name) == (
        True,
        "example.com",
        443,
        "/ws/market?x=1",
    )
    u = parse_url("ws://127.0.0.1:8080")
    assert (u.port, u.resource_name) == (8080, "/")
    u = parse_url("ws://[::1]:9000/p")
    assert (u.host, u.port) == ("::1", 9000)
    for bad, words in [
        ("http://127.0.0.1/ws", "scheme 'http'"),
        ("ws:///path", "no host"),
        ("ws://host:99999/", "cannot parse"),
        ("ws://user:pw@host/", "credentials"),
        ("not a url", "scheme ''"),
    ]:
        with pytest.raises(InvalidURL) as caught:
            parse_url(bad)
        assert words in str(caught.value)
        assert "pw" not in str(caught.value)


def test_request_headers_and_rejected_header_values() -> None:
    uri = parse_url("ws://127.0.0.1:1234/ws/user?a=b")
    _, req = handshake(uri, {"X-Sig": "s3cr3t", "User-Agent": "me"}, 2**20)
    request = req.serialize().decode()
    assert request.startswith("GET /ws/user?a=b HTTP/1.1\r\nHost: 127.0.0.1:1234\r\n")
    assert request.endswith("\r\n\r\n")
    assert "X-Sig: s3cr3t\r\n" in request and "User-Agent: me\r\n" in request
    assert request.count("User-Agent") == 1
    assert "Sec-WebSocket-Extensions" not in request
    _, req = handshake(parse_url("ws://host:80/"), None, None)
    assert "Host: host\r\n" in req.serialize().decode()  # the default port left out
    for headers in (
        {"X-Sig": "abc\r\nEvil: 1"},
        {"X-Sig": "abc\nsecret-tail"},
        {"Bad Name": "s3cr3t"},
        {"Sec-WebSocket-Extensions": "permessage-deflate"},
        {"Host": "elsewhere"},
    ):
        with pytest.raises(HeaderError) as caught:
            handshake(uri, headers, 2**20)
        for value in headers.values():
            assert value not in str(caught.value)
        assert "s3cr3t" not in str(caught.value) and "secret" not in str(caught.value)


# --- a raw loopback server for crafted bytes ------------------------------------------------


def upgrade(head: bytes, *, accept: str | None = None, extra: str = "") -> bytes:
    key = next(
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    if accept is None:
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n"
    ).encode()


class RawServer:
    """A loopback TCP server: reads the upgrade request, answers with ``answer(head)`` (or
    nothing when it returns None), then records every byte the client sends."""

    def __init__(self, answer: Callable[[bytes], bytes | None] = upgrade) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.received = bytearray()
        self.eof = False
        self.hang_up = False
        """Close the connection right after the answer."""
        self.writer: asyncio.StreamWriter | None = None
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/raw"

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        if self.writer is not None:
            self.writer.close()
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2.0)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests.append(head)
            self.writer = writer
            response = self.answer(head)
            if response is not None:
                writer.write(response)
            if self.hang_up:
                return
            while chunk := await reader.read(65536):
                self.received += chunk
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.eof = True
            writer.close()

    def send(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)

    def frames(self) -> list[tuple[int, bytes]]:
        return client_frames(bytes(self.received))


async def until(predicate: Callable[[], bool], seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def raw_client(
    answer: Callable[[bytes], bytes | None] = upgrade, **options: Any
) -> AsyncIterator[tuple[RawServer, WsClient, list[str | bytes]]]:
    async with RawServer(answer) as srv:
        options.setdefault("ping_interval", None)
        ws = await connect(srv.url, open_timeout=2.0, close_timeout=0.5, **options)
        got: list[str | bytes] = []
        ws.start(got.append)
        try:
            yield srv, ws, got
        finally:
            ws.abort()
            await asyncio.wait_for(ws.wait_closed(), 2.0)


async def test_request_on_the_wire() -> None:
    async with raw_client(headers={"X-Api-Key": "k1"}) as (srv, ws, _):
        head = srv.requests[0].decode()
        assert ws.is_open
    lines = head.split("\r\n")
    assert lines[0] == "GET /raw HTTP/1.1"
    fields = {
        k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    assert fields["host"] == f"127.0.0.1:{srv.port}"
    assert fields["upgrade"] == "websocket" and fields["connection"] == "Upgrade"
    assert fields["sec-websocket-version"] == "13"
    assert len(base64.b64decode(fields["sec-websocket-key"])) == 16
    assert fields["x-api-key"] == "k1"
    assert "sec-websocket-extensions" not in fields  # no permessage-deflate offered
    assert fields["user-agent"].startswith("Python/")


async def test_frames_in_the_handshake_packet_wait_for_start() -> None:
    async with RawServer(lambda head: upgrade(head) + text("early") + text("also")) as srv:
        ws = await connect(srv.url, ping_interval=None, close_timeout=0.3)
        await asyncio.sleep(0.05)
        got: list[str | bytes] = []
        ws.start(got.append)
        assert got == ["early", "also"]  # delivered at start(), in order
        srv.send(text("later"))
        await until(lambda: len(got) == 3)
        assert got[2] == "later"
        with pytest.raises(RuntimeError):
            ws.start(got.append)
        await ws.close()


async def test_fragmented_message_with_interleaved_ping_is_answered_and_whole() -> None:
    async with raw_client() as (srv, ws, got):
        srv.send(
            server_frame(0x1, b'{"a": ', fin=False)
            + server_frame(0x9, b"are you there")
            + server_frame(0x0, b'"\xc3', fin=False)
        )
        await until(lambda: (0xA, b"are you there") in srv.frames())
        assert got == []
        srv.send(server_frame(0x0, b'\xa9"}', fin=True) + text("after"))
        await until(lambda: len(got) == 2)
        assert got == ['{"a": "é"}', "after"]
        assert ws.is_open


async def test_a_stream_of_every_frame_kind_split_anywhere_comes_out_whole() -> None:
    """Lengths of 7, 16 and 64 bits, binary, UTF-8 split inside characters across fragments,
    control frames between fragments, an empty message: sent in pieces cut at odd places."""
    cuts = [0, 1, 3, 10, 150, 215, 480, 600, len(STREAM)]
    async with raw_client() as (srv, ws, got):
        for a, b in itertools.pairwise(cuts):
            srv.send(STREAM[a:b])
            await asyncio.sleep(0.01)
        await until(lambda: len(got) == len(EXPECTED))
        await until(lambda: (0xA, b"p1") in srv.frames())
        assert got == EXPECTED
        assert ws.is_open


async def test_64_bit_length_and_binary_messages() -> None:
    big = "y" * 70_000
    async with raw_client() as (srv, _, got):
        srv.send(text(big) + server_frame(0x2, b"\x00\x01") + text("tiny", long64=True))
        await until(lambda: len(got) == 3)
    assert got == [big, b"\x00\x01", "tiny"]


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (text("x" * 2000), 1009, "exceeds limit of 1000"),
        (server_frame(0x1, b"x" * 600, fin=False) + server_frame(0x0, b"x" * 401), 1009, "limit"),
        (text("hi", mask=True), 1002, "incorrect masking"),
        (server_frame(0x1, b"ok \xff"), 1007, "invalid UTF-8"),
        (server_frame(0x1, b"\xc3", fin=False) + server_frame(0x0, b"("), 1007, "invalid UTF-8"),
        (text("hi", rsv=0x40), 1002, "reserved bits"),
        (server_frame(0x5, b""), 1002, "invalid opcode"),
        (server_frame(0xB, b"x"), 1002, "invalid opcode"),
        (server_frame(0x9, b"x", fin=False), 1002, "fragmented control frame"),
        (server_frame(0x9, b"x" * 126), 1002, "control frame too long"),
        (server_frame(0x0, b"x"), 1002, "unexpected continuation"),
        (server_frame(0x1, b"a", fin=False) + text("b"), 1002, "expected a continuation"),
        (bytes((0x81, 127)) + struct.pack("!Q", 1 << 63), 1009, "limit"),
        (server_frame(0x8, b"\x03"), 1002, "close frame too short"),
        (close_frame(999), 1002, "invalid status code"),
        (close_frame(1005), 1002, "invalid status code"),
        (server_frame(0x8, struct.pack("!H", 1000) + b"\xff"), 1007, "invalid start byte"),
    ],
)
async def test_protocol_errors_close_with_a_code_and_a_clear_reason(
    data: bytes, code: int, words: str
) -> None:
    async with raw_client(max_size=1000) as (srv, ws, got):
        srv.send(text("before") + data + text("never"))
        reason = await asyncio.wait_for(ws.wait_closed(), 2.0)
        await until(lambda: srv.eof)
    assert got == ["before"]
    assert reason.startswith("protocol error: ") and words in reason
    frames = srv.frames()
    assert frames[-1][0] == 0x8
    sent_code, sent_reason = struct.unpack("!H", frames[-1][1][:2])[0], frames[-1][1][2:]
    assert sent_code == code
    assert words.encode() in sent_reason


async def test_server_close_is_echoed_and_reported() -> None:
    async with raw_client() as (srv, ws, got):
        srv.send(text("bye soon") + close_frame(1008, "policy violated") + text("ignored"))
        reason = await asyncio.wait_for(ws.wait_closed(), 2.0)
        await until(lambda: srv.eof)  # the client closed TCP after echoing
    assert reason == "server closed the connection: 1008 policy violated"
    assert (ws.close_code, ws.close_reason) == (1008, "policy violated")
    assert got == ["bye soon"]
    [(opcode, payload)] = srv.frames()  # the close echoed (the library echoes its reason too)
    assert opcode == 0x8 and payload[:2] == struct.pack("!H", 1008)


async def test_close_without_an_answer_gives_up_after_close_timeout() -> None:
    async with raw_client() as (srv, ws, _):
        started = time.monotonic()
        await asyncio.wait_for(ws.close(1000, "done"), 3.0)
        elapsed = time.monotonic() - started
        assert await ws.wait_closed() == "closed by the client"
        assert srv.frames() == [(0x8, struct.pack("!H", 1000) + b"done")]
        await until(lambda: srv.eof)
    assert 0.4 <= elapsed < 2.0  # close_timeout is 0.5 s
    ws.send("after close")  # dropped, no error


async def test_protocol_ping_unanswered_drops_the_connection() -> None:
    async with raw_client(ping_interval=0.05, ping_timeout=0.15) as (srv, ws, _):
        reason = await asyncio.wait_for(ws.wait_closed(), 2.0)
        pings = [f for f in srv.frames() if f[0] == 0x9]
    assert reason == "no pong to a protocol ping within 0.15 s"
    assert len(pings) == 1 and len(pings[0][1]) == 4  # one outstanding ping at a time


async def test_handler_exception_fails_the_connection_with_1011() -> None:
    async with RawServer() as srv:
        ws = await connect(srv.url, ping_interval=None)

        def explode(message: str | bytes) -> None:
            raise ValueError("boom")

        ws.start(explode)
        srv.send(text("x"))
        reason = await asyncio.wait_for(ws.wait_closed(), 2.0)
        await until(lambda: srv.eof)
    assert reason == "message handler raised ValueError: boom"
    assert srv.frames()[-1][1][:2] == struct.pack("!H", 1011)


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (lambda h: upgrade(h, accept="d3Jvbmc="), HandshakeFailed, "Sec-WebSocket-Accept"),
        (
            lambda h: upgrade(h, extra="Sec-WebSocket-Extensions: permessage-deflate\r\n"),
            HandshakeFailed,
            "extension",
        ),
        (lambda h: b"HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n\r\n", HandshakeFailed, "Upgrade"),
        (lambda h: b"SSH-2.0-OpenSSH\r\n\r\n", HandshakeFailed, "not a valid HTTP/1.1"),
        (lambda h: b"HTTP/1.1 429 Too Many Requests\r\n\r\n", HandshakeRejected, "HTTP 429"),
        (lambda h: b"", ConnectionError, "during the WebSocket handshake"),
    ],
)
async def test_bad_handshake_answers(
    answer: Callable[[bytes], bytes], error: type, words: str
) -> None:
    async with RawServer(answer) as srv:
        srv.hang_up = True
        with pytest.raises(error) as caught:
            await connect(srv.url, open_timeout=2.0)
        await until(lambda: srv.eof)
    assert words in str(caught.value)


async def test_server_that_never_answers_the_handshake_times_out() -> None:
    async with RawServer(lambda head: None) as srv:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await connect(srv.url, open_timeout=0.2)
        assert time.monotonic() - started < 1.5
        await until(lambda: srv.eof)  # the socket was closed, not leaked
        assert len(srv.requests) == 1


# --- against websockets' own server ---------------------------------------------------------


@contextlib.asynccontextmanager
async def ws_server(
    handler: Callable[[ServerConnection], Any], **options: Any
) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, **options) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws"


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def test_echo_against_websockets_server() -> None:
    messages: list[str | bytes] = ["hello", b"\x00bin", "ü" * 40_000, "", b"x" * 70_000, "end"]
    async with ws_server(echo, max_size=None, compression="deflate") as url:
        ws = await connect(url, max_size=None)
        got: list[str | bytes] = []
        ws.start(got.append)
        for message in messages:
            ws.send(message)
        await until(lambda: len(got) == len(messages))
        await asyncio.wait_for(ws.close(), 2.0)
    assert got == messages
    assert await ws.wait_closed() == "closed by the client"


async def test_keepalive_both_ways_with_websockets_server() -> None:
    conns: list[ServerConnection] = []

    async def hold(ws: ServerConnection) -> None:
        conns.append(ws)
        await ws.wait_closed()

    # The server pings every 50 ms and drops us without a pong within 500 ms; we ping too.
    async with ws_server(hold, ping_interval=0.05, ping_timeout=0.5) as url:
        ws = await connect(url, ping_interval=0.03, ping_timeout=0.5)
        ws.start(lambda message: None)
        await asyncio.sleep(0.6)
        assert ws.is_open
        assert conns[0].latency > 0  # the server saw our pongs
        await asyncio.wait_for(ws.close(), 2.0)
        await asyncio.wait_for(conns[0].wait_closed(), 2.0)
    assert conns[0].close_code == 1000


async def test_websockets_server_close_code_and_reason() -> None:
    async def kick(ws: ServerConnection) -> None:
        await ws.send("last words")
        await ws.close(4001, "kicked")

    async with ws_server(kick) as url:
        ws = await connect(url)
        got: list[str | bytes] = []
        ws.start(got.append)
        reason = await asyncio.wait_for(ws.wait_closed(), 2.0)
    assert got == ["last words"]
    assert reason == "server closed the connection: 4001 kicked"


async def test_handshake_403_from_websockets_server() -> None:
    def forbid(conn: ServerConnection, request: Request) -> Response:
        return conn.respond(HTTPStatus.FORBIDDEN, "no\n")

    async with ws_server(echo, process_request=forbid) as url:
        with pytest.raises(HandshakeRejected) as caught:
            await connect(url)
    assert (caught.value.status, caught.value.reason) == (403, "Forbidden")
    assert str(caught.value) == "HTTP 403 Forbidden"


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


@contextlib.asynccontextmanager
async def tls_server(cert: Path, key: Path) -> AsyncIterator[str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    async with ws_server(echo, ssl=context) as url:
        yield url.replace("ws://", "wss://")


async def test_wss_with_a_trusted_certificate(self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    async with tls_server(cert, key) as url:
        trusting = ssl.create_default_context(cafile=str(cert))
        ws = await connect(url, ssl_context=trusting)
        got: list[str | bytes] = []
        ws.start(got.append)
        ws.send("over tls")
        await until(lambda: got == ["over tls"])
        await asyncio.wait_for(ws.close(), 2.0)


async def test_wss_through_a_proxy_tunnel_checks_the_servers_certificate(
    self_signed: tuple[Path, Path],
) -> None:
    """TLS runs end to end inside the tunnel: the proxy sees only CONNECT and ciphertext."""
    cert, key = self_signed
    async with tls_server(cert, key) as url, ProxyServer() as proxy:
        trusting = ssl.create_default_context(cafile=str(cert))
        ws = await connect(url, ssl_context=trusting, proxy=proxy.proxy())
        got: list[str | bytes] = []
        ws.start(got.append)
        ws.send("tls in the tunnel")
        await until(lambda: got == ["tls in the tunnel"])
        await asyncio.wait_for(ws.close(), 2.0)
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(url, proxy=proxy.proxy())  # the default trust store: rejected
    assert [s.request_line.split()[0] for s in proxy.seen] == ["CONNECT", "CONNECT"]


async def test_wss_with_an_untrusted_certificate(self_signed: tuple[Path, Path]) -> None:
    async with tls_server(*self_signed) as url:
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(url)
        # The connection loop's classification: permanent, with the verifier's message.
        statuses: list[Any] = []
        policy = FeedPolicy(feed="t", url=url, decode=lambda f: [], retry_after_failure=False)
        conn = Connection(policy, lambda events, arrival: statuses.extend(events))
        await asyncio.wait_for(conn.run(), 5.0)
    assert conn.status().state == "failed"
    assert conn.status().detail.startswith("TLS certificate rejected: ")


# --- the connection loop's texts on this client ---------------------------------------------


def policy(url: str, **changes: Any) -> FeedPolicy:
    base = FeedPolicy(
        feed="t", url=url, decode=lambda f: [], heartbeat=None, silence_timeout=None,
        backoff_base=0.05, backoff_cap=0.1, jitter="none", open_timeout=1.0, close_timeout=0.5,
        retry_after_failure=False,
    )  # fmt: skip
    return replace(base, **changes)


async def test_connection_reports_a_server_close_and_a_protocol_error() -> None:
    async with RawServer(lambda head: upgrade(head) + close_frame(1008, "go away")) as srv:
        details: list[str] = []
        conn = Connection(policy(srv.url), lambda events, arrival: details.extend(
            e.detail for e in events if getattr(e, "state", "") == "backoff"))  # fmt: skip
        task = asyncio.ensure_future(conn.run())
        await until(lambda: bool(details))
        srv.answer = lambda head: upgrade(head) + text("x", mask=True)
        await until(lambda: len(details) >= 3)
        conn.stop()
        await asyncio.wait_for(task, 2.0)
    assert details[0] == "server closed the connection: 1008 go away"
    assert "protocol error: incorrect masking" in details[1:]


async def test_connection_header_errors_never_show_the_value() -> None:
    conn = Connection(
        policy("ws://127.0.0.1:9/x", headers=lambda: {"X-Sig": "top\r\nsecret"}),
        lambda events, arrival: None,
    )
    await asyncio.wait_for(conn.run(), 2.0)
    status = conn.status()
    assert status.state == "failed"
    assert (
        status.detail
        == "cannot build handshake headers: handshake header X-Sig has an invalid value"
    )
    assert "secret" not in status.detail


async def test_connection_handshake_texts() -> None:
    async with RawServer(
        lambda head: b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
    ) as srv:
        conn = Connection(policy(srv.url), lambda events, arrival: None)
        await asyncio.wait_for(conn.run(), 2.0)
        assert conn.status().detail == "handshake rejected: HTTP 403 Forbidden"
        srv.answer = lambda head: None
        conn = Connection(policy(srv.url, open_timeout=0.2), lambda events, arrival: None)
        task = asyncio.ensure_future(conn.run())
        await until(lambda: conn.state == "backoff")
        assert conn.status().detail == "no handshake within 0.2 s"
        conn.stop()
        await asyncio.wait_for(task, 2.0)
    conn = Connection(policy("wss://"), lambda events, arrival: None)
    await asyncio.wait_for(conn.run(), 2.0)
    assert conn.status().state == "failed" and conn.status().detail == "invalid URL: no host"


async def test_a_burst_is_parsed_a_bounded_read_at_a_time() -> None:
    """Every frame of one socket read is parsed in that callback: a burst already buffered by
    the kernel must still come in reads of a few dozen frames, with the loop running between
    them (timers, screen updates), not in one long callback."""
    async with raw_client() as (srv, ws, got):
        transport = ws._transport
        assert transport is not None
        transport.pause_reading()
        srv.send(b"".join(text(f"{i:04d}" + "x" * 1_000) for i in range(200)))  # ~200 KB
        await asyncio.sleep(0.2)  # the burst waits in the kernel's buffer
        seen: list[int] = []

        async def watch() -> None:  # runs once per loop iteration
            while len(got) < 200:
                seen.append(len(got))
                await asyncio.sleep(0)

        watcher = asyncio.ensure_future(watch())
        transport.resume_reading()
        await until(lambda: len(got) == 200)
        await watcher
        steps = [b - a for a, b in itertools.pairwise(seen)]
        assert max(steps) <= 24  # 16 KiB reads: about 16 frames of 1 KB each
        assert got[0].startswith("0000") and got[-1].startswith("0199")


async def test_handshake_headers_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Even with every logger at DEBUG, the library's protocol logs nothing of ours (it would
    log each handshake header)."""
    caplog.set_level(logging.DEBUG)
    async with raw_client(headers={"X-Sig": "s3cr3t-value"}) as (srv, ws, got):
        srv.send(text("hello"))
        await until(lambda: got == ["hello"])
        await ws.close()
    assert "s3cr3t" not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("pmdash.net")]
