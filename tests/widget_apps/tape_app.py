"""TapeView harness and its fixed trades."""

from __future__ import annotations

from textual.app import ComposeResult

from pmdash.models import Side, Trade
from pmdash.widgets.tape import TapeView
from widget_apps.base import NOW_MS, HarnessApp


def trades(count: int) -> list[Trade]:
    """``count`` trades, newest first, 1.25 s apart; the 4th has no side and no size."""
    out: list[Trade] = []
    for index in range(count):
        side: Side | None = "BUY" if index % 3 != 1 else "SELL"
        size: int | None = (index * 37 % 500 + 5) * 1_000_000 + 500_000
        if index == 3:
            side, size = None, None
        out.append(
            Trade(
                feed="market",
                asset_id="123",
                market="0xabc",
                price=520_000 - (index % 5) * 10_000,
                size=size,
                side=side,
                timestamp=NOW_MS - index * 1_250,
            )
        )
    return out


class TapeApp(HarnessApp):
    """One TapeView (id ``tape``) showing ``trades`` at ``tick``; records the offset of every
    Scrolled it receives."""

    def __init__(self, rows: list[Trade], tick: int = 10_000) -> None:
        super().__init__()
        self.rows = rows
        self.tick = tick
        self.offsets: list[int] = []

    def compose(self) -> ComposeResult:
        yield TapeView(id="tape")

    def on_mount(self) -> None:
        self.query_one(TapeView).update_trades(self.rows, self.tick)

    def on_tape_view_scrolled(self, message: TapeView.Scrolled) -> None:
        self.offsets.append(message.offset)
