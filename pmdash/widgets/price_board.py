"""PriceBoardView: one row per symbol: spot, the TWAP (or a second source), basis, change, age,
and the distance to the selected market's strike; every price names its source.

An ordinary ``Static``: it renders a ``PriceBoardData`` (see ``price_data.board_data``) pushed
with ``update_board``; colours come from theme variables only.
"""

from __future__ import annotations

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from pmdash.printable import printable
from pmdash.widgets._strips import ellipsize, pad
from pmdash.widgets.price_data import PriceBoardData, PriceRow

_SIGN_STYLE = {1: "$text-success", -1: "$text-error", 0: "$text-muted"}
_NOTE_STYLE = {"waiting for next round": "$text-muted", "stale": "$text-warning",
               "gap": "$text-warning", "no data": "$text-muted"}
HEADER = (f"{'':1}{'sym':<5}{'spot':>13} {'source':<10}{'twap / 2nd':>13} {'source':<15}"
          f"{'basis':>10} {'change':>8} {'age':>7}  strike")


def _text(value: str, width: int = 0, *, cut: bool = False) -> str:
    """Server text made printable, padded to ``width`` cells (negative: right-aligned), then
    escaped. ``cut``: longer text is shortened with an ellipsis (names; numbers never are)."""
    plain = printable(value)
    if cut:
        plain = ellipsize(plain, abs(width))
    return escape(pad(plain, abs(width), right=width < 0))


def row_markup(row: PriceRow) -> str:
    mark = "▸" if row.selected else " "
    sym = f"[b]{_text(row.symbol, 5, cut=True)}[/b]"
    spot = f"[b]{_text(row.spot, -13)}[/b]"
    src1 = f"[$text-muted]{_text(row.spot_source, 10)}[/]"
    second = _text(row.second, -13)
    src2 = f"[$text-muted]{_text(row.second_source, 15)}[/]"
    basis = _text(row.basis, -10)
    change = f"[{_SIGN_STYLE[row.change_sign]}]{_text(row.change, -8)}[/]"
    age = _text(row.age, -7)
    tail = ""
    if row.strike:
        tail = f"  [{_SIGN_STYLE[row.strike_sign]}]{_text(row.strike)}[/]"
    if row.note:
        tail += f"  [{_NOTE_STYLE.get(row.note, '$text-warning')}]{_text(row.note)}[/]"
    return f"{mark}{sym}{spot} {src1}{second} {src2}{basis} {change} {age}{tail}"


WIDE = len(HEADER)
"""Narrower than this (the dashboard's 48-column side column), each symbol takes two or three
short lines instead of one long one (``compact_row_markup``)."""
COMPACT_HEADER = f"{'':1}{'sym':<4}{'spot':>12} {'source':<9}{'change':>8} {'age':>6}"


_SHORT_NOTE = {"waiting for next round": "next round"}
"""Notes as the compact layout's second line says them (10 columns at most)."""


def compact_row_markup(row: PriceRow) -> str:
    """At most 43 columns a line: spot, its source, change, age; then the TWAP or second
    source with the basis (or, while the row has a note, the note in the basis' place); then
    the strike distance, when the selected market names a strike on this symbol. A note never
    adds a line: the board keeps its height as Chainlink pauses come and go (a height change
    lays the whole screen out again)."""
    mark = "▸" if row.selected else " "
    change = f"[{_SIGN_STYLE[row.change_sign]}]{_text(row.change, -8)}[/]"
    lines = [
        f"{mark}[b]{_text(row.symbol, 4)}{_text(row.spot, -12)}[/b] "
        f"[$text-muted]{_text(row.spot_source[:9], 9)}[/]{change} {_text(row.age, -6)}"
    ]
    if row.note:
        note = _SHORT_NOTE.get(row.note, row.note)[:10]
        last = f"[{_NOTE_STYLE.get(row.note, '$text-warning')}]{_text(note, -10)}[/]"
    else:
        last = _text(row.basis, -10)
    if row.second_source or row.note:
        lines.append(
            f"{'':5}{_text(row.second, -12)} [$text-muted]{_text(row.second_source[:14], 14)}[/] "
            f"{last}"
        )
    if row.strike:
        lines.append(
            f"{'':5}[{_SIGN_STYLE[row.strike_sign]}]strike {_text(row.strike)}[/]"
        )
    return "\n".join(lines)


def board_markup(data: PriceBoardData | None, *, compact: bool = False) -> str:
    if data is None or (not data.rows and not data.notices):
        return "[$text-muted]no reference prices yet[/]"
    header = COMPACT_HEADER if compact else HEADER
    lines = [f"[$text-muted]{escape(header)}[/]"]
    lines.extend(compact_row_markup(row) if compact else row_markup(row) for row in data.rows)
    lines.extend(f"[$text-warning]{_text(n)}[/]" for n in data.notices)
    return "\n".join(lines)


class PriceBoardView(Static):
    """The reference-price board. Push data with ``update_board``."""

    DEFAULT_CSS = """
    PriceBoardView {
        height: auto;
        min-height: 3;
        border: round $border-blurred;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=True)
        self.border_title = "prices"
        self._data: PriceBoardData | None = None
        self._compact = False

    def update_board(self, data: PriceBoardData | None) -> None:
        """Show ``data`` (nothing is repainted when it equals what is shown)."""
        if data == self._data and data is not None:
            return
        self._data = data
        if data is not None:
            self.border_title = Content(printable(data.title))
        self._render_data()

    def _render_data(self) -> None:
        compact = 0 < self.content_size.width < WIDE
        self._compact = compact
        self.update(Content.from_markup(board_markup(self._data, compact=compact)))

    def on_resize(self) -> None:
        if (0 < self.content_size.width < WIDE) != self._compact:
            self._render_data()
