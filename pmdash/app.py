"""The Textual App: owns the feed workers, the Store and the flush timer.

Frames go into the Store as they arrive (no Textual message per frame); a timer at a fixed rate
takes what changed and pushes only those slices into the widgets inside one ``batch_update()``.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.models import Event, FeedStatus, MarketInfo
from pmdash.net.connection import Connection
from pmdash.net.market import market_policy
from pmdash.state.book import OrderBook
from pmdash.state.store import Store
from pmdash.widgets.data import HeaderData, LadderData, MarketRow
from pmdash.widgets.help_screen import HelpScreen
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_header import MarketHeader
from pmdash.widgets.market_list import MarketList
from pmdash.widgets.status_bar import FeedStatusBar
from pmdash.widgets.tape import TradeTape

LADDER_LEVELS = 50
TAPE_ROWS = 200
STATUS_INTERVAL_S = 0.25
GC_FREEZE_INTERVAL_S = 1.0
GC_FULL_INTERVAL_S = 600.0


class LatencyWindow:
    """The last N arrival-to-screen latencies (ms), for p50/p99 on the status bar."""

    def __init__(self, size: int = 2048) -> None:
        self.samples: deque[float] = deque(maxlen=size)
        self.total = 0

    def add(self, ms: float) -> None:
        self.samples.append(ms)
        self.total += 1

    def percentile(self, q: float) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        index = min(len(ordered) - 1, int(q * len(ordered)))
        return ordered[index]


class PmdashApp(App[int]):
    """pmdash's dashboard."""

    CSS_PATH = str(Path(__file__).parent / "styles.tcss")
    TITLE = "pmdash"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("o", "flip_outcome", "Flip outcome"),
        Binding("j,down", "market_down", "Move", key_display="↑↓ j k"),
        Binding("k,up", "market_up", "Move", show=False),
        Binding("tab", "focus_next", "Focus", priority=True),
        Binding("shift+tab", "focus_previous", "Focus", show=False, priority=True),
    ]

    def __init__(
        self,
        endpoints: Endpoints,
        markets: Sequence[MarketInfo],
        *,
        settings: Settings | None = None,
        demo: bool = False,
        refresh_hz: float | None = None,
    ) -> None:
        super().__init__()
        settings = settings or Settings()
        self.endpoints = endpoints
        self.demo = demo
        self.refresh_hz = refresh_hz or settings.refresh_hz
        self.store = Store(tape_len=settings.tape_len)
        # With no explicit selection on an embedded exchange, follow every market it lists,
        # including the ones it announces later with `new_market`.
        self.follow_new_markets = endpoints.embedded and not (settings.markets or settings.assets)
        for market in markets:
            self._add_market(market)
        assets = [token for market in markets for token in market.token_ids]
        self.connection = Connection(
            market_policy(endpoints.market_ws, assets),
            on_events=self._on_events,
            on_reconnect=self._on_reconnect,
        )
        self.market_order: list[str] = [m.condition_id for m in markets]
        self.selected: str | None = self.market_order[0] if self.market_order else None
        self.outcome_index = 0
        self.latency = LatencyWindow()
        self.first_frame_at: float | None = None
        self.started_at = time.perf_counter()
        self._shown_versions: dict[str, int] = {}
        self._last_gc_full = time.monotonic()

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield MarketList(id="markets")
            with Vertical(id="main"):
                yield MarketHeader(id="header")
                with Horizontal(id="book-row"):
                    yield BookLadder(id="ladder")
                    yield TradeTape(id="tape")
        yield FeedStatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.start_feeds()
        self.set_interval(1 / self.refresh_hz, self.flush)
        self.set_interval(STATUS_INTERVAL_S, self.refresh_status)
        self.set_interval(GC_FREEZE_INTERVAL_S, self._manage_gc)
        self._update_market_list()
        self._show_selected(force=True)
        self.refresh_status()
        self.query_one(MarketList).focus()

    def start_feeds(self) -> None:
        """One async worker per feed; a failing feed never takes the App down."""
        self.run_worker(
            self.connection.run(), name="feed:market", group="feeds", exit_on_error=False
        )

    # -- feed callbacks (called by the connection loop, once per frame) -----------------------

    def _on_events(self, events: list[Event], arrival: float) -> None:
        self.store.apply(events, arrival)

    def _on_reconnect(self) -> None:
        self.store.mark_feed_stale("market", "reconnected: waiting for a fresh snapshot")

    # -- markets ------------------------------------------------------------------------------

    def _add_market(self, market: MarketInfo) -> None:
        self.store.add_market(market)
        self.store.watch(market.token_ids, market.condition_id)

    def _follow_new_markets(self) -> None:
        known = set(self.market_order)
        fresh = [m for cid, m in self.store.markets.items() if cid not in known and m.token_ids]
        if not fresh:
            return
        for market in fresh:
            self.market_order.append(market.condition_id)
            if self.follow_new_markets:
                self.store.watch(market.token_ids, market.condition_id)
                self.connection.subscribe(market.token_ids)

    @property
    def selected_market(self) -> MarketInfo | None:
        return self.store.markets.get(self.selected) if self.selected is not None else None

    @property
    def selected_asset(self) -> str | None:
        market = self.selected_market
        if market is None or not market.token_ids:
            return None
        return market.token_ids[self.outcome_index % len(market.token_ids)]

    # -- the flush timer ----------------------------------------------------------------------

    def flush(self) -> None:
        """Push what changed since the last flush into the widgets."""
        dirty = self.store.take_dirty()
        heals = self.store.take_heals()
        if heals:
            self.connection.resync(heals)
        if not dirty.slices:
            return
        if "markets" in dirty.slices:
            self._follow_new_markets()
        with self.batch_update():
            shown = self._show_selected(slices=dirty.slices)
            if "markets" in dirty.slices:
                self._update_market_list()
        if dirty.oldest_arrival is not None:
            self.call_after_refresh(self._record_latency, dirty.oldest_arrival, shown)

    def _record_latency(self, arrival: float, shown: bool) -> None:
        now = time.perf_counter()
        self.latency.add((now - arrival) * 1000.0)
        if shown and self.first_frame_at is None:
            self.first_frame_at = now
            gc.freeze()

    def _show_selected(self, *, slices: Iterable[str] = (), force: bool = False) -> bool:
        """Update header, ladder and tape for the selected asset; True if anything changed."""
        asset = self.selected_asset
        market = self.selected_market
        ladder = self.query_one(BookLadder)
        header = self.query_one(MarketHeader)
        tape = self.query_one(TradeTape)
        if asset is None or market is None:
            ladder.update_book(None)
            header.update_header(None)
            tape.update_trades([], 10_000)
            return False
        slices = set(slices)
        book = self.store.books.get(asset)
        changed = False
        touched = f"book:{asset}" in slices or f"tape:{asset}" in slices or "markets" in slices
        if book is not None and (force or touched):
            ladder.update_book(self._ladder_data(book, market))
            header.update_header(self._header_data(book, market))
            changed = book.has_snapshot
        if force or f"tape:{asset}" in slices:
            tape_state = self.store.tapes.get(asset)
            trades = tape_state.latest(TAPE_ROWS) if tape_state is not None else []
            tape.update_trades(trades, book.tick if book is not None else 10_000)
        return changed

    def _ladder_data(self, book: OrderBook, market: MarketInfo) -> LadderData:
        bids, asks = book.top(LADDER_LEVELS)
        outcome = market.outcome_of(book.asset_id)
        others = [o for o in market.outcomes if o != outcome]
        return LadderData(
            bids=bids,
            asks=asks,
            tick=book.tick,
            state=book.state,
            detail=book.desync_reason or book.stale_reason or "",
            outcome=outcome,
            other_outcome=others[0] if others else "",
            depth_bids=book.depth("BUY"),
            depth_asks=book.depth("SELL"),
        )

    def _header_data(self, book: OrderBook, market: MarketInfo) -> HeaderData:
        resolved = self.store.resolved.get(market.condition_id)
        last = book.last_trade
        return HeaderData(
            question=market.question,
            slug=market.slug,
            outcome=market.outcome_of(book.asset_id),
            best_bid=book.best_bid,
            best_ask=book.best_ask,
            spread=book.spread,
            mid=book.mid,
            last_trade_price=last.price if last is not None else None,
            last_trade_side=(last.side or "") if last is not None else "",
            tick=book.tick,
            resolved=resolved.winning_outcome if resolved is not None else None,
            book_state=book.state,
            heals=book.heals,
        )

    def _update_market_list(self) -> None:
        rows: list[MarketRow] = []
        for condition_id in self.market_order:
            market = self.store.markets.get(condition_id)
            if market is None:
                continue
            book = self.store.books.get(market.token_ids[0]) if market.token_ids else None
            last = book.last_trade if book is not None else None
            rows.append(
                MarketRow(
                    condition_id=condition_id,
                    label=market.question,
                    best_bid=book.best_bid if book is not None else None,
                    best_ask=book.best_ask if book is not None else None,
                    last=last.price if last is not None else None,
                    resolved=condition_id in self.store.resolved,
                    tick=book.tick if book is not None else market.tick_size,
                )
            )
        self.query_one(MarketList).update_markets(rows)

    def feed_statuses(self) -> list[FeedStatus]:
        return [self.connection.status()]

    def refresh_status(self) -> None:
        """Status bar and market list: they change with time, not only with frames."""
        self._update_market_list()
        self.query_one(FeedStatusBar).update_statuses(
            self.feed_statuses(), now=time.time(), screen_latency_ms=self.latency.percentile(0.99)
        )

    def _manage_gc(self) -> None:
        # Full collections of Textual's render caches took 50-70 ms and dominated p99 latency.
        # Collect the young generations, then freeze the survivors so the next full
        # collection has little to walk; a real full collection runs every ten minutes.
        if self.first_frame_at is None:
            return
        now = time.monotonic()
        if now - self._last_gc_full > GC_FULL_INTERVAL_S:
            gc.unfreeze()
            gc.collect()
            self._last_gc_full = now
        else:
            gc.collect(1)
        gc.freeze()

    # -- actions and messages -----------------------------------------------------------------

    def on_market_list_market_selected(self, message: MarketList.MarketSelected) -> None:
        if message.condition_id != self.selected:
            self.selected = message.condition_id
            self.outcome_index = 0
            self._show_selected(force=True)

    def action_flip_outcome(self) -> None:
        market = self.selected_market
        if market is not None and len(market.token_ids) > 1:
            self.outcome_index = (self.outcome_index + 1) % len(market.token_ids)
            self._show_selected(force=True)

    def action_market_down(self) -> None:
        self.query_one(MarketList).action_cursor_down()

    def action_market_up(self) -> None:
        self.query_one(MarketList).action_cursor_up()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.connection.stop()
        self.exit(0)
