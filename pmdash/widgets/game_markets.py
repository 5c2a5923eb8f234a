"""GameMarkets: the markets of one game, each with its price beside the live score and the
price move since the score last changed (a row whose game just scored is marked). A view of
``GameMarketsData``."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from pmdash.units import fmt_price
from pmdash.widgets._strips import pad
from pmdash.widgets.games_data import GameMarketsData, LinkedMarketRow


def move_text(move: int | None) -> tuple[str, str]:
    """``▲+0.070`` green / ``▼-0.020`` red / ``·0.000`` dim; ``-`` before any score change."""
    if move is None:
        return "   -    ", "dim"
    if move > 0:
        return f"▲+{move / 1_000_000:.3f}", "green"
    if move < 0:
        return f"▼{move / 1_000_000:.3f}", "red"
    return f"·{0:.3f} ", "dim"


def market_row_text(row: LinkedMarketRow) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("◆ " if row.flash else "  ", "yellow")
    text.append(f"{fmt_price(row.mid):>6} ", "bold")
    text.append(*move_text(row.move))
    text.append(f"  {pad(row.score, 9, right=True)} ",
                "bold reverse yellow" if row.flash else "bold")
    text.append(pad(row.clock, 10) + " ", "dim")  # by cells: a status may be wide text
    text.append(row.label)
    return text


class GameMarkets(Static):
    DEFAULT_CSS = """
    GameMarkets {
        width: 1fr;
        height: auto;
        border: round $primary-muted;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.data = GameMarketsData(title="")

    def update_data(self, data: GameMarketsData) -> None:
        self.data = data
        self.border_title = Content(data.title)  # server text: plain, never markup
        self.border_subtitle = data.note
        out = Text(no_wrap=True, overflow="ellipsis")
        if not data.rows:
            out.append("no linked markets", "dim")
        for i, row in enumerate(data.rows):
            if i:
                out.append("\n")
            out.append_text(market_row_text(row))
        self.update(out)
