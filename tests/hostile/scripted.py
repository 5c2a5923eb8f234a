"""Small scripted servers for the hostile-server suite, and a way to run pmdash under them.

Each server is raw asyncio sockets on 127.0.0.1 in a daemon thread of its own (the process
under test is a subprocess, so the server keeps serving while the test waits for it). A server
is one coroutine ``handle(reader, writer)`` per connection: it can answer HTTP as badly as a
test needs. ``run_pmdash`` runs the command line and reports its exit code, output, wall time
and peak memory (``vm_hwm_kb``, polled while it runs).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

from websockets.asyncio.server import ServerConnection

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.contextmanager
def serve(handle: Handler) -> Iterator[int]:
    """Serve ``handle`` on a free loopback port in a thread; yield the port."""
    ready: concurrent.futures.Future[tuple[asyncio.AbstractEventLoop, asyncio.Event, int]] = (
        concurrent.futures.Future()
    )

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(
            OSError, asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError
        ):
            await handle(reader, writer)
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()

    async def body() -> None:
        server = await asyncio.start_server(guarded, "127.0.0.1", 0)
        stop = asyncio.Event()
        ready.set_result((asyncio.get_running_loop(), stop, server.sockets[0].getsockname()[1]))
        async with server:
            await stop.wait()

    thread = threading.Thread(target=lambda: asyncio.run(body()), daemon=True)
    thread.start()
    loop, stop, port = ready.result(timeout=10)
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)


async def read_request(reader: asyncio.StreamReader) -> str:
    """The request line's target (headers read and dropped)."""
    head = await reader.readuntil(b"\r\n\r\n")
    return head.split(b" ", 2)[1].decode()


def http_answer(body: bytes, status: str = "200 OK") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def gamma_market(i: int, question: str | None = None) -> dict[str, object]:
    """One Gamma market object, as the real API spells it."""
    return {
        "id": str(i),
        "question": question if question is not None else f"Market number {i}?",
        "conditionId": f"0x{i:064x}",
        "slug": f"market-{i}",
        "outcomes": '["Yes", "No"]',
        "outcomePrices": '["0.5", "0.5"]',
        "clobTokenIds": json.dumps([str(10**20 + 2 * i), str(10**20 + 2 * i + 1)]),
        "active": True,
        "closed": False,
        "enableOrderBook": True,
        "orderPriceMinTickSize": 0.01,
    }


@dataclass
class Ran:
    code: int
    out: str
    err: str
    seconds: float
    peak_mb: float


def run_pmdash(
    *args: str,
    timeout: float = 30.0,
    env: dict[str, str] | None = None,
    stdout: int | None = subprocess.PIPE,
    pass_fds: tuple[int, ...] = (),
    preexec_fn: Callable[[], None] | None = None,
    until: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Ran:
    """Run ``python -m pmdash ARGS``; its wall time and peak resident memory (MB)."""
    full_env = {**os.environ, "PMDASH_CONFIG": "", "NO_COLOR": "1", **(env or {})}
    for name in ("PMDASH_BASE_URL", "http_proxy", "https_proxy", "all_proxy",
                 "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        if env is None or name not in env:
            full_env.pop(name, None)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmdash", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=full_env,
        pass_fds=pass_fds,
        preexec_fn=preexec_fn,
    )
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []

    def drain(stream: object, into: list[bytes]) -> None:
        assert hasattr(stream, "read")
        for chunk in iter(lambda: stream.read(65536), b""):
            into.append(chunk)

    readers = [threading.Thread(target=drain, args=(proc.stderr, err_chunks), daemon=True)]
    if proc.stdout is not None:
        readers.append(threading.Thread(target=drain, args=(proc.stdout, out_chunks),
                                        daemon=True))
    for reader in readers:
        reader.start()
    if until is not None:
        until(proc)
    deadline = started + timeout
    peak_kb = 0
    while True:
        peak_kb = max(peak_kb, vm_hwm_kb(proc.pid))
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, _ = os.wait4(proc.pid, 0)
            break
        time.sleep(0.01)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(timeout=5)
    return Ran(
        code=proc.returncode,
        out=b"".join(out_chunks).decode("utf-8", "replace"),
        err=b"".join(err_chunks).decode("utf-8", "replace"),
        seconds=seconds,
        peak_mb=peak_kb / 1024,
    )


def vm_hwm_kb(pid: int) -> int:
    """The peak resident memory of a running process (``VmHWM``, kB); 0 once it is gone.

    Not ``wait4``'s ``ru_maxrss``: a child started from this process by fork or vfork counts
    this process's resident memory at its ``exec``, so every child of a big test process would
    seem big. ``VmHWM`` is the high-water mark of the child's own address space, kept from
    its ``exec`` on; polled until the child exits, the last reading holds its peak up to the
    poll before the end."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


WsHandler = Callable[[ServerConnection], Awaitable[None]]


@contextlib.contextmanager
def serve_exchange_like(
    on_socket: WsHandler, routes: dict[str, bytes] | None = None
) -> Iterator[int]:
    """A server laid out like the embedded exchange (for ``--base-url``): ``routes`` answers
    plain HTTP GETs by path prefix (``/markets``: a Gamma body), every WebSocket goes to
    ``on_socket``. The websockets library in a thread of its own; yields the port."""
    from http import HTTPStatus

    from websockets.asyncio.server import serve as ws_serve
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    answers = routes or {}
    ready: concurrent.futures.Future[tuple[asyncio.AbstractEventLoop, asyncio.Event, int]] = (
        concurrent.futures.Future()
    )

    def process_request(conn: ServerConnection, request: object) -> Response | None:
        path = str(getattr(request, "path", ""))
        for prefix, body in answers.items():
            if path.startswith(prefix):
                headers = Headers([("Content-Type", "application/json"),
                                   ("Content-Length", str(len(body))),
                                   ("Connection", "close")])
                return Response(HTTPStatus.OK, "OK", headers, body)
        return None

    async def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            await on_socket(ws)

    async def body() -> None:
        async with ws_serve(handler, "127.0.0.1", 0, process_request=process_request,
                            max_size=None) as server:
            stop = asyncio.Event()
            port = next(iter(server.sockets)).getsockname()[1]
            ready.set_result((asyncio.get_running_loop(), stop, port))
            await stop.wait()
            server.close(close_connections=False)
            for conn in list(server.connections):
                conn.transport.abort()

    thread = threading.Thread(target=lambda: asyncio.run(body()), daemon=True)
    thread.start()
    loop, stop, port = ready.result(timeout=10)
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)


def new_market_frame(i: int) -> str:
    """A ``new_market`` announcement of market ``i`` (as ``gamma_market(i)`` names it)."""
    return json.dumps({
        "event_type": "new_market",
        "id": str(i),
        "question": f"Flooded market {i}?",
        "market": f"0x{i:064x}",
        "slug": f"flood-{i}",
        "assets_ids": [str(10**20 + 2 * i), str(10**20 + 2 * i + 1)],
        "outcomes": ["Yes", "No"],
        "timestamp": str(1_700_000_000_000 + i),
    })



async def subscribed_then(ws: ServerConnection, frames: AsyncIterator[str]) -> None:
    """Wait for the subscription, answer PINGs, and send what ``frames`` yields."""
    await ws.recv()

    async def pong() -> None:
        async for message in ws:
            if message == "PING":
                await ws.send("PONG")

    ponger = asyncio.create_task(pong())
    try:
        async for frame in frames:
            await ws.send(frame)
        await ponger
    finally:
        ponger.cancel()


async def new_market_flood(count: int = 1_000_000) -> AsyncIterator[str]:
    """``new_market`` frames as fast as the socket takes them (yielding every 200)."""
    for i in range(1, count):
        yield new_market_frame(i)
        if i % 200 == 0:
            await asyncio.sleep(0)


async def garbage_frames(rate: float) -> AsyncIterator[str]:
    """Unreadable frames (not JSON), ``rate`` a second."""
    started = time.monotonic()
    for i in range(1, 10**9):
        yield f"{{not json {i} " + "x" * 200
        ahead = i / rate - (time.monotonic() - started)
        if ahead > 0:
            await asyncio.sleep(ahead)
