"""The reference-price feed's panel group (``polybolt`` or ``rtds``): the price board over the
chart of one symbol, in the right-hand column (``p`` shows it where the layout hides that).

It builds the frozen view data (``price_data.board_data`` / ``chart_data``) from the feed's
``PriceBoard`` and pushes it into the panels: after a price change at most ``board_hz`` times a
second, and once a second regardless (ages grow, notices come due). ``c`` cycles the charted
symbol. The strike comes from the market selected in another group (any group with a
``selected_market``: the market group): its question names it ("above $100,000", "between
$3,000 and $3,200", "Up or Down", whose opening price is read from the board's history when
its window start, in the slug, is within it); the board shows the distance to it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget

from pmdash.latency import LatencyWindow
from pmdash.live.prices import PriceController
from pmdash.models import MarketInfo
from pmdash.state.prices import PriceBoard
from pmdash.state.store import Dirty, Store
from pmdash.strike import Strike, parse_strike
from pmdash.widgets.group import Place
from pmdash.widgets.price_board import PriceBoardView
from pmdash.widgets.price_chart import PriceChart
from pmdash.widgets.price_data import board_data, chart_data, next_symbol

BOARD_HZ = 10.0
"""Most board repaints per second after price changes. Prices come in bursts (every symbol's
spot and TWAP each second): the first frame of a burst repaints at the next flush, the rest
within 1 / BOARD_HZ (benchmarks/e2e.py reports the board's p99)."""
CHART_INTERVAL_S = 2.0
"""The chart is redrawn at most every 2 s. A picture costs about 10 ms of CPU at 44x25 (built in
a thread, see ``figure_plot``; on the event loop it held back the market panels' p99 at 5,000
msg/s by 25-35 ms, benchmarks/e2e.py). In the side column one braille dot column of the
5-minute chart is some 4 s, so 2 s loses nothing one can see; the board shows every price as it
comes."""
CLOCK_S = 1.0
"""The board is redrawn at least this often: ages and notices change with time alone."""
_UPDOWN_SLUG = re.compile(r"-updown-\d+m-(\d{9,11})$")


def _wall_ms() -> int:
    return int(time.time() * 1000)


@runtime_checkable
class SelectsMarket(Protocol):
    """A group that has a selected market (the market group)."""

    @property
    def selected_market(self) -> MarketInfo | None: ...


def market_strike(market: MarketInfo | None, board: PriceBoard) -> Strike | None:
    """The strike ``market``'s question names, or None. An up/down market's strike is its
    window's opening price: the primary series' first point at or after the window start
    (``...-updown-15m-<epoch s>`` slugs), when the board's history reaches back to it."""
    if market is None:
        return None
    strike = parse_strike(market.question)
    if strike is None or strike.kind != "updown":
        return strike
    found = _UPDOWN_SLUG.search(market.slug)
    series = board.primary(strike.symbol)
    if found is None or series is None or not series.points:
        return strike
    start_ms = int(found.group(1)) * 1000
    if series.points[0][0] > start_ms:
        return strike  # the history starts after the window opened: not known
    after = series.since(start_ms)
    return strike.with_opening(after[0][1]) if after else strike


class PriceGroup(Vertical):
    """Price board over the chart (a ``PanelGroup``)."""

    DEFAULT_CSS = """
    PriceGroup > PriceBoardView, PriceGroup > PriceChart {
        border: none;
        border-top: solid $panel;
        padding: 0 1;
    }
    """

    place: Place = "side"
    key = "p"
    title = "Prices"
    KEYS = [Binding("c", "next_symbol", "Chart")]

    board_view: PriceBoardView
    chart: PriceChart

    def __init__(
        self,
        controller: PriceController,
        store: Store,
        *,
        board_hz: float = BOARD_HZ,
        wall_ms: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(id="price-group")
        self.controller = controller
        self.store = store
        self.board = controller.board
        self.feed = controller.feed
        self.board_hz = board_hz
        self.wall_ms = wall_ms or _wall_ms
        """The wall clock (ms) ages are measured against (tests: a fixed one)."""
        self.symbol: str | None = None
        """The charted symbol (None: the board's first)."""
        self.board_latency = LatencyWindow()
        """Oldest price frame behind a board repaint -> the screen refresh after it."""
        self._prefix = f"{self.feed}:"
        self._pending_since: float | None = None
        self._pending = False
        self._shown_at = float("-inf")
        self._market: MarketInfo | None = None
        self._source: SelectsMarket | None = None

    def compose(self) -> ComposeResult:
        yield PriceBoardView(id="price-board")
        yield PriceChart(id="price-chart", min_interval=CHART_INTERVAL_S)

    def on_mount(self) -> None:
        self.border_title = f"{self.title} · {self.feed}"
        self.board_view = self.query_one(PriceBoardView)
        self.chart = self.query_one(PriceChart)

    # -- the PanelGroup protocol ----------------------------------------------------------------

    def flush(self, dirty: Dirty, now: float) -> None:
        prefix = self._prefix
        if not self._pending and any(key.startswith(prefix) for key in dirty.slices):
            self._pending = True
            self._pending_since = dirty.oldest_arrival
        market = self.selected_market()
        if market != self._market:
            self._market = market
            self.symbol = None  # chart the new market's asset (the board's first if none)
            self._show(now)
            return
        if self._pending and now - self._shown_at >= 1 / self.board_hz - 0.01:
            since = self._pending_since
            self._show(now)
            if since is not None:
                self.app.call_after_refresh(self._record, since)
        elif now - self._shown_at >= CLOCK_S:
            self._show(now)

    def show_all(self) -> None:
        self._market = self.selected_market()
        self._show(time.perf_counter())

    def focus_stops(self) -> list[Widget | None]:
        return []

    # -- what is shown ------------------------------------------------------------------------

    def selected_market(self) -> MarketInfo | None:
        """The market selected in the group that has one (found once), or None."""
        if self._source is None:
            for group in getattr(self.app, "groups", ()):
                if group is not self and isinstance(group, SelectsMarket):
                    self._source = group
                    break
        return self._source.selected_market if self._source is not None else None

    def _show(self, now: float) -> None:
        self._pending = False
        self._pending_since = None
        self._shown_at = now
        board = self.board
        now_ms = self.wall_ms()
        strike = market_strike(self._market, board)
        symbols = board.symbols()
        if self.symbol not in symbols:
            wanted = strike.symbol if strike is not None else None
            self.symbol = wanted if wanted in symbols else next_symbol(symbols, None)
        self.board_view.update_board(
            board_data(board, now_ms, selected=self.symbol, strike=strike,
                       title="")
        )
        if self.symbol is not None:
            self.chart.update_chart(chart_data(board, self.symbol, now_ms, strike=strike))

    def _record(self, since: float) -> None:
        self.board_latency.add((time.perf_counter() - since) * 1000.0)

    # -- keys -----------------------------------------------------------------------------------

    def action_next_symbol(self) -> None:
        """``c``: chart the next symbol on the board."""
        self.symbol = next_symbol(self.board.symbols(), self.symbol)
        self._show(time.perf_counter())
