"""TradeTape: the latest trades, newest first, drawn line by line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from itertools import islice
from typing import ClassVar

from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from pmdash.models import Trade
from pmdash.units import fmt_price, fmt_size
from pmdash.widgets._strips import Part, centred, strip_of

_TIME_W = 12
_SIDE_W = 4


def fmt_time_ms(timestamp_ms: int, tz: tzinfo = UTC) -> str:
    """``HH:MM:SS.mmm`` of a Unix-milliseconds timestamp in ``tz``."""
    seconds, millis = divmod(timestamp_ms, 1000)
    return datetime.fromtimestamp(seconds, tz).strftime("%H:%M:%S") + f".{millis:03d}"


class TradeTape(Widget):
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
        self._lines: list[Strip] | None = None
        self._lines_size = Size(0, 0)

    def on_mount(self) -> None:
        name = self.tz.tzname(None)
        self.border_title = f"Trades ({name})" if name else "Trades"

    def update_trades(self, trades: Sequence[Trade], tick: int) -> None:
        """Show ``trades`` (newest first) with prices aligned to ``tick``."""
        self._trades = trades
        self._tick = tick
        self._lines = None
        self.refresh()

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

    def _build(self, width: int, height: int) -> list[Strip]:
        base = self.rich_style
        if width <= 0 or height <= 0:
            return []
        get = self.get_component_rich_style
        blank = Strip.blank(width, base)
        if not self._trades:
            lines = [blank] * height
            left, text, right = centred("no trades yet", width)
            empty = get("trade-tape--empty")
            lines[height // 2] = strip_of([(left, base), (text, empty), (right, base)], width, base)
            return lines

        tick = self._tick
        price_w = max(5, len(fmt_price(1_000_000 - tick, tick)))
        size_w = max(4, width - (1 + _TIME_W + 1 + _SIDE_W + 1 + price_w + 1) - 1)
        header = (
            " "
            + "TIME".ljust(_TIME_W)
            + " "
            + "SIDE".ljust(_SIDE_W)
            + " "
            + "PRICE".rjust(price_w)
            + " "
            + "SIZE".rjust(size_w)
        )
        lines = [strip_of([(header, get("trade-tape--header"))], width, base)]
        styles: dict[str | None, Style] = {
            "BUY": get("trade-tape--buy"),
            "SELL": get("trade-tape--sell"),
        }
        unknown = get("trade-tape--unknown")
        time_style = get("trade-tape--time")
        tz = self.tz
        for trade in islice(self._trades, height - 1):
            side_style = styles.get(trade.side, unknown)
            parts: list[Part] = [
                (" " + fmt_time_ms(trade.timestamp, tz).ljust(_TIME_W), time_style),
                (" " + (trade.side or "?").ljust(_SIDE_W), side_style),
                (" " + fmt_price(trade.price, tick).rjust(price_w), side_style),
                (" " + fmt_size(trade.size).rjust(size_w), base),
            ]
            lines.append(strip_of(parts, width, base))
        lines.extend([blank] * (height - len(lines)))
        return lines
