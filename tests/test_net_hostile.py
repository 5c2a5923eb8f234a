"""Servers that misbehave in ways the websockets library would not do on purpose, scripted on raw
asyncio sockets (loopback only), against the real client: ``pmdash tail`` in a subprocess where
the bound is the process's memory or its time to exit, the connection loop in-process where it
is what the status says.

- a server that floods protocol PINGs and never reads (every PING makes a PONG to write);
- a server that ignores our close frame (and keeps sending frames meanwhile);
- a server that hangs up during every handshake: "never went live" must name that cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from pmdash.models import Event, FeedStatus
from pmdash.net.connection import Connection
from pmdash.net.policy import FeedPolicy
from tests.test_net_wsclient import client_frames, server_frame, text, upgrade

pytestmark = pytest.mark.timeout(60)

PMDASH = [sys.executable, "-m", "pmdash"]
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def scripted(script: Script, *, answer: bool = True) -> AsyncIterator[str]:
    """A loopback server: reads each upgrade request, answers it with a valid 101 (unless
    ``answer`` is false: then it hangs up), then runs ``script`` on the connection."""
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if not answer:
                return
            writer.write(upgrade(head))
            await script(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            handlers.discard(task)
            writer.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/ws/market"
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


async def ping_flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """125-byte PINGs as fast as the socket takes them, a text PONG once a second; never
    reads a byte after the handshake."""
    burst = server_frame(0x9, b"p" * 125) * 256
    loop = asyncio.get_running_loop()
    pong_at = loop.time()
    while True:
        writer.write(burst)
        await writer.drain()
        if loop.time() >= pong_at:
            writer.write(text("PONG"))
            pong_at += 1.0


def peak_rss_kib(pid: int) -> int:
    """The process's high-water resident set (VmHWM) so far, or 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def run_tail(url: str, seconds: float) -> tuple[int, str, str, float, int]:
    """``pmdash tail market --url URL --quiet``: (exit code, stdout, stderr, wall time, peak
    RSS in KiB sampled every 50 ms)."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *PMDASH, "tail", "market", "--url", url, "--asset", "1", "--seconds", str(seconds),
        "--quiet", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    peak = 0
    communicate = asyncio.ensure_future(proc.communicate())
    while not communicate.done():
        peak = max(peak, peak_rss_kib(proc.pid))
        await asyncio.wait({communicate}, timeout=0.05)
    out, err = communicate.result()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode(), time.monotonic() - started, peak


def summary(out: str) -> dict[str, object]:
    line = out.strip().splitlines()[-1]
    parsed = json.loads(line)
    assert parsed["type"] == "summary"
    return dict(parsed)


async def test_a_ping_flood_from_a_server_that_never_reads_keeps_memory_bounded() -> None:
    """Before: every PONG was queued for writing with no bound (1.6 GB in 36 s; 188 MiB after
    8 s here). Now reading stops once 1 MiB waits to be sent, and the socket is dropped 5 s
    later (30 MiB peak here, most of it the interpreter and pmdash's imports)."""
    async with scripted(ping_flood) as url:
        code, out, err, wall, peak = await run_tail(url, 8.0)
    assert peak > 0
    assert peak < 80 * 1024, f"peak RSS {peak // 1024} MiB under the PING flood"
    assert wall < 8.0 + 5.0
    assert summary(out)["type"] == "summary", (code, err)


async def test_the_connection_says_why_it_dropped_a_server_that_never_reads() -> None:
    statuses: list[FeedStatus] = []

    def on_events(events: list[Event], arrival: float) -> None:
        statuses.extend(e for e in events if isinstance(e, FeedStatus))

    async with scripted(ping_flood) as url:
        policy = FeedPolicy(
            feed="t", url=url, decode=lambda frame: [], silence_timeout=None,
            protocol_ping_interval=None, write_limit=64 * 1024, write_stall=0.5,
            backoff_base=5.0, backoff_cap=5.0, jitter="none",
        )  # fmt: skip
        conn = Connection(policy, on_events)
        task = asyncio.ensure_future(conn.run())
        try:
            deadline = time.monotonic() + 10
            while not any(s.state == "backoff" for s in statuses):
                assert time.monotonic() < deadline, "the flood was never cut off"
                await asyncio.sleep(0.05)
        finally:
            conn.stop()
            await asyncio.wait_for(task, 5)
    dropped = next(s for s in statuses if s.state == "backoff")
    assert dropped.detail.startswith("the server is not reading: ")
    assert "unsent for 0.5 s" in dropped.detail


async def test_a_server_that_ignores_the_close_frame_does_not_delay_exit() -> None:
    """Garbage frames keep coming and our close frame is never answered: tail must exit
    within a fraction of a second of sending it (not the 2 s close timeout), and what it
    counted must agree (``errors`` printed == ``decode_errors`` of the connection)."""
    close_seen: list[float] = []

    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        garbage = text("}{ not json")

        async def watch() -> None:
            received = b""
            while chunk := await reader.read(65536):
                received += chunk
                if not close_seen and any(op == 0x8 for op, _ in client_frames(received)):
                    close_seen.append(time.monotonic())

        watcher = asyncio.ensure_future(watch())
        try:
            while True:  # about 1,000 frames a second, until the client hangs up
                writer.write(garbage * 10)
                await writer.drain()
                await asyncio.sleep(0.01)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async with scripted(deaf) as url:
        code, out, err, _, _ = await run_tail(url, 2.0)
        ended = time.monotonic()
    assert close_seen, (code, err)
    assert ended - close_seen[0] < 1.0  # STOP_CLOSE_S is 0.25 s; process exit is the rest
    counts = summary(out)
    assert counts["errors"] == counts["decode_errors"]
    assert isinstance(counts["errors"], int) and counts["errors"] > 100


async def test_never_went_live_names_the_last_failure() -> None:
    async def nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        return None

    async with scripted(nothing, answer=False) as url:
        code, _, err, _, _ = await run_tail(url, 2.5)
    assert code == 1
    assert "never went live" in err
    assert "connection closed during the WebSocket handshake" in err, err


async def test_connecting_detail_names_why_the_last_attempt_failed() -> None:
    """What the status shows while reconnecting (the line tail prints comes from it)."""
    async with scripted(lambda r, w: asyncio.sleep(0), answer=False) as url:
        details: list[str] = []
        policy = FeedPolicy(
            feed="t", url=url, decode=lambda frame: [], backoff_base=0.01, backoff_cap=0.02,
            jitter="none",
        )  # fmt: skip
        conn = Connection(
            replace(policy, open_timeout=1.0),
            lambda events, arrival: details.extend(
                e.detail for e in events if isinstance(e, FeedStatus) and e.state == "connecting"
            ),
        )
        task = asyncio.ensure_future(conn.run())
        deadline = time.monotonic() + 5
        while len(details) < 3:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        conn.stop()
        await asyncio.wait_for(task, 5)
    assert details[0] == ""
    assert details[1].startswith("retry 1 after: connect failed: ConnectionError: connection")
