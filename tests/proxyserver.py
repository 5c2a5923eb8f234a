"""A tiny HTTP proxy on 127.0.0.1 for tests: ``CONNECT`` tunnels and absolute-form GETs.

It records each request line and its ``Proxy-Authorization`` header, can demand credentials
(407 without the right ones) or refuse every request with a status.

    async with ProxyServer(credentials=("u", "p")) as proxy:
        ws = await connect(url, proxy=proxy.proxy(username="u", password="p"))
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

from pmdash.net.proxy import Proxy


@dataclass
class Seen:
    request_line: str
    authorization: str | None


@dataclass
class ProxyServer:
    credentials: tuple[str, str] | None = None
    refuse: int | None = None
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def proxy(self, *, username: str = "", password: str = "") -> Proxy:
        return Proxy("127.0.0.1", self.port, "TEST_PROXY", username, password)

    async def __aenter__(self) -> ProxyServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        auth = headers.get("proxy-authorization")
        self.seen.append(Seen(lines[0], auth))
        if self.refuse is not None:
            writer.write(
                f"HTTP/1.1 {self.refuse} Refused\r\nContent-Length: 4\r\n\r\nnope".encode()
            )
            await writer.drain()
            return
        if self.credentials is not None:
            want = "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
            if auth != want:
                writer.write(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                )
                await writer.drain()
                return
        method, target, version = lines[0].split(" ", 2)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
        else:  # absolute form: forward in origin form, without the proxy's own headers
            parts = urlsplit(target)
            up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            kept = [
                line
                for line in lines[1:]
                if line and not line.lower().startswith(("proxy-authorization", "proxy-connection"))
            ]
            up_writer.write(
                ("\r\n".join([f"{method} {path} {version}", *kept]) + "\r\n\r\n").encode()
            )
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.write_eof()
