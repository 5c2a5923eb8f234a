"""A loopback market-channel server that replays pre-generated frames at a fixed rate.

For rates the embedded exchange cannot produce: it speaks the market channel (subscription
first, PING -> PONG, initial ``book`` dump as an array) and then sends the recording's frames
at ``--rate`` messages per second, in small batches every few milliseconds. At the end of the
recording it sends the initial dump again (which resets every book), so the replay stays
consistent however long it runs. The frames are encoded to WebSocket wire bytes once, up front,
and each batch is one write to the socket, so the source itself can reach 50,000+ frames/s on a
small machine; it stops writing while the client has not read the last ~1 MiB (so "in msg/s"
shows what the client keeps up with). Run it in its own process so that the dashboard's CPU
share is measured alone:

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
from websockets.frames import Frame, Opcode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.market_frames import Recording, record

TICK_S = 0.005
MAX_BURST = 2_000
"""Most frames sent in one tick (a client that fell behind is not flooded at once)."""
HIGH_WATER = 1 << 20
"""Unread bytes in the socket's write buffer above which the stream waits for the client."""


def recording(depth: int, messages: int) -> Recording:
    return record(f"e2e-{depth}", messages=messages, depth=depth, tick=10_000, markets=4)


def _wire(text: str) -> bytes:
    """One unmasked server-to-client text frame, as websockets would write it."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


async def _stream(ws: ServerConnection, rec: Recording, rate: float, batch: int) -> None:
    """Send the recording at ``rate`` messages/s (``batch`` messages per frame)."""
    if rate <= 0:
        await asyncio.Future()
    frames = rec.frames
    if batch > 1:
        frames = [
            "[" + ",".join(frames[i : i + batch]) + "]" for i in range(0, len(frames), batch)
        ]
    # The end of the recording is followed by the initial dump again (it resets every book).
    wire = [_wire(frame) for frame in frames]
    wire[-1] += _wire(rec.initial)
    transport = ws.transport
    per_frame = max(1, batch)
    index = 0
    sent = 0
    start = time.perf_counter()
    while True:
        due = int((time.perf_counter() - start) * rate / per_frame)
        if transport.get_write_buffer_size() < HIGH_WATER:
            burst = min(due - sent, MAX_BURST)
            chunks: list[bytes] = []
            while len(chunks) < burst:
                take = min(burst - len(chunks), len(wire) - index)
                chunks.extend(wire[index : index + take])
                index = (index + take) % len(wire)
            if chunks:
                # Written beside websockets' own sends (PONG, resync dumps), in loop order.
                transport.write(b"".join(chunks))
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
