"""BookLadder: one outcome's order book as a price ladder, drawn line by line.

Asks sit above the middle line (best ask nearest it), bids below (best bid nearest it); each level
shows price, size, cumulative size and a depth bar scaled to the deepest cumulative size shown.

Focused, the ladder scrolls through the book's depth: ``j``/``k`` (or the arrows) move the window
of shown levels one level away from (towards) the touch on both sides at once, page down/up a
whole window, ``home`` back to the touch. Scrolled by N, the N best levels of each side are left
out: the asks shown start at the (N+1)th best ask, the bids at the (N+1)th best bid, with the mid
line between them still giving the touch's spread and mid. The title, and the mid line, say
"depth +N" while it is scrolled, so deep levels are never taken for the top of the book. The
offset is view state held here; a change is posted (``DepthChanged``) so the App pushes as many
levels as it needs.

Each line is a key (what it shows); an update compares the new keys with the shown ones and
rebuilds and repaints only the lines that changed (see ``LineView``): no per-cell widgets.
"""

from __future__ import annotations

import textwrap
from collections.abc import Hashable, Sequence
from functools import lru_cache
from math import gcd
from typing import Any, ClassVar, NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from pmdash.units import fmt_price, fmt_size
from pmdash.widgets._line_view import BLANK, DataLineView
from pmdash.widgets._strips import LeanStrip, centred, strip_of
from pmdash.widgets.data import LadderData, LadderLevel

_EIGHTHS = " ▏▎▍▌▋▊▉"
_GAP = "  "
_price_text = lru_cache(maxsize=4096)(fmt_price)
_size_text = lru_cache(maxsize=16384)(fmt_size)


def bar_eighths(fraction: float, width: int) -> int:
    """How many eighths of a cell a bar of ``fraction`` (0..1) of ``width`` cells fills (at least
    one when ``fraction`` is above zero)."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    return 1 if eighths == 0 and fraction > 0 else eighths


def bar_text(eighths: int) -> str:
    """A left-aligned bar of ``eighths`` eighths of a cell."""
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def depth_bar(fraction: float, width: int) -> str:
    """A left-aligned bar of ``fraction`` (0..1) of ``width`` cells, in eighths of a cell."""
    return bar_text(bar_eighths(fraction, width))


NO_BOOK = ("empty", "missing")
"""States with no book to show: the ladder shows one line in its middle instead."""


def banner_text(data: LadderData | None) -> str | None:
    """The line shown across the ladder when the book is not live (None when it is)."""
    if data is None:
        return "waiting for book"
    if data.state == "empty":
        return f"waiting for book — {data.detail}" if data.detail else "waiting for book"
    if data.state == "missing":
        return data.detail or "no book from the server"
    if data.state == "stale":
        return f"STALE — {data.detail}" if data.detail else "STALE — resyncing"
    if data.state == "desynced":
        return f"DESYNCED: {data.detail or 'book mismatch'} — requesting snapshot"
    if data.state == "final":
        if data.detail:
            return f"RESOLVED — {data.detail}; no longer streamed"
        return "RESOLVED — the book as it closed, no longer streamed"
    return None


class _Layout(NamedTuple):
    """Column widths of the visible levels (equal layouts draw equal columns)."""

    tick: int
    price_w: int
    size_w: int
    cum_w: int
    bar_w: int
    used: int
    """Cells taken by price, size and total (and their gaps), before the bar."""


def column_layout(
    asks: Sequence[LadderLevel], bids: Sequence[LadderLevel], tick: int, width: int
) -> tuple[_Layout, int]:
    """The column widths for these levels in ``width`` cells, and the deepest total shown.

    Prices are shown to the tick, or finer if a level is off it (a book keeps its levels when
    the tick coarsens): then every price takes the decimals that level needs, so the decimal
    points stay in one column.
    """
    max_cum = 0
    max_size = 0
    for price, size, cum in (*asks, *bids):
        if cum > max_cum:
            max_cum = cum
        if size > max_size:
            max_size = size
        if price % tick:
            tick = gcd(tick, price)
    price_w = max(5, len(fmt_price(1_000_000 - tick, tick)))
    size_w = max(4, len(fmt_size(max_size)))
    cum_w = max(5, len(fmt_size(max_cum)))
    used = 1 + price_w + 2 + size_w + 2 + cum_w
    if used > width:  # too narrow for totals: the depth bars still show them
        used -= 2 + cum_w
        cum_w = 0
    bar_w = width - used - 3
    return _Layout(tick, price_w, size_w, cum_w, bar_w if bar_w >= 3 else 0, used), max_cum


def levels_per_side(data: LadderData | None, height: int) -> int:
    """How many levels of each side a ladder ``height`` lines high shows (below its column
    header, the banner of a book that is not live, and around the mid line)."""
    banner = 1 if data is not None and data.state not in NO_BOOK and banner_text(data) else 0
    return max(0, (height - banner - 2) // 2)


class BookLadder(DataLineView[LadderData], can_focus=True):
    """A price ladder of one order book. Push data with ``update_book``.

    Focused, it scrolls through the book's depth (see the module); ``depth_offset`` is how many
    of the best levels of each side it leaves out, and ``DepthChanged`` is posted when the user
    changes it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "deeper", "Depth", key_display="↑↓ j k"),
        Binding("k,up", "shallower", "Depth", show=False),
        Binding("pagedown", "page_deeper", "Page deeper", show=False),
        Binding("pageup", "page_shallower", "Page towards the touch", show=False),
        Binding("home", "touch", "Top"),
    ]

    class DepthChanged(Message):
        """The user scrolled the ladder: it now leaves out the ``offset`` best levels of each
        side (and needs ``offset`` more levels than it shows)."""

        def __init__(self, offset: int) -> None:
            super().__init__()
            self.offset = offset

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "book-ladder--header",
        "book-ladder--bid",
        "book-ladder--ask",
        "book-ladder--bid-bar",
        "book-ladder--ask-bar",
        "book-ladder--cumulative",
        "book-ladder--mid",
        "book-ladder--depth",
        "book-ladder--inactive",
        "book-ladder--stale",
        "book-ladder--desynced",
        "book-ladder--final",
        "book-ladder--waiting",
        "book-ladder--missing",
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
        & > .book-ladder--depth { color: $text-warning; text-style: bold; }
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
        & > .book-ladder--final {
            background: $success-muted;
            color: $text-success;
            text-style: bold;
        }
        & > .book-ladder--waiting { color: $text-muted; text-style: italic; }
        & > .book-ladder--missing { color: $text-warning; text-style: bold; }
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
        super().__init__(data, name=name, id=id, classes=classes)
        self._offset = 0

    @property
    def depth_offset(self) -> int:
        """How many of the best levels of each side are left out (0: the ladder starts at the
        touch). The App passes that many levels more than it would otherwise."""
        return self._offset

    def update_book(self, data: LadderData | None) -> None:
        """Show ``data`` (None: no book selected yet); repaints only the lines that changed.

        ``data`` holds the best levels, from the touch: the ladder shows those after its
        ``depth_offset``."""
        self._data = data
        self._update_titles()
        self.update_lines()

    def reset_depth(self) -> None:
        """Back to the touch, without a ``DepthChanged`` (the App calls it for another book,
        and pushes that book next)."""
        self._set_offset(0, notify=False)

    def on_mount(self) -> None:
        self._update_titles()

    # --- scrolling -----------------------------------------------------------------------

    def action_deeper(self) -> None:
        self._set_offset(self._offset + 1)

    def action_shallower(self) -> None:
        self._set_offset(self._offset - 1)

    def action_page_deeper(self) -> None:
        self._set_offset(self._offset + max(1, self._per_side()))

    def action_page_shallower(self) -> None:
        self._set_offset(self._offset - max(1, self._per_side()))

    def action_touch(self) -> None:
        self._set_offset(0)

    def _per_side(self) -> int:
        return levels_per_side(self._data, self.size.height)

    def _set_offset(self, offset: int, *, notify: bool = True) -> None:
        """Scroll to ``offset``, no deeper than the window that shows the deepest level of the
        deeper side; nothing to scroll for a book that fits (or no book)."""
        if offset > self._offset:
            data = self._data
            if data is None or data.state in NO_BOOK:
                deepest = 0
            else:
                deepest = max(data.depth_bids, data.depth_asks, len(data.bids), len(data.asks))
            offset = min(offset, max(self._offset, deepest - self._per_side()))
        offset = max(0, offset)
        if offset == self._offset:
            return
        self._offset = offset
        self._update_titles()
        self.update_lines()
        if notify:
            self.post_message(self.DepthChanged(offset))

    # --- lines ---------------------------------------------------------------------------

    def _update_titles(self) -> None:
        data = self._data
        title = f"Book · {data.outcome}" if data and data.outcome else "Book"
        if self._offset:
            title += f" · depth +{self._offset}"
        subtitle = ""
        if data is not None and data.state not in NO_BOOK:
            bids, asks = data.depth_bids, data.depth_asks
            subtitle = f"{bids} bid{'s' * (bids != 1)} · {asks} ask{'s' * (asks != 1)}"
            if data.other_outcome:
                subtitle += f" · o: {data.other_outcome}"
        self.set_title(title)
        self.set_subtitle(subtitle)

    def line_keys(self, width: int, height: int) -> list[Hashable]:
        data = self._data
        banner = banner_text(data)
        if data is None or data.state in NO_BOOK:
            # One line in the middle; one that does not fit (with a margin each side) is broken
            # at its " — " first, then wrapped.
            blank: list[Hashable] = [BLANK] * height
            kind = "missing" if data is not None and data.state == "missing" else "waiting"
            text, room = banner or "", max(1, width - 2)
            parts = text.split(" — ") if len(text) > room else [text]
            lines = [line for part in parts for line in textwrap.wrap(part, room)] or [""]
            top = max(0, min(height // 2 - (len(lines) - 1) // 2, height - len(lines)))
            for row, text in enumerate(lines[:height], top):
                blank[row] = (kind, text)
            return blank

        keys: list[Hashable] = []
        if banner is not None:
            keys.append(("banner", data.state, banner))
        per_side = levels_per_side(data, height)
        offset = self._offset
        asks = data.asks[offset : offset + per_side]
        bids = data.bids[offset : offset + per_side]
        layout, max_cum = column_layout(asks, bids, data.tick, width)
        keys.append(("header", layout))
        live = data.state == "live"
        bar_w = layout.bar_w if max_cum else 0
        keys.extend([BLANK] * (per_side - len(asks)))
        for index in range(len(asks) - 1, -1, -1):
            price, size, cum = asks[index]
            eighths = bar_eighths(cum / max_cum, bar_w) if bar_w else -1
            keys.append(("ask", live, layout, price, size, cum, eighths))
        mid = _mid_text(data)
        keys.append(("mid", f" depth +{offset}", " ·" + mid) if offset else ("mid", "", mid))
        for price, size, cum in bids:
            eighths = bar_eighths(cum / max_cum, bar_w) if bar_w else -1
            keys.append(("bid", live, layout, price, size, cum, eighths))
        keys.extend([BLANK] * (height - len(keys)))
        return keys[:height]

    def build_line(self, key: Hashable, width: int) -> Strip:
        assert isinstance(key, tuple)
        base = self.base_style
        kind = key[0]
        if kind == "ask" or kind == "bid":
            return self._level_line(key, width, base)
        if kind == "blank":
            return Strip.blank(width, base)
        if kind == "mid":
            return self._mid_line(key[1], key[2], width, base)
        if kind == "header":
            return self._header_line(key[1], width, base)
        if kind == "banner":
            style = self.component_style(f"book-ladder--{key[1]}")
            return strip_of([("".join(centred(key[2], width)), style)], width, style)
        # "waiting" or "missing"
        style = self.component_style(f"book-ladder--{kind}")
        left, text, right = centred(key[1], width)
        return strip_of([(left, base), (text, style), (right, base)], width, base)

    def _mid_line(self, depth: str, text: str, width: int, base: Style) -> Strip:
        """The line between asks and bids: the touch's spread and mid, after the depth shown
        (in the depth style) while the ladder is scrolled."""
        style = self.component_style("book-ladder--mid")
        left, middle, right = centred(depth + text, width, "─")
        cut = min(len(depth), len(middle))
        parts = [
            (left, style),
            (middle[:cut], self.component_style("book-ladder--depth")),
            (middle[cut:], style),
            (right, style),
        ]
        return strip_of(parts, width, base)

    def _header_line(self, layout: _Layout, width: int, base: Style) -> Strip:
        style = self.component_style("book-ladder--header")
        text = (
            " "
            + "PRICE".rjust(layout.price_w)
            + _GAP
            + "SIZE".rjust(layout.size_w)
            + (_GAP + "TOTAL".rjust(layout.cum_w) if layout.cum_w else "")
            + (_GAP + "DEPTH" if layout.bar_w else "")
        )
        return strip_of([(text, style)], width, base)

    def _level_line(self, key: tuple[Any, ...], width: int, base: Style) -> Strip:
        side, live, layout, price, size, cum, eighths = key
        style = self.component_style
        if live:
            price_style = style(f"book-ladder--{side}")
            bar_style = style(f"book-ladder--{side}-bar")
        else:
            price_style = bar_style = style("book-ladder--inactive")
        segments = [
            Segment(" " + _price_text(price, layout.tick).rjust(layout.price_w), price_style),
            Segment(_GAP + _size_text(size).rjust(layout.size_w), base),
        ]
        if layout.cum_w:
            cum_text = _GAP + _size_text(cum).rjust(layout.cum_w)
            segments.append(Segment(cum_text, style("book-ladder--cumulative")))
        used = layout.used
        if eighths >= 0:
            bar = bar_text(eighths)
            segments.append(Segment(_GAP, base))
            if bar:
                segments.append(Segment(bar, bar_style))
            used += 2 + len(bar)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        strip = LeanStrip(segments, max(used, width))
        return strip if used <= width else strip.adjust_cell_length(width, base)


def _mid_text(data: LadderData) -> str:
    """The touch's spread and mid, or the side that is missing."""
    bid = data.bids[0][0] if data.bids else None
    ask = data.asks[0][0] if data.asks else None
    if bid is not None and ask is not None:
        tick = data.tick
        return f" spread {fmt_price(ask - bid, tick)} · mid {fmt_price((ask + bid) // 2, tick)} "
    if bid is None and ask is None:
        return " no bids · no asks "
    return " no bids " if bid is None else " no asks "
