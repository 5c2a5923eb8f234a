"""A loopback market-channel server that replays pre-generated frames at a fixed rate.

For rates the embedded exchange cannot produce: it speaks the market channel (subscription
first, PING -> PONG, initial ``book`` dump as an array) and then sends the recording's frames
at ``--rate`` messages per second, in small batches every few milliseconds. At the end of the
recording it sends the initial dump again (which resets every book), so the replay stays
consistent however long it runs. Run it in its own process so that the dashboard's CPU share
is measured alone:

    python benchmarks/frame_server.py --rate 50000 --seconds 20

prints ``{"port": N, "assets": [...]}`` on one line, serves for ``--seconds``, then exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.market_frames import Recording, record

TICK_S = 0.005


def recording(depth: int, messages: int) -> Recording:
    return record(f"e2e-{depth}", messages=messages, depth=depth, tick=10_000, markets=4)


async def _stream(ws: ServerConnection, rec: Recording, rate: float, batch: int) -> None:
    """Send the recording at ``rate`` messages/s (``batch`` messages per frame)."""
    if rate <= 0:
        await asyncio.Future()
    frames = rec.frames
    if batch > 1:
        frames = [
            "[" + ",".join(frames[i : i + batch]) + "]" for i in range(0, len(frames), batch)
        ]
    per_frame = max(1, batch)
    index = 0
    sent = 0
    start = time.perf_counter()
    while True:
        due = int((time.perf_counter() - start) * rate / per_frame)
        burst = min(due - sent, 2_000)
        for _ in range(burst):
            if index == len(frames):
                index = 0
                await ws.send(rec.initial)
            await ws.send(frames[index])
            index += 1
        sent += burst
        await asyncio.sleep(TICK_S)


async def _handler(ws: ServerConnection, rec: Recording, rate: float, batch: int) -> None:
    first = await ws.recv()
    if not isinstance(first, str) or '"assets_ids"' not in first:
        await ws.close(1008, "invalid subscription payload")
        return
    await ws.send(rec.initial)
    streamer = asyncio.create_task(_stream(ws, rec, rate, batch))
    try:
        async for message in ws:
            if message == "PING":
                await ws.send("PONG")
            elif isinstance(message, str) and '"operation"' in message and "unsub" not in message:
                await ws.send(rec.initial)  # a resync: every book back to the dump's state
    except ConnectionClosed:
        pass
    finally:
        streamer.cancel()


async def main_async(rate: float, seconds: float, depth: int, messages: int, batch: int) -> None:
    rec = recording(depth, messages)

    async def handler(ws: ServerConnection) -> None:
        await _handler(ws, rec, rate, batch)

    async with serve(handler, "127.0.0.1", 0, max_size=None, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"port": port, "assets": rec.asset_ids}), flush=True)
        await asyncio.sleep(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5_000.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1, help="messages per frame (JSON array)")
    args = parser.parse_args()
    asyncio.run(main_async(args.rate, args.seconds, args.depth, args.messages, args.batch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
