"""Hostile servers: how long ``pmdash tail --seconds S`` takes to end under each, and its peak
memory; the largest Gamma answer handled within ``--seconds`` (bodies past ``MAX_BODY``,
32 MiB, are refused). The servers are the hostile suite's (tests/hostile/scripted.py) and the
client's raw-socket ones (tests/test_net_hostile.py: a PING flood that never reads, a server
that ignores the close frame).

    python benchmarks/hostile.py             # --seconds 3
    python benchmarks/hostile.py --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.server import ServerConnection  # noqa: E402

from tests.hostile.scripted import (  # noqa: E402
    Ran,
    gamma_market,
    garbage_frames,
    new_market_flood,
    read_request,
    run_pmdash,
    serve,
    serve_exchange_like,
    subscribed_then,
)
from tests.test_net_hostile import ping_flood  # noqa: E402
from tests.test_net_wsclient import text, upgrade  # noqa: E402


async def _nothing() -> AsyncIterator[str]:
    await asyncio.sleep(3600)
    yield ""


def _upgraded(
    script: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any],
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any]:
    """A raw-socket WebSocket server: a valid 101 to every upgrade, then ``script``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(upgrade(head))
        await script(reader, writer)

    return handle


async def _deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Garbage at about 1,000 frames a second; reads everything, answers no close frame."""

    async def drain() -> None:
        while await reader.read(65536):
            pass

    reading = asyncio.ensure_future(drain())
    try:
        while True:
            writer.write(text("}{ not json") * 10)
            await writer.drain()
            await asyncio.sleep(0.01)
    finally:
        reading.cancel()


def _tail_url(port: int, seconds: float) -> Ran:
    return run_pmdash(
        "tail", "market", "--url", f"ws://127.0.0.1:{port}/ws/market", "--asset", "1",
        "--seconds", str(seconds), "--quiet", timeout=seconds + 120,
    )  # fmt: skip


def _tail(port: int, seconds: float) -> Ran:
    return run_pmdash(
        "tail", "market", "--base-url", f"http://127.0.0.1:{port}",
        "--seconds", str(seconds), "--quiet", timeout=seconds + 120,
    )  # fmt: skip


def _report(name: str, ran: Ran, seconds: float) -> None:
    last = ran.out.strip().splitlines()[-1:] or [""]
    try:
        summary = json.loads(last[0])
        events = f"events {summary['events']:>8,}  books {summary['books']:>5}"
    except (ValueError, KeyError):
        events = ran.err.strip()[:60]
    print(
        f"{name:<44} exit {ran.code}  wall {ran.seconds:6.2f} s  "
        f"(+{ran.seconds - seconds:5.2f} past --seconds)  peak {ran.peak_mb:6.1f} MB  {events}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    seconds = args.seconds
    one = json.dumps([gamma_market(0)]).encode()

    for count in (20_000, 80_000, 100_000):
        body = json.dumps([gamma_market(i) for i in range(count)]).encode()

        async def quiet(ws: ServerConnection) -> None:
            await subscribed_then(ws, _nothing())

        with serve_exchange_like(quiet, {"/markets": body}) as port:
            ran = _tail(port, seconds)
        _report(f"Gamma of {count:,} markets ({len(body) / 1e6:.1f} MB)", ran, seconds)

    for name, make in (
        ("new_market flood (as fast as the socket takes)", lambda: new_market_flood(10**7)),
        ("garbage flood, 1,000 frames/s", lambda: garbage_frames(1_000)),
        ("garbage flood, 10,000 frames/s", lambda: garbage_frames(10_000)),
    ):

        async def flooding(ws: ServerConnection, make: Callable[[], AsyncIterator[str]] = make
                           ) -> None:
            await subscribed_then(ws, make())

        with serve_exchange_like(flooding, {"/markets": one}) as port:
            ran = _tail(port, seconds)
        _report(name, ran, seconds)

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(3600)

    with serve(hang) as port:
        ran = _tail(port, seconds)
    _report("Gamma that never answers", ran, seconds)

    with serve(_upgraded(ping_flood)) as port:
        ran = _tail_url(port, seconds)
    _report("PING flood, never reads", ran, seconds)

    with serve(_upgraded(_deaf)) as port:
        ran = _tail_url(port, seconds)
    _report("ignores the close frame (garbage meanwhile)", ran, seconds)


if __name__ == "__main__":
    main()
