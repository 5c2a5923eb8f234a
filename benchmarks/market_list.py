"""The market list with every market's prices changing: pmdash's MarketList against OptionList.

For N markets in a 45-line terminal, each list is filled, then every market's bid moves,
``ROUNDS`` times. Measured per change: the CPU time (``time.thread_time``) of the update call
and of the screen update that shows it, together. The baseline is Textual's own way with the
same prompts: an ``OptionList`` whose changed options get ``replace_option_prompt``. Both run
in this process, one after the other for each N; the figures are medians over the rounds.

    python benchmarks/market_list.py [--markets 8 50 200 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pmdash.widgets.data import MarketRow
from pmdash.widgets.market_list import MarketList, market_prompt

SIZE = (160, 45)
CSS = "#markets { width: 34; height: 1fr; }"


class ListApp(App[None]):
    CSS = CSS

    def __init__(self, widget: OptionList) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def rows_at(count: int, bid: int) -> list[MarketRow]:
    return [
        MarketRow(f"0x{i:06x}", f"Will market number {i} resolve yes this month?", bid, 600_000)
        for i in range(count)
    ]


def textual_update(widget: OptionList, old: list[MarketRow], new: list[MarketRow]) -> None:
    """Textual's way: a new prompt for every option whose row changed."""
    for before, after in zip(old, new, strict=True):
        if before != after:
            widget.replace_option_prompt(after.condition_id, market_prompt(after))


async def measure(count: int, rounds: int, textual: bool) -> list[float]:
    rows = rows_at(count, 400_000)
    if textual:
        widget = OptionList(*(Option(market_prompt(r), id=r.condition_id) for r in rows))
    else:
        widget = MarketList(rows)
    widget.id = "markets"
    app = ListApp(widget)
    update: Callable[[list[MarketRow]], object]
    if textual:
        shown = [rows]

        def update(new: list[MarketRow]) -> None:
            textual_update(widget, shown[0], new)
            shown[0] = new
    else:
        assert isinstance(widget, MarketList)
        update = widget.update_markets
    costs: list[float] = []
    refresh = Screen._compositor_refresh
    painted: list[float] = []

    def timed(screen: Screen[object]) -> None:
        start = time.thread_time()
        refresh(screen)
        painted.append(time.thread_time() - start)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        Screen._compositor_refresh = timed  # type: ignore[method-assign]
        try:
            for n in range(1, rounds + 1):
                new = [replace(row, best_bid=400_000 + n * 10_000) for row in rows]
                painted.clear()
                start = time.thread_time()
                update(new)
                spent = time.thread_time() - start
                await pilot.pause()
                await pilot.pause()
                costs.append((spent + sum(painted)) * 1000)
        finally:
            Screen._compositor_refresh = refresh  # type: ignore[method-assign]
    return costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, nargs="+", default=[8, 50, 200, 1000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"every market's bid changes; CPU ms per change (update + screen), median of"
          f" {args.rounds}; terminal {SIZE[0]}x{SIZE[1]}")
    print(f"{'markets':>8} {'OptionList':>11} {'MarketList':>11} {'ratio':>7}")
    for count in args.markets:
        theirs = statistics.median(asyncio.run(measure(count, args.rounds, textual=True)))
        ours = statistics.median(asyncio.run(measure(count, args.rounds, textual=False)))
        print(f"{count:>8} {theirs:>11.2f} {ours:>11.2f} {theirs / ours:>6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
