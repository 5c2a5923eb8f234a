"""BookLadder: one outcome's order book as a price ladder, drawn line by line.

Asks sit above the middle line (best ask nearest it), bids below (best bid nearest it); each level
shows price, size, cumulative size and a depth bar scaled to the deepest cumulative size shown.
The widget keeps the Strips of its last build and rebuilds them only when the data, its size or
the theme change: an update costs one pass over the visible levels, no per-cell widgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from pmdash.units import fmt_price, fmt_size
from pmdash.widgets._strips import Part, centred, strip_of
from pmdash.widgets.data import LadderData, LadderLevel

_EIGHTHS = " ▏▎▍▌▋▊▉"
_GAP = "  "


def depth_bar(fraction: float, width: int) -> str:
    """A left-aligned bar of ``fraction`` (0..1) of ``width`` cells, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    if eighths == 0 and fraction > 0:
        eighths = 1
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def banner_text(data: LadderData | None) -> str | None:
    """The line shown across the ladder when the book is not live (None when it is)."""
    if data is None:
        return "waiting for book"
    if data.state == "empty":
        return f"waiting for book — {data.detail}" if data.detail else "waiting for book"
    if data.state == "stale":
        return f"STALE — resyncing ({data.detail})" if data.detail else "STALE — resyncing"
    if data.state == "desynced":
        return f"DESYNCED: {data.detail or 'book mismatch'} — requesting snapshot"
    return None


class BookLadder(Widget):
    """A price ladder of one order book. Push data with ``update_book``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "book-ladder--header",
        "book-ladder--bid",
        "book-ladder--ask",
        "book-ladder--bid-bar",
        "book-ladder--ask-bar",
        "book-ladder--cumulative",
        "book-ladder--mid",
        "book-ladder--inactive",
        "book-ladder--stale",
        "book-ladder--desynced",
        "book-ladder--waiting",
    }

    DEFAULT_CSS = """
    BookLadder {
        height: 1fr;
        & > .book-ladder--header { color: $text-muted; text-style: bold; }
        & > .book-ladder--bid { color: $text-success; }
        & > .book-ladder--ask { color: $text-error; }
        & > .book-ladder--bid-bar { color: $success 70%; }
        & > .book-ladder--ask-bar { color: $error 70%; }
        & > .book-ladder--cumulative { color: $text-muted; }
        & > .book-ladder--mid { color: $text-muted; }
        & > .book-ladder--inactive { color: $text-disabled; }
        & > .book-ladder--stale {
            background: $warning-muted;
            color: $text-warning;
            text-style: bold;
        }
        & > .book-ladder--desynced {
            background: $error-muted;
            color: $text-error;
            text-style: bold;
        }
        & > .book-ladder--waiting { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(
        self,
        data: LadderData | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._data = data
        self._lines: list[Strip] | None = None
        self._lines_size = Size(0, 0)

    @property
    def data(self) -> LadderData | None:
        """The data shown now."""
        return self._data

    def update_book(self, data: LadderData | None) -> None:
        """Show ``data`` (None: no book selected yet)."""
        self._data = data
        self._lines = None
        self._update_titles()
        self.refresh()

    def on_mount(self) -> None:
        self._update_titles()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines = None

    def render_line(self, y: int) -> Strip:
        size = self.size
        if self._lines is None or self._lines_size != size:
            self._lines = self._build(size.width, size.height)
            self._lines_size = size
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(size.width, self.rich_style)

    # --- building ------------------------------------------------------------------------

    def _update_titles(self) -> None:
        data = self._data
        title = f"Book · {data.outcome}" if data and data.outcome else "Book"
        subtitle = ""
        if data is not None and data.state != "empty":
            subtitle = f"{data.depth_bids} bids · {data.depth_asks} asks"
            if data.other_outcome:
                subtitle += f" · o: {data.other_outcome}"
        if self.border_title != title:
            self.border_title = title
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    def _build(self, width: int, height: int) -> list[Strip]:
        base = self.rich_style
        if width <= 0 or height <= 0:
            return []
        blank = Strip.blank(width, base)
        data = self._data
        banner = banner_text(data)
        if data is None or data.state == "empty":
            lines = [blank] * height
            waiting = self.get_component_rich_style("book-ladder--waiting")
            left, text, right = centred(banner or "", width)
            lines[height // 2] = strip_of(
                [(left, base), (text, waiting), (right, base)], width, base
            )
            return lines

        lines: list[Strip] = []
        if banner is not None:
            style = self.get_component_rich_style(f"book-ladder--{data.state}")
            lines.append(strip_of([("".join(centred(banner, width)), style)], width, style))
        per_side = max(0, (height - len(lines) - 2) // 2)
        asks = data.asks[:per_side]
        bids = data.bids[:per_side]
        rows = _Columns(asks, bids, data.tick, width)
        lines.append(self._header_line(rows, width, base))

        live = data.state == "live"
        get = self.get_component_rich_style
        inactive = get("book-ladder--inactive")
        ask_style = get("book-ladder--ask") if live else inactive
        bid_style = get("book-ladder--bid") if live else inactive
        ask_bar = get("book-ladder--ask-bar") if live else inactive
        bid_bar = get("book-ladder--bid-bar") if live else inactive
        cum_style = get("book-ladder--cumulative")

        lines.extend([blank] * (per_side - len(asks)))
        for index in range(len(asks) - 1, -1, -1):
            lines.append(rows.line(asks[index], ask_style, base, cum_style, ask_bar))
        lines.append(self._mid_line(data, width, base))
        for level in bids:
            lines.append(rows.line(level, bid_style, base, cum_style, bid_bar))
        lines.extend([blank] * (height - len(lines)))
        return lines[:height]

    def _header_line(self, rows: _Columns, width: int, base: Style) -> Strip:
        style = self.get_component_rich_style("book-ladder--header")
        text = (
            " "
            + "PRICE".rjust(rows.price_w)
            + _GAP
            + "SIZE".rjust(rows.size_w)
            + (_GAP + "TOTAL".rjust(rows.cum_w) if rows.cum_w else "")
            + (_GAP + "DEPTH" if rows.bar_w else "")
        )
        return strip_of([(text, style)], width, base)

    def _mid_line(self, data: LadderData, width: int, base: Style) -> Strip:
        style = self.get_component_rich_style("book-ladder--mid")
        bid = data.bids[0][0] if data.bids else None
        ask = data.asks[0][0] if data.asks else None
        if bid is not None and ask is not None:
            tick = data.tick
            spread = fmt_price(ask - bid, tick)
            mid = fmt_price((ask + bid) // 2, tick)
            text = f" spread {spread} · mid {mid} "
        elif bid is None and ask is None:
            text = " no bids · no asks "
        else:
            text = " no bids " if bid is None else " no asks "
        return strip_of([(part, style) for part in centred(text, width, "─")], width, base)


class _Columns:
    """Column widths for the visible levels and the formatting of one level's line."""

    __slots__ = ("bar_w", "cum_w", "max_cum", "price_w", "size_w", "tick", "used", "width")

    def __init__(
        self,
        asks: Sequence[LadderLevel],
        bids: Sequence[LadderLevel],
        tick: int,
        width: int,
    ) -> None:
        self.tick = tick
        max_cum = 0
        max_size = 0
        for _, size, cum in (*asks, *bids):
            max_cum = max(max_cum, cum)
            max_size = max(max_size, size)
        self.max_cum = max_cum
        self.price_w = max(5, len(fmt_price(1_000_000 - tick, tick)))
        self.size_w = max(4, len(fmt_size(max_size)))
        self.cum_w = max(5, len(fmt_size(max_cum)))
        self.width = width
        self.used = 1 + self.price_w + 2 + self.size_w + 2 + self.cum_w
        if self.used > width:  # too narrow for totals: the depth bars still show them
            self.used -= 2 + self.cum_w
            self.cum_w = 0
        bar_w = width - self.used - 3
        self.bar_w = bar_w if bar_w >= 3 else 0

    def line(
        self,
        level: LadderLevel,
        price_style: Style,
        base: Style,
        cum_style: Style,
        bar_style: Style,
    ) -> Strip:
        price, size, cum = level
        parts: list[Part] = [
            (" " + fmt_price(price, self.tick).rjust(self.price_w), price_style),
            (_GAP + fmt_size(size).rjust(self.size_w), base),
        ]
        if self.cum_w:
            parts.append((_GAP + fmt_size(cum).rjust(self.cum_w), cum_style))
        used = self.used
        if self.bar_w and self.max_cum:
            bar = depth_bar(cum / self.max_cum, self.bar_w)
            parts.append((_GAP, base))
            parts.append((bar, bar_style))
            used += 2 + len(bar)
        if used < self.width:
            parts.append((" " * (self.width - used), base))
        strip = Strip([Segment(text, style) for text, style in parts], max(used, self.width))
        return strip if used <= self.width else strip.adjust_cell_length(self.width, base)
