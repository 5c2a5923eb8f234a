"""Market-channel codec throughput: ns per decoded frame for the common frame shapes.

Run from the repo root: python -m benchmarks.bench_feed_market  (prints figures only)
"""

from __future__ import annotations

import json
import random
import time
import timeit

from pmdash.feeds import market

ASSET_A = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
ASSET_B = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
MARKET = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"


def price_change_frames(n: int, rng: random.Random) -> list[bytes]:
    """Two-entry frames; sizes drawn from 5M values, so 2n frames carry ~2n distinct sizes."""
    frames = []
    for i in range(n):
        p = rng.randint(1, 99)
        frames.append(
            json.dumps(
                {
                    "event_type": "price_change",
                    "market": MARKET,
                    "timestamp": str(1790908701123 + i),
                    "price_changes": [
                        {
                            "asset_id": ASSET_A,
                            "price": f"0.{p:02d}",
                            "size": f"{rng.randint(0, 50000)}.{rng.randint(0, 99):02d}",
                            "side": "BUY",
                            "hash": "3b1f0e9c2d4a5b6c7d8e9f0a1b2c3d4e5f607182",
                            "best_bid": "0.47",
                            "best_ask": "0.49",
                        },
                        {
                            "asset_id": ASSET_B,
                            "price": f"0.{100 - p:02d}",
                            "size": f"{rng.randint(0, 50000)}.{rng.randint(0, 99):02d}",
                            "side": "SELL",
                            "hash": "8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d",
                            "best_bid": "0.51",
                            "best_ask": "0.53",
                        },
                    ],
                }
            ).encode()
        )
    return frames


def trade_frames(n: int, rng: random.Random) -> list[bytes]:
    return [
        json.dumps(
            {
                "event_type": "last_trade_price",
                "asset_id": ASSET_A,
                "market": MARKET,
                "price": f"0.{rng.randint(1, 999):03d}",
                "size": f"{rng.randint(1, 5000)}.{rng.randint(0, 999999):06d}",
                "side": rng.choice(["BUY", "SELL"]),
                "fee_rate_bps": "0",
                "timestamp": str(1790908712345 + i),
                "transaction_hash": "0x3f5e" + "ab" * 30,
            }
        ).encode()
        for i in range(n)
    ]


def book_frame(levels: int, rng: random.Random) -> bytes:
    """A live-ordered book: bids ascending, asks descending (best last), tick 0.001."""
    half = levels // 2
    bids = [
        {"price": f"{(500 - half + i) / 1000:.3f}".lstrip("0"), "size": f"{rng.randint(1, 9999)}.5"}
        for i in range(half)
    ]
    asks = [
        {"price": f"{(501 + half - 1 - i) / 1000:.3f}", "size": f"{rng.randint(1, 9999)}"}
        for i in range(levels - half)
    ]
    return json.dumps(
        {
            "event_type": "book",
            "market": MARKET,
            "asset_id": ASSET_A,
            "timestamp": "1790908667676",
            "hash": "9e4f2ff8ba2be56177e8bdc8623dfaba4d18f5c8",
            "bids": bids,
            "asks": asks,
            "tick_size": "0.001",
            "last_trade_price": "0.500",
        }
    ).encode()


def measure(name: str, frames: list[bytes], seconds: float = 0.3, rounds: int = 5) -> None:
    """Best of ``rounds`` runs of at least ``seconds`` each (the garbage collector left on)."""
    decode = market.decode
    for f in frames[:100]:  # warm the caches, as a running feed would
        decode(f)
    events = decode(frames[0])
    assert not any(type(e).__name__ == "FeedError" for e in events), events
    best = float("inf")
    for _ in range(rounds):
        count = 0
        start = time.perf_counter()
        elapsed = 0.0
        while elapsed < seconds:
            for f in frames:
                decode(f)
            count += len(frames)
            elapsed = time.perf_counter() - start
        best = min(best, elapsed / count * 1e9)
    print(f"{name:<34} {best:>10,.0f} ns/msg  {1e9 / best:>12,.0f} msg/s  ({len(frames[0])} bytes)")


def calibrate() -> None:
    """The cost of one float() of a short string here, to compare machines."""
    n = 200_000
    best = min(timeit.repeat("float(s)", setup="s = '12345.67'", number=n, repeat=5)) / n * 1e9
    label = "(machine: float of '12345.67')"
    print(f"{label:<34} {best:>10,.0f} ns")


def main() -> None:
    calibrate()
    rng = random.Random(7)
    measure("price_change, 2 entries", price_change_frames(2000, rng))
    # 200,000 distinct sizes: no size repeats, as on a busy feed (sizes are parsed, not cached).
    measure("price_change, distinct sizes", price_change_frames(100_000, rng), rounds=2)
    measure("last_trade_price", trade_frames(2000, rng))
    measure("book, 30 levels", [book_frame(30, rng) for _ in range(50)])
    measure("book, 1000 levels", [book_frame(1000, rng) for _ in range(5)])
    measure("price_change (str frame)", [f.decode() for f in price_change_frames(2000, rng)])


if __name__ == "__main__":
    main()
