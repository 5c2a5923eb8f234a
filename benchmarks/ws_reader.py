"""Per-frame cost of the WebSocket client alone: websockets' asyncio client against pmdash's
``pmdash.net.wsclient`` (websockets' sans-I/O ``ClientProtocol`` under pmdash's lean asyncio
``Protocol``: one synchronous callback per message), reading the same frames from the same
loopback server.

A websockets server runs in its own process. On each connection it waits for the text
``go``, then writes N pre-encoded market-channel frames (``benchmarks/market_frames.py``, about
700 bytes each, one message per frame) as fast as the client reads them, then ``END``. Each
client counts the messages it gets (the handler does nothing else) and the clock runs from
``go`` to ``END``: frames/s and the CPU time per frame of this process. The clients alternate,
``--rounds`` times each; the best round counts. Also printed: the sans-I/O layer alone
(``ClientProtocol.receive_data`` and ``events_received`` over the same bytes in 64 KiB chunks,
each text message decoded, no socket).

    python benchmarks/ws_reader.py                    # 200,000 frames, 3 rounds
    python benchmarks/ws_reader.py --frames 50000 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.asyncio.server import ServerConnection, serve  # noqa: E402
from websockets.client import ClientProtocol  # noqa: E402
from websockets.frames import Frame, Opcode  # noqa: E402
from websockets.protocol import State  # noqa: E402
from websockets.uri import parse_uri  # noqa: E402

from benchmarks.market_frames import record  # noqa: E402
from pmdash.net import wsclient  # noqa: E402

HIGH_WATER = 1 << 20
CHUNK = 200
DEADLINE_S = 60.0


def _frames(count: int) -> list[str]:
    rec = record("ws-reader", messages=min(count, 20_000), depth=30, tick=10_000, markets=4)
    return [rec.frames[i % len(rec.frames)] for i in range(count)]


def _wire(frames: list[str]) -> list[bytes]:
    """The stream in chunks of ``CHUNK`` unmasked server frames."""
    encoded = [Frame(Opcode.TEXT, f.encode()).serialize(mask=False) for f in frames]
    encoded.append(Frame(Opcode.TEXT, b"END").serialize(mask=False))
    return [b"".join(encoded[i : i + CHUNK]) for i in range(0, len(encoded), CHUNK)]


# --- the server process ---------------------------------------------------------------------


async def _serve(count: int) -> None:
    chunks = _wire(_frames(count))

    async def blast(ws: ServerConnection) -> None:
        async for message in ws:
            if message != "go":
                continue
            transport = ws.transport
            for chunk in chunks:
                while transport.get_write_buffer_size() > HIGH_WATER:
                    await asyncio.sleep(0.0005)
                transport.write(chunk)

    async with serve(blast, "127.0.0.1", 0, max_size=None) as server:
        print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
        await asyncio.sleep(DEADLINE_S * 10)


# --- the clients ----------------------------------------------------------------------------


async def _websockets_client(url: str) -> tuple[int, float, float]:
    async with ws_connect(url, max_size=None) as ws:
        count = 0
        await ws.send("go")
        wall, cpu = time.perf_counter(), time.process_time()
        async for message in ws:
            if message == "END":
                break
            count += 1
        return count, time.perf_counter() - wall, time.process_time() - cpu


async def _pmdash_client(url: str) -> tuple[int, float, float]:
    ws = await wsclient.connect(url, max_size=None)
    done = asyncio.get_running_loop().create_future()
    count = 0

    def on_message(message: str | bytes) -> None:
        nonlocal count
        if message == "END":
            done.set_result(None)
        else:
            count += 1

    ws.start(on_message)
    ws.send("go")
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.wait_for(done, DEADLINE_S)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await ws.close()
    return count, wall, cpu


def _parser_only(count: int) -> tuple[int, float]:
    data = b"".join(_wire(_frames(count)))
    uri = parse_uri("ws://127.0.0.1/")
    seen = 0
    best = float("inf")
    for _ in range(3):
        seen = 0
        protocol = ClientProtocol(uri, state=State.OPEN, max_size=None)
        start = time.process_time()
        for i in range(0, len(data), 65536):
            protocol.receive_data(data[i : i + 65536])
            for frame in protocol.events_received():
                str(frame.data, "utf-8")  # type: ignore[union-attr]
                seen += 1
        best = min(best, time.process_time() - start)
    return seen - 1, best


async def _run(args: argparse.Namespace) -> None:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--frames", str(args.frames)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = f"ws://127.0.0.1:{json.loads(proc.stdout.readline())['port']}/"
        clients = {"websockets": _websockets_client, "pmdash wsclient": _pmdash_client}
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):
            for name, client in clients.items():
                count, wall, cpu = await asyncio.wait_for(client(url), DEADLINE_S)
                assert count == args.frames, (name, count)
                rate, us = count / wall, cpu / count * 1e6
                old = best.get(name)
                best[name] = (max(rate, old[0]), min(us, old[1])) if old else (rate, us)
    finally:
        proc.terminate()
        proc.wait(5)
    print(f"ws_reader: {args.frames} frames (~700 B market-channel JSON), best of {args.rounds}")
    print(f"{'client':<16} {'frames/s':>10} {'cpu us/frame':>13}")
    for name, (rate, us) in best.items():
        print(f"{name:<16} {rate:>10.0f} {us:>13.2f}")
    (ra, ua), (rb, ub) = best["websockets"], best["pmdash wsclient"]
    print(f"ratio pmdash/websockets: {rb / ra:.2f}x frames/s, {ua / ub:.2f}x less cpu per frame")
    parsed, seconds = _parser_only(args.frames)
    print(
        f"ClientProtocol.receive_data alone: {seconds / parsed * 1e6:.2f} us/frame"
        f" ({parsed} frames)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.frames))
    else:
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
