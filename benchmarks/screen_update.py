"""Cost of one screen update of the whole dashboard: Textual's compositor against pmdash's.

The real App (no sockets) takes a recorded market-channel stream (``market_frames.py``, 30-level
books, the ingest mix) in slices of one flush period at a given rate, flushes them into its
panels and lets the screen update, once per slice. Every screen update's CPU time is measured
(``time.thread_time`` around ``Screen._compositor_refresh``). The same slices are shown with
Textual's own ``Compositor`` and with ``CroppedCompositor`` (``pmdash/widgets/_screen.py``),
alternating in rounds, in one process; the figures are means over all rounds.

    python benchmarks/screen_update.py [--rate 5000] [--updates 120] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual._compositor import Compositor  # noqa: E402
from textual.screen import Screen  # noqa: E402

from benchmarks.e2e import bench_markets  # noqa: E402
from benchmarks.market_frames import record  # noqa: E402
from pmdash.app import PmdashApp  # noqa: E402
from pmdash.endpoints import Endpoints  # noqa: E402
from pmdash.feeds.market import decode  # noqa: E402
from pmdash.widgets._screen import CroppedCompositor  # noqa: E402

SIZE = (160, 45)
FPS = 30


class Bench(PmdashApp):
    """The App with no sockets; flushes are driven by the benchmark."""

    def start_feeds(self) -> None:
        """No sockets."""


async def measure(rate: float, updates: int, rounds: int) -> dict[str, list[float]]:
    per_update = max(1, round(rate / FPS))
    rec = record("screen", messages=per_update * updates, depth=30, tick=10_000)
    slices = [
        [decode(frame) for frame in rec.frames[i : i + per_update]]
        for i in range(0, len(rec.frames), per_update)
    ]
    costs: dict[str, list[float]] = {"textual": [], "pmdash": []}
    current: list[list[float]] = [costs["textual"]]
    refresh = Screen._compositor_refresh

    def timed(screen: Screen[object]) -> None:
        start = time.thread_time()
        refresh(screen)
        current[0].append(time.thread_time() - start)

    Screen._compositor_refresh = timed  # type: ignore[method-assign]
    try:
        endpoints = Endpoints.from_base_url("http://127.0.0.1:9")
        app = Bench(endpoints, bench_markets(rec.asset_ids), refresh_hz=0.01)
        async with app.run_test(size=SIZE) as pilot:
            app.store.apply(decode(rec.initial), time.perf_counter())
            app.flush()
            await pilot.pause()
            screen = app.screen
            for _ in range(rounds):
                both = (("textual", Compositor()), ("pmdash", CroppedCompositor()))
                for name, compositor in both:
                    screen._compositor = compositor
                    screen.refresh(layout=True)
                    await pilot.pause()
                    current[0] = []  # the full update after the swap is not counted
                    for events in slices:
                        for frame_events in events:
                            app.store.apply(frame_events, time.perf_counter())
                        app.flush()
                        await pilot.pause()
                    costs[name].extend(current[0])
    finally:
        Screen._compositor_refresh = refresh  # type: ignore[method-assign]
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5000.0, help="messages per second")
    parser.add_argument("--updates", type=int, default=120, help="screen updates per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    costs = asyncio.run(measure(args.rate, args.updates, args.rounds))
    print(f"screen updates of the dashboard ({SIZE[0]}x{SIZE[1]}), {args.rate:.0f} msg/s in "
          f"{FPS} flushes a second, {args.rounds} rounds; CPU ms per update")
    print(f"{'compositor':<12} {'updates':>8} {'mean':>7} {'p50':>7} {'p90':>7} {'max':>7}")
    means = {}
    for name, values in costs.items():
        ordered = sorted(values)
        means[name] = statistics.mean(ordered) * 1e3
        p50 = ordered[len(ordered) // 2] * 1e3
        p90 = ordered[int(len(ordered) * 0.9)] * 1e3
        print(f"{name:<12} {len(ordered):>8} {means[name]:>7.2f} {p50:>7.2f} {p90:>7.2f} "
              f"{ordered[-1] * 1e3:>7.2f}")
    print(f"pmdash / textual: {means['pmdash'] / means['textual']:.2f}x the CPU per update")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
