"""MarketHeader: the selected market's question, the shown outcome and its top of book.

Two keyed lines (see ``LineView``): a price change repaints the second line only.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar

from rich.cells import cell_len
from textual.strip import Strip

from pmdash.units import fmt_price
from pmdash.widgets._line_view import BLANK, DataLineView
from pmdash.widgets._strips import LeanStrip, Part, cells, ellipsize, strip_of
from pmdash.widgets.data import HeaderData

_STATE_CLASS = {
    "live": "market-header--good",
    "stale": "market-header--warn",
    "desynced": "market-header--bad",
    "empty": "market-header--muted",
    "missing": "market-header--warn",
    "final": "market-header--muted",
}
_STATE_TEXT = {"missing": ("not sent", "no book")}
"""What the prices line says for a state after "book", and alone on a narrow line, where not
the state's own name."""


class MarketHeader(DataLineView[HeaderData]):
    """Two lines: question (and a RESOLVED badge); outcome, bid/ask/spread/mid/last/tick and
    the book state with its heal count. Push data with ``update_header``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "market-header--question",
        "market-header--outcome",
        "market-header--label",
        "market-header--resolved",
        "market-header--good",
        "market-header--warn",
        "market-header--bad",
        "market-header--muted",
    }

    DEFAULT_CSS = """
    MarketHeader {
        height: 2;
        & > .market-header--question { text-style: bold; }
        & > .market-header--outcome {
            background: $primary-muted;
            color: $text-primary;
            text-style: bold;
        }
        & > .market-header--label { color: $text-muted; }
        & > .market-header--resolved {
            background: $success-muted;
            color: $text-success;
            text-style: bold;
        }
        & > .market-header--good { color: $text-success; }
        & > .market-header--warn { color: $text-warning; }
        & > .market-header--bad { color: $text-error; }
        & > .market-header--muted { color: $text-muted; }
    }
    """

    def on_mount(self) -> None:
        self._update_title()

    def update_header(self, data: HeaderData | None) -> None:
        """Show ``data`` (None: no market selected)."""
        self._data = data
        self._update_title()
        self.update_lines()

    def _update_title(self) -> None:
        title = self._data.slug if self._data and self._data.slug else "Market"
        self.set_title(title)

    def line_keys(self, width: int, height: int) -> list[Hashable]:
        data = self._data
        keys: list[Hashable] = [BLANK] * height
        if data is None:
            keys[0] = ("none",)
        else:
            keys[0] = ("question", data.question, data.resolved)
            if height > 1:
                keys[1] = ("prices", data)
        return keys

    def build_line(self, key: Hashable, width: int) -> Strip:
        assert isinstance(key, tuple)
        base = self.base_style
        get = self.component_style
        kind = key[0]
        if kind == "none":
            return strip_of([(" no market selected", get("market-header--muted"))], width, base)
        if kind == "question":
            return self._question_line(key[1], key[2], width)
        if kind == "prices":
            return self._prices_line(key[1], width)
        return Strip.blank(width, base)

    def _question_line(self, question: str, resolved: str | None, width: int) -> Strip:
        base = self.base_style
        badge: list[Part] = []
        if resolved is not None:
            badge = [(f" RESOLVED: {resolved} ", self.component_style("market-header--resolved"))]
        badge_w = cells(badge)
        question = ellipsize(question, max(0, width - badge_w - 2))
        return strip_of(
            [
                (" " + question, self.component_style("market-header--question")),
                (" " * max(0, width - badge_w - 1 - cell_len(question)), base),
                *badge,
            ],
            width,
            base,
        )

    def _prices_line(self, data: HeaderData, width: int) -> Strip:
        """Outcome, prices, last trade and tick, then the book's state at the right.

        When that does not fit, the line gives up, in order: the word "book" and the heal
        count; spread, mid and tick (the ladder's middle line shows spread and mid); the last
        trade's side word (its colour stays); the bid and ask labels ("0.62/0.65", in the bid
        and ask colours); then its end, cut with "…". The state itself always stays: it says
        whether to trust the prices.
        """
        base = self.base_style
        get = self.component_style
        state_style = get(_STATE_CLASS.get(data.book_state, "market-header--muted"))
        state, alone = _STATE_TEXT.get(data.book_state, (data.book_state, data.book_state))
        label = get("market-header--label")
        parts = self._price_parts(data, 0)
        right: list[Part] = [
            (" book ", label),
            (state, state_style),
            (" · heals ", label),
            (str(data.heals), base),
            (" ", base),
        ]
        if cells(parts) + cells(right) > width:
            right = [(" ", base), (alone, state_style), (" ", base)]
            for level in (1, 2, 3):
                if cells(parts) + cells(right) <= width:
                    break
                parts = self._price_parts(data, level)
        left_w = max(0, width - cells(right))
        second = strip_of(parts, left_w, base, ellipsis=True)
        return LeanStrip([*second, *strip_of(right, width - left_w, base)], width)

    def _price_parts(self, data: HeaderData, level: int) -> list[Part]:
        """The left of the prices line, tighter with each ``level``: 1 without spread, mid and
        tick; 2 also without the last trade's side word; 3 also without the bid/ask labels."""
        base = self.base_style
        get = self.component_style
        label = get("market-header--label")
        tick = data.tick if data.tick is not None else 10_000
        side_style = {
            "BUY": get("market-header--good"),
            "SELL": get("market-header--bad"),
        }.get(data.last_trade_side or "", base)
        parts: list[Part] = [(" ", base)]
        if data.outcome:
            parts += [(f" {data.outcome} ", get("market-header--outcome")), (" ", base)]
        if level >= 3:
            parts += [
                (" ", base),
                (fmt_price(data.best_bid, tick), get("market-header--good")),
                ("/", label),
                (fmt_price(data.best_ask, tick), get("market-header--bad")),
                (" ", base),
            ]
        else:
            prices = [("bid", data.best_bid), ("ask", data.best_ask)]
            if level == 0:
                prices += [("spread", data.spread), ("mid", data.mid)]
            for name, value in prices:
                parts += [(f" {name} ", label), (fmt_price(value, tick), base), (" ", base)]
        parts += [(" last ", label), (fmt_price(data.last_trade_price, tick), side_style)]
        if data.last_trade_side and level < 2:
            parts.append((f" {data.last_trade_side}", side_style))
        if level == 0:
            parts += [(" ", base), (" tick ", label)]
            parts.append((fmt_price(data.tick, data.tick) if data.tick else "-", base))
        return parts
