"""TradeTape: the latest trades, newest first, drawn line by line.

Each line's key is its trade, so after new trades arrive the lines that only moved down keep
their Strips (see ``LineView``); only new trades are formatted.

Prices are shown to the tick, or finer when a trade shown is off it (trades made before the tick
coarsened): then every price takes the decimals that trade needs, so the decimal points stay in
one column, as in the book ladder. The lines are laid out again only when that changes.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, tzinfo
from itertools import islice
from math import gcd
from typing import ClassVar, NamedTuple

from textual.strip import Strip

from pmdash.models import Trade
from pmdash.units import fmt_price, fmt_size
from pmdash.widgets._line_view import BLANK, LineView
from pmdash.widgets._strips import Part, centred, strip_of

_TIME_W = 12
_SIDE_W = 4


def fmt_time_ms(timestamp_ms: int, tz: tzinfo = UTC) -> str:
    """``HH:MM:SS.mmm`` of a Unix-milliseconds timestamp in ``tz``."""
    seconds, millis = divmod(timestamp_ms, 1000)
    return datetime.fromtimestamp(seconds, tz).strftime("%H:%M:%S") + f".{millis:03d}"


class _Columns(NamedTuple):
    """What every trade line's layout depends on."""

    tick: int
    """The tick prices are shown to: the current one, or finer for trades off it."""
    price_w: int
    size_w: int
    tz: tzinfo


class TradeTape(LineView):
    """The trade tape of one outcome. Push trades (newest first) with ``update_trades``.

    Times are shown in ``tz`` (UTC unless told otherwise), and the border title says which.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "trade-tape--header",
        "trade-tape--time",
        "trade-tape--buy",
        "trade-tape--sell",
        "trade-tape--unknown",
        "trade-tape--empty",
    }

    DEFAULT_CSS = """
    TradeTape {
        height: 1fr;
        & > .trade-tape--header { color: $text-muted; text-style: bold; }
        & > .trade-tape--time { color: $text-muted; }
        & > .trade-tape--buy { color: $text-success; }
        & > .trade-tape--sell { color: $text-error; }
        & > .trade-tape--unknown { color: $text-muted; }
        & > .trade-tape--empty { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(
        self,
        *,
        tz: tzinfo = UTC,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.tz = tz
        self._trades: Sequence[Trade] = ()
        self._tick = 10_000

    def on_mount(self) -> None:
        name = self.tz.tzname(None)
        self.border_title = f"Trades ({name})" if name else "Trades"

    @property
    def trades(self) -> Sequence[Trade]:
        """The trades shown now (newest first; only as many as fit are drawn)."""
        return self._trades

    def update_trades(self, trades: Sequence[Trade], tick: int) -> None:
        """Show ``trades`` (newest first) with prices to ``tick``'s decimals, or more when a
        trade shown needs them (all prices then get as many, so they stay aligned)."""
        self._trades = trades
        self._tick = tick
        self.update_lines()

    def line_keys(self, width: int, height: int) -> list[Hashable]:
        if not self._trades:
            keys = [BLANK] * height
            keys[height // 2] = ("empty",)
            return keys
        shown = list(islice(self._trades, height - 1))
        tick = self._tick
        for trade in shown:
            if trade.price % tick:
                tick = gcd(tick, trade.price)
        price_w = max(5, len(fmt_price(1_000_000 - tick, tick)))
        size_w = max(4, width - (1 + _TIME_W + 1 + _SIDE_W + 1 + price_w + 1) - 1)
        columns = _Columns(tick, price_w, size_w, self.tz)
        keys: list[Hashable] = [("header", columns)]
        keys.extend(("trade", columns, trade) for trade in shown)
        keys.extend([BLANK] * (height - len(keys)))
        return keys

    def build_line(self, key: Hashable, width: int) -> Strip:
        assert isinstance(key, tuple)
        base = self.base_style
        style = self.component_style
        kind = key[0]
        if kind == "trade":
            columns: _Columns = key[1]
            trade: Trade = key[2]
            side_style = style(_SIDE_CLASS.get(trade.side or "", "trade-tape--unknown"))
            time_text = " " + fmt_time_ms(trade.timestamp, columns.tz).ljust(_TIME_W)
            parts: list[Part] = [
                (time_text, style("trade-tape--time")),
                (" " + (trade.side or "?").ljust(_SIDE_W), side_style),
                (" " + fmt_price(trade.price, columns.tick).rjust(columns.price_w), side_style),
                (" " + fmt_size(trade.size).rjust(columns.size_w), base),
            ]
            return strip_of(parts, width, base)
        if kind == "header":
            columns = key[1]
            header = (
                " "
                + "TIME".ljust(_TIME_W)
                + " "
                + "SIDE".ljust(_SIDE_W)
                + " "
                + "PRICE".rjust(columns.price_w)
                + " "
                + "SIZE".rjust(columns.size_w)
            )
            return strip_of([(header, style("trade-tape--header"))], width, base)
        if kind == "empty":
            left, text, right = centred("no trades yet", width)
            empty = style("trade-tape--empty")
            return strip_of([(left, base), (text, empty), (right, base)], width, base)
        return Strip.blank(width, base)


_SIDE_CLASS = {"BUY": "trade-tape--buy", "SELL": "trade-tape--sell"}
