"""The issue's calibration pair, measured here: a full update of the line-rendered BookLadder
(10 asks + 10 bids, every level changed) against a full update of a 20x4 ``DataTable``
(cleared and refilled), each until it is on the (headless) screen. The issue measured about
1.6 ms against about 11 ms on its machine; the ratio of these figures to those says how this
machine compares. Same process, CPU time, best of 5.

    python benchmarks/ladder_vs_datatable.py
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402
from widget_apps.ladder_app import LIVE, LadderApp, levels  # noqa: E402

from pmdash.units import fmt_price, fmt_size  # noqa: E402
from pmdash.widgets.ladder import BookLadder  # noqa: E402

UPDATES = 100
REPEATS = 5
SIZE = (100, 30)


def book(round_: int) -> object:
    """A 10x10 book whose every level differs from the previous round's."""
    scale = 1_000_000 + (round_ % 7) * 10_000
    return dataclasses.replace(
        LIVE,
        bids=levels(490_000 - (round_ % 3) * 10_000, -10_000, 10, scale=scale),
        asks=levels(510_000 + (round_ % 3) * 10_000, 10_000, 10, scale=scale),
    )


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("price", "size", "total", "side")


async def best_ms(run: Callable[[int], Awaitable[None]]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.process_time()
        for round_ in range(UPDATES):
            await run(round_)
        best = min(best, time.process_time() - start)
    return best / UPDATES * 1e3


async def ladder_ms() -> float:
    app = LadderApp(LIVE)
    async with app.run_test(size=SIZE) as pilot:
        ladder = app.query_one(BookLadder)

        async def run(round_: int) -> None:
            ladder.update_book(book(round_))  # type: ignore[arg-type]
            await pilot.pause()

        return await best_ms(run)


async def table_ms() -> float:
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)

        async def run(round_: int) -> None:
            data = book(round_)
            table.clear()
            for side, rows in (("ask", data.asks), ("bid", data.bids)):  # type: ignore[attr-defined]
                for price, size, total in rows:
                    table.add_row(fmt_price(price), fmt_size(size), fmt_size(total), side)
            await pilot.pause()

        return await best_ms(run)


async def idle_ms() -> float:
    """The harness alone: a pause with nothing to update."""
    app = LadderApp(LIVE)
    async with app.run_test(size=SIZE) as pilot:

        async def run(round_: int) -> None:
            await pilot.pause()

        return await best_ms(run)


def main() -> int:
    ladder, table, idle = asyncio.run(ladder_ms()), asyncio.run(table_ms()), asyncio.run(idle_ms())
    print(f"full update until on screen, {UPDATES} updates, best of {REPEATS} (CPU ms each):")
    print(f"  BookLadder (20 levels)   {ladder:6.2f} ms   (issue's machine: about 1.6 ms)")
    print(f"  DataTable 20x4           {table:6.2f} ms   (issue's machine: about 11 ms)")
    print(f"  harness alone (a pause)  {idle:6.2f} ms")
    print(f"  DataTable / BookLadder   {table / ladder:6.1f}x")
    print(f"  this machine / issue's   {table / 11:6.1f}x (DataTable), "
          f"{ladder / 1.6:.1f}x (ladder)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
