"""TapeView: the latest trades, newest first, drawn line by line.

Each line's key is its trade, so after new trades arrive the lines that only moved down keep
their Strips (see ``LineView``); only new trades are formatted.

Focused, the tape scrolls back through older trades: ``j``/``k`` (or the arrows) a trade, page
down/up a screenful, ``home`` back to the newest. Scrolled back, it is paused: it keeps the same
trades in view as new ones arrive (the App says how many trades the tape has ever held, so it
knows how many came in above the view) and its title says how many newer trades are above
("37 newer ↑"); ``home``, or scrolling back up to the newest, resumes it. The position is view
state held here; a change is posted (``Scrolled``) so the App pushes as many trades as it needs.

Prices are shown to the tick, or finer when a trade shown is off it (trades made before the tick
coarsened): then every price takes the decimals that trade needs, so the decimal points stay in
one column, as in the book ladder. The lines are laid out again only when that changes.

Trades made while the connection was down are never received: where the App says the
connection was lost (a gap after trade number N), a marked line between trade N and the next
says trades may be missing there. While the book's connection cannot be trusted (``stale``),
the title says so.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, tzinfo
from math import gcd
from typing import ClassVar, NamedTuple

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from pmdash.models import Trade
from pmdash.units import fmt_price, fmt_size_within
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


class TapeView(LineView, can_focus=True):
    """The trade tape of one outcome. Push trades (newest first) with ``update_trades``.

    Times are shown in ``tz`` (UTC unless told otherwise), and the border title says which.
    Focused, it scrolls back through older trades (see the module).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "older", "Scroll", key_display="↑↓ j k"),
        Binding("k,up", "newer", "Scroll", show=False),
        Binding("pagedown", "page_older", "Page older", show=False),
        Binding("pageup", "page_newer", "Page newer", show=False),
        Binding("home", "newest", "Live"),
    ]

    class Scrolled(Message):
        """The user scrolled the tape: ``offset`` newer trades are now above the view (0: live,
        the newest on top)."""

        def __init__(self, offset: int) -> None:
            super().__init__()
            self.offset = offset

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "trade-tape--header",
        "trade-tape--time",
        "trade-tape--buy",
        "trade-tape--sell",
        "trade-tape--unknown",
        "trade-tape--empty",
        "trade-tape--gap",
    }

    DEFAULT_CSS = """
    TapeView {
        height: 1fr;
        & > .trade-tape--header { color: $text-muted; text-style: bold; }
        & > .trade-tape--time { color: $text-muted; }
        & > .trade-tape--buy { color: $text-success; }
        & > .trade-tape--sell { color: $text-error; }
        & > .trade-tape--unknown { color: $text-muted; }
        & > .trade-tape--empty { color: $text-muted; text-style: italic; }
        & > .trade-tape--gap { color: $text-warning; }
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
        self._total = 0
        """How many trades the tape has ever held: the newest one's number (the first is 1)."""
        self._kept = 0
        """How many trades the tape holds now (the oldest ones may not have been given)."""
        self._top: int | None = None
        """Scrolled back (paused): the number of the trade on top of the view; None: live."""
        self._gaps: dict[int, int | None] = {}
        """Trade number N -> when (ms) the connection was lost after it (None: not known)."""
        self._stale = False

    def on_mount(self) -> None:
        self._update_titles()

    @property
    def trades(self) -> Sequence[Trade]:
        """The trades given (newest first; only as many as fit are drawn, after ``newer_above``)."""
        return self._trades

    @property
    def newer_above(self) -> int:
        """How many newer trades are above the view (0: live, the newest on top)."""
        return self.offset_at(self._total)

    @property
    def paused(self) -> bool:
        """Whether the tape is scrolled back, keeping its trades in view as new ones come."""
        return self._top is not None

    def offset_at(self, total: int) -> int:
        """``newer_above`` once the tape has held ``total`` trades: the App passes this many trades
        more than it would otherwise."""
        return 0 if self._top is None else max(0, total - self._top)

    def update_trades(
        self,
        trades: Sequence[Trade],
        tick: int,
        total: int | None = None,
        kept: int | None = None,
        *,
        gaps: Sequence[tuple[int, int | None]] = (),
        stale: bool = False,
    ) -> None:
        """Show ``trades`` (newest first) with prices to ``tick``'s decimals, or more when a
        trade shown needs them (all prices then get as many, so they stay aligned).

        ``total`` is how many trades the tape has ever held (its newest trade's number), so a
        paused tape knows how many arrived above its view and keeps showing the same ones;
        without it, ``len(trades)`` (right for a list that only grows). ``kept`` is how many
        it holds now, the most ``trades`` could be (it bounds the scroll); without it,
        ``len(trades)``. Paused, ``trades`` must reach ``offset_at(total)`` trades beyond the
        view to fill it.

        ``gaps``: (N, when in ms or None) where the connection was lost after trade number N
        (trades may be missing before the next one); ``stale``: the connection is not to be
        trusted now (the title says so)."""
        self._trades = trades
        self._gaps = dict(gaps)
        self._stale = stale
        self._tick = tick
        self._total = len(trades) if total is None else total
        self._kept = len(trades) if kept is None else max(kept, len(trades))
        if self._top is not None:
            offset = self._total - self._top
            deepest = max(0, self._kept - self._rows())
            if offset <= 0:  # another tape (it held fewer trades): start again from the top
                self._top = None
            elif offset > deepest:  # the trades in view were dropped: the oldest kept ones
                self._top = None if deepest == 0 else self._total - deepest
        self._update_titles()
        self.update_lines()

    def reset_scroll(self) -> None:
        """Back to live, without a ``Scrolled`` (the App calls it for another tape, and pushes
        that tape next)."""
        self._move_to(0, notify=False)

    # --- scrolling -----------------------------------------------------------------------

    def action_older(self) -> None:
        self._move_to(self.newer_above + 1)

    def action_newer(self) -> None:
        self._move_to(self.newer_above - 1)

    def action_page_older(self) -> None:
        self._move_to(self.newer_above + max(1, self._rows()))

    def action_page_newer(self) -> None:
        self._move_to(self.newer_above - max(1, self._rows()))

    def action_newest(self) -> None:
        self._move_to(0)

    def _rows(self) -> int:
        """How many trades fit under the column header."""
        return max(0, self.size.height - 1)

    def _move_to(self, offset: int, *, notify: bool = True) -> None:
        """Scroll so that ``offset`` newer trades are above the view, no further back than the
        page that ends at the oldest trade kept; 0 resumes live."""
        current = self.newer_above
        if offset > current:
            offset = min(offset, max(current, self._kept - self._rows()))
        offset = max(0, offset)
        if offset == current and (offset or self._top is None):
            return
        self._top = self._total - offset if offset else None
        self._update_titles()
        self.update_lines()
        if notify:
            self.post_message(self.Scrolled(offset))

    # --- lines ---------------------------------------------------------------------------

    def _update_titles(self) -> None:
        name = self.tz.tzname(None)
        title = f"Trades ({name})" if name else "Trades"
        if self._top is not None:
            title += f" · {self.newer_above} newer ↑"
        if self._stale:
            title += " · STALE"
        self.set_title(title)
        self.set_subtitle("paused · home: live" if self._top is not None else "")

    def line_keys(self, width: int, height: int) -> list[Hashable]:
        if not self._trades:
            blank: list[Hashable] = [BLANK] * height
            blank[height // 2] = ("empty",)
            return blank
        offset = self.newer_above
        shown = self._trades[offset : offset + max(0, height - 1)]
        tick = self._tick
        for trade in shown:
            if trade.price % tick:
                tick = gcd(tick, trade.price)
        price_w = max(5, len(fmt_price(1_000_000 - tick, tick)))
        size_w = max(4, width - (1 + _TIME_W + 1 + _SIDE_W + 1 + price_w + 1) - 1)
        columns = _Columns(tick, price_w, size_w, self.tz)
        keys: list[Hashable] = [("header", columns)]
        gaps = self._gaps
        if not gaps:
            keys.extend(("trade", columns, trade) for trade in shown)
        else:
            number = self._total - offset  # the number of the trade on top of the view
            if not offset and number in gaps:  # lost after the newest trade: none since
                keys.append(("gap", gaps[number], self.tz))
            for trade in shown:
                keys.append(("trade", columns, trade))
                number -= 1
                if number in gaps:
                    keys.append(("gap", gaps[number], self.tz))
            del keys[height:]
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
                (" " + fmt_size_within(trade.size, columns.size_w).rjust(columns.size_w), base),
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
        if kind == "gap":
            at: int | None = key[1]
            when = f" {fmt_time_ms(at, key[2])[:8]}" if at is not None else ""
            text = f" gap: disconnected{when} "  # trades made while down never came
            return strip_of(
                [("".join(centred(text, width, "─")), style("trade-tape--gap"))], width, base
            )
        if kind == "empty":
            left, text, right = centred("no trades yet", width)
            empty = style("trade-tape--empty")
            return strip_of([(left, base), (text, empty), (right, base)], width, base)
        return Strip.blank(width, base)


_SIDE_CLASS = {"BUY": "trade-tape--buy", "SELL": "trade-tape--sell"}
