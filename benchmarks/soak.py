"""Soak: the real dashboard (headless ``run_test``) left running, and whether anything creeps
up with time.

The source runs in its own process: ``frames`` (default) replays ``e2e.py``'s recording over a
fixed set of 8 books, so the App's memory should level off once its caches are full; ``sim``
is ``pmdash sim``, which lists a new market and resolves an old one every minute or so (the
dashboard follows both), so memory follows the number of markets shown.

Every window (default 30 s) it prints the App process's resident memory, its CPU share, the
arrival-to-screen p99 of that window, frames taken in, and the sizes of what could grow: books,
markets, tapes, widgets on screen, objects the garbage collector tracks. At the end it prints
the memory growth per minute over the second half of the run (after the value caches have
filled) against the first half, and the p99 and CPU of the last window against the first.

    python benchmarks/soak.py                       # 5 minutes at 2,000 msg/s
    python benchmarks/soak.py --minutes 30 --rate 5000 --source sim
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.e2e import percentile, source_markets, start_source  # noqa: E402
from pmdash.app import PmdashApp  # noqa: E402
from pmdash.state.market import MarketState  # noqa: E402

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """This process's resident memory (Linux ``/proc``), MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE / 2**20


async def soak(source: str, rate: float, minutes: float, window_s: float) -> list[dict[str, float]]:
    # The source outlives the run (start-up and key presses add to the windows' time).
    proc, info = start_source(source, rate, minutes * 60 + 120)
    rows: list[dict[str, float]] = []
    try:
        endpoints, markets = await source_markets(source, info)
        app = PmdashApp(endpoints, markets)
        async with app.run_test(headless=True, size=(160, 45)) as pilot:
            start = time.perf_counter()
            windows = max(1, round(minutes * 60 / window_s))
            for index in range(windows):
                app.latency.samples.clear()
                feed = app.controllers["market"]
                frames0 = feed.status().frames
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await asyncio.sleep(window_s)
                wall = time.perf_counter() - wall0
                store = app.store.slice(MarketState)
                p99 = percentile(list(app.latency.samples), 0.99)
                rows.append({
                    "t": time.perf_counter() - start,
                    "rss": rss_mb(),
                    "cpu": 100 * (time.process_time() - cpu0) / wall,
                    "p99": float("nan") if p99 is None else p99,  # nothing new on screen
                    "msgs": (feed.status().frames - frames0) / wall,
                    "books": len(store.books),
                    "markets": len(store.markets),
                    "tapes": sum(len(tape) for tape in store.tapes.values()),
                    "widgets": len(list(app.screen.walk_children())),
                    "objects": len(gc.get_objects()),
                })
                print(_row_text(rows[-1]), flush=True)
                await pilot.press("jok"[index % 3])  # a user moving about, near the top
            await pilot.press("q")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return rows


def _row_text(row: dict[str, float]) -> str:
    return (
        f"{row['t'] / 60:5.1f} min  rss {row['rss']:6.1f} MiB  cpu {row['cpu']:5.1f}%  "
        f"p99 {row['p99']:5.1f} ms  {row['msgs']:7,.0f} msg/s  books {row['books']:.0f}  "
        f"markets {row['markets']:.0f}  tape rows {row['tapes']:.0f}  "
        f"widgets {row['widgets']:.0f}  gc objects {row['objects']:,.0f}"
    )


def growth_per_min(rows: list[dict[str, float]]) -> float:
    """Least-squares slope of resident memory over time, MiB per minute."""
    if len(rows) < 2:
        return 0.0
    ts = [row["t"] / 60 for row in rows]
    ms = [row["rss"] for row in rows]
    mean_t, mean_m = sum(ts) / len(ts), sum(ms) / len(ms)
    var = sum((t - mean_t) ** 2 for t in ts)
    return sum((t - mean_t) * (m - mean_m) for t, m in zip(ts, ms, strict=True)) / var


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000.0, help="messages per second")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=30.0, help="seconds per sample")
    parser.add_argument("--source", choices=["frames", "sim"], default="frames")
    args = parser.parse_args()
    print(f"soak: {args.minutes:g} min at {args.rate:,.0f} msg/s from {args.source}, "
          f"a sample every {args.window:g} s")
    rows = asyncio.run(soak(args.source, args.rate, args.minutes, args.window))
    half = len(rows) // 2
    first, second = rows[: max(half, 1)], rows[half:]
    print(f"memory growth: {growth_per_min(first):+.2f} MiB/min in the first half, "
          f"{growth_per_min(second):+.2f} MiB/min in the second "
          f"({rows[0]['rss']:.1f} -> {rows[-1]['rss']:.1f} MiB)")
    print(f"last window against the first: p99 {rows[-1]['p99']:.1f} / {rows[0]['p99']:.1f} ms "
          f"= {rows[-1]['p99'] / rows[0]['p99']:.2f}x, "
          f"cpu {rows[-1]['cpu']:.1f} / {rows[0]['cpu']:.1f}% "
          f"= {rows[-1]['cpu'] / rows[0]['cpu']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
