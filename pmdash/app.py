"""The Textual App: owns the feed workers, the Store and the flush timer.

Frames go into the Store as they arrive (no Textual message per frame); a timer at a fixed rate
takes what changed and pushes only those slices into the widgets inside one ``batch_update()``.
Each panel has its own cadence: the ladder and header follow every flush, the trade tape at most
``TAPE_HZ`` times a second and the market list ``LIST_HZ`` (nobody reads 100 trades a second),
but for the selected market's row, which follows the header at every flush; the status bar when
a feed changes state and once a second for its ages. A panel gets an update only when what it
shows changed, so an idle feed repaints nothing but the status bar's ages.

A book the server never sends (a mistyped token id) is shown as ``missing`` once the feed has
been open ``NO_BOOK_AFTER_S`` since the asset was asked for, rather than waiting for ever.

``tab`` moves the focus between the panels (market list, book ladder, trade tape); the focused
one takes the movement keys. The ladder's depth and the tape's scroll are the widgets' own view
state: when the user scrolls one, it tells the App (a message), which pushes at once as many
levels or trades as the new position needs. Another market or outcome starts both at the top.

``q``, ``ctrl+c`` and ``ctrl+q`` quit from any screen (Textual's own ``ctrl+c`` only says to
press ``ctrl+q``); the footer (``KeyFooter``) lists ``q`` and ``?`` first.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget

from pmdash.catch_up import CATCH_UP_AFTER_S, CatchUp, catch_up_later
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.models import Event, FeedStatus, MarketInfo
from pmdash.net.connection import Connection
from pmdash.net.market import market_policy
from pmdash.state.book import OrderBook
from pmdash.state.first_books import FirstBookWaits
from pmdash.state.following import ResolvedStreams, announced, to_retire
from pmdash.state.store import MARKETS, STATUS, Store, book_key, tape_key
from pmdash.widgets._screen import DashboardScreen
from pmdash.widgets.data import BookState, HeaderData, LadderData, MarketRow
from pmdash.widgets.footer import KeyFooter
from pmdash.widgets.help_screen import HelpScreen
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_header import MarketHeader
from pmdash.widgets.market_list import MarketList
from pmdash.widgets.status_bar import FeedStatusBar
from pmdash.widgets.tape import TradeTape

LADDER_LEVELS = 50
"""Levels of each side pushed to the ladder beyond those its depth scroll leaves out."""
TAPE_ROWS = 200
"""Trades pushed to the tape beyond the newer ones it is scrolled past."""
TAPE_HZ = 10.0
"""Most trade-tape repaints per second (the header shows the last trade at every flush)."""
LIST_HZ = 2.0
"""Most market-list repaints per second."""
NO_BOOK_AFTER_S = 10.0
"""Seconds the market feed has been open since an asset's subscription before a book that never
came is said to be missing (a token id the server does not know, or has no book for)."""
STATUS_INTERVAL_S = 1.0
"""The status bar's clock (ages, rates); feed state changes show at the next flush."""
GC_INTERVAL_S = 0.25
"""How often the App runs a full collection of what it created after start-up (see _manage_gc)."""
GC_THRESHOLD_FULL = 100
"""Young collections between automatic full ones: only a safety net once the App runs its own."""
GC_THRESHOLD_YOUNG = 10_000
"""Tracked objects (allocations minus frees) between young collections once the App runs.
Python's 700 made 70 young collections a second at 5,000 msg/s (about 25 ms of CPU a second);
at 10,000 there is one every second or two, and a young collection still frees the cycles
among the objects it walks."""


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
        Binding("j,down", "market_down", "Move", key_display="↑↓ j k"),
        Binding("k,up", "market_up", "Move", show=False),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("o", "flip_outcome", "Flip"),
        Binding("tab", "focus_next", "Focus", priority=True),
        Binding("shift+tab", "focus_previous", "Focus", show=False, priority=True),
    ]

    ladder: BookLadder
    header: MarketHeader
    tape: TradeTape
    market_list: MarketList
    status_bar: FeedStatusBar
    """The panels (looked up once, on mount)."""

    def __init__(
        self,
        endpoints: Endpoints,
        markets: Sequence[MarketInfo],
        *,
        settings: Settings | None = None,
        refresh_hz: float | None = None,
    ) -> None:
        super().__init__()
        settings = settings or Settings()
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
            on_lost=self._on_feed_lost,
        )
        self.endpoints = endpoints
        self.catch_up_after_s = CATCH_UP_AFTER_S
        """After a reconnect, how long books wait for snapshots before Gamma is asked what
        the socket missed (``catch_up``)."""
        self._feed_doubt: str | None = None
        """Why the market feed's socket is open but not trusted right now (a late PONG), or
        None: its live books are shown stale meanwhile, without waiting for new snapshots."""
        self._first_books = FirstBookWaits(NO_BOOK_AFTER_S)
        """Each book's wait for its first snapshot (a book never sent is said missing)."""
        self._unstreamed = ResolvedStreams()
        self.market_order: list[str] = [m.condition_id for m in markets]
        self.selected: str | None = self.market_order[0] if self.market_order else None
        self.outcome_index = self._asked_outcome(settings)
        self.latency = LatencyWindow()
        """Ladder and header: oldest frame folded into a flush -> the screen refresh after it
        (an upper bound of each frame's latency; the status bar shows its p99)."""
        self.latency_newest = LatencyWindow()
        """The same flushes measured from their newest frame (a lower bound)."""
        self.tape_latency = LatencyWindow()
        """Trade tape: oldest frame behind a tape repaint -> the screen refresh after it."""
        self.list_latency = LatencyWindow()
        """Market list: oldest frame behind a list repaint -> the screen refresh after it."""
        self.first_frame_at: float | None = None
        self._gc_thresholds = gc.get_threshold()
        self._shown_ladder: LadderData | None = None
        self._shown_header: HeaderData | None = None
        self._tape_since: float | None = None
        """Oldest arrival behind a tape change not shown yet (None: nothing pending)."""
        self._tape_pending = False
        self._tape_shown_at = 0.0
        self._tape_shown: tuple[bool, int] = (False, 10_000)
        """What the tape on screen took from its book: (stale?, tick)."""
        self._list_since: float | None = None
        self._list_pending = False
        self._list_shown_at = 0.0
        self._slow_queued = False

    # -- layout -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return DashboardScreen(id="_default")

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield MarketList(id="markets")
            with Vertical(id="main"):
                yield MarketHeader(id="header")
                with Horizontal(id="book-row"):
                    yield BookLadder(id="ladder")
                    yield TradeTape(id="tape")
        yield FeedStatusBar(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.ladder = self.query_one(BookLadder)
        self.header = self.query_one(MarketHeader)
        self.tape = self.query_one(TradeTape)
        self.market_list = self.query_one(MarketList)
        self.status_bar = self.query_one(FeedStatusBar)
        self.start_feeds()
        self._catch_sigterm(True)
        self.set_interval(1 / self.refresh_hz, self.flush)
        self.set_interval(STATUS_INTERVAL_S, self.refresh_status)
        self.set_interval(GC_INTERVAL_S, self._manage_gc)
        self._update_market_list()
        self._show_selected()
        self.refresh_status()
        self.market_list.focus()

    def start_feeds(self) -> None:
        """One async worker per feed; a failing feed never takes the App down."""
        self.run_worker(
            self.connection.run(), name="feed:market", group="feeds", exit_on_error=False
        )

    # -- feed callbacks (called by the connection loop, once per frame) -----------------------

    def _on_events(self, events: list[Event], arrival: float) -> None:
        self.store.apply(events, arrival)

    def _asked_outcome(self, settings: Settings) -> int:
        """The first market opens on the outcome ``--asset`` named (a No token shows the No
        book), not on the market's first outcome."""
        market = self.store.markets.get(self.selected) if self.selected is not None else None
        if market is None:
            return 0
        asked = [a for a in settings.assets if a in market.token_ids]
        return market.token_ids.index(asked[0]) if asked else 0

    def _on_reconnect(self) -> None:
        """Every book is stale until its fresh snapshot; a while later, Gamma says which
        markets closed (or, following the whole exchange, were listed) while the socket was
        down: no snapshot or announcement will come for those on the new socket."""
        self.store.mark_feed_reconnected("market")
        self.run_worker(
            catch_up_later(
                self.endpoints.gamma_rest,
                self.store,
                follow_all=self.follow_new_markets,
                apply=self._caught_up,
                delay=self.catch_up_after_s,
            ),
            name="catch-up",
            group="catch-up",
            exclusive=True,  # a newer reconnect's catch-up replaces a pending one
            exit_on_error=False,
        )

    def _caught_up(self, found: CatchUp) -> None:
        """Apply what Gamma said; the next flush unsubscribes the resolved markets and lists
        and subscribes the new ones (``MARKETS`` changed)."""
        for market in found.listed:
            self.store.add_market(market)
        if found.resolved:
            self.store.apply(found.resolved)

    def _on_feed_lost(self, reason: str) -> None:
        self.store.mark_feed_lost("market", reason, int(time.time() * 1000))
        self._first_books.feed_closed()

    # -- markets ------------------------------------------------------------------------------

    def _add_market(self, market: MarketInfo) -> None:
        self.store.add_market(market)
        self.store.watch(market.token_ids, market.condition_id)

    def _stop_streaming_resolved(self) -> None:
        """A resolved market's feed has nothing more to say: unsubscribe its tokens, so a
        reconnect neither asks for them nor waits on them (their books stay listed, final)."""
        for market in self._unstreamed.take_new(self.store):
            self.connection.unsubscribe(market.token_ids)
            self._first_books.unsubscribed(market.token_ids)

    def _follow_new_markets(self) -> None:
        """List and subscribe markets announced with ``new_market``, and retire old resolved
        ones (``state.following``) — only when following the whole exchange: the real feed
        announces every new Polymarket market, and a dashboard watching a chosen few must not
        grow a list of markets it does not stream (nor drop one the user chose). The market on
        screen stays until the user moves off it (the next market event then drops it)."""
        if not self.follow_new_markets:
            return
        for market in announced(self.store, set(self.market_order)):
            self.market_order.append(market.condition_id)
            self.store.watch(market.token_ids, market.condition_id)
            self.connection.subscribe(market.token_ids)
            self._first_books.subscribed(market.token_ids, time.perf_counter())
        for cid in to_retire(self.store, self.market_order, keep=self.selected):
            self.market_order.remove(cid)
            retired = self.store.markets.get(cid)
            if retired is not None:
                self.store.unwatch(retired.token_ids)
                self.connection.unsubscribe(retired.token_ids)
                self._first_books.unsubscribed(retired.token_ids)

    # -- books the server does not send ------------------------------------------------------

    def _note_feed_open(self) -> None:
        """Follow when the feed's socket opened: the waits for first books start then. Stale
        (a server gone quiet) keeps the socket and the subscription, so it keeps the time."""
        if self.connection.state in ("live", "stale"):
            self._first_books.feed_open(time.perf_counter())
        else:
            self._first_books.feed_closed()

    def _waits_ran_out(self) -> bool:
        """True when a wait for a first book has run out since the last call."""
        if not self._first_books.ran_out(time.perf_counter()):
            return False
        self._list_pending = True
        return True

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
        """Push what changed since the last flush into the panels that show it."""
        dirty = self.store.take_dirty()
        heals = self.store.take_heals()
        if heals:
            self.connection.resync(heals)
        slices = dirty.slices
        waits_ran_out = self._waits_ran_out()
        if slices or waits_ran_out:
            oldest = dirty.oldest_arrival
            if MARKETS in slices:
                self._stop_streaming_resolved()
                self._follow_new_markets()
            if STATUS in slices:
                self._note_feed_open()
            doubt_changed = STATUS in slices and self._note_feed_doubt()
            self._note_pending(slices, oldest)
            asset = self.selected_asset
            shown = live = False
            with self.batch_update():
                if asset is not None and (
                    book_key(asset) in slices
                    or tape_key(asset) in slices
                    or MARKETS in slices
                    or doubt_changed
                    or waits_ran_out
                ):
                    shown, live = self._show_book()
                market = self.selected_market
                if market is not None and market.token_ids and (
                    book_key(market.token_ids[0]) in slices
                    or MARKETS in slices
                    or doubt_changed
                    or waits_ran_out
                ):
                    self._show_selected_row()
                if STATUS in slices:
                    self.refresh_status()
            if shown and oldest is not None:
                self.call_after_refresh(self._record_latency, oldest, dirty.newest_arrival, live)
        if not self._slow_queued and (self._tape_due() or self._list_due()):
            # The slower panels repaint in a screen update of their own right after this one,
            # so no frame carries the ladder, the tape and the list together.
            self._slow_queued = True
            self.call_after_refresh(self._flush_slow_panels)

    def _note_feed_doubt(self) -> bool:
        """Follow the feed's ``stale`` state while its socket is open; True if it changed."""
        status = self.connection.status()
        doubt = (status.detail or "no answer from the server") if status.state == "stale" else None
        if doubt == self._feed_doubt:
            return False
        self._feed_doubt = doubt
        if not self._list_pending:
            self._list_pending = True
            self._list_since = None
        return True

    def _book_state(self, book: OrderBook) -> tuple[BookState, str]:
        """The state to show for ``book`` and why: a live book of a feed in doubt is stale; a
        book that never came, with the feed open ``NO_BOOK_AFTER_S`` since it was asked for,
        is missing."""
        state = book.state
        if state == "live" and self._feed_doubt is not None:
            return "stale", self._feed_doubt
        if (
            state in ("empty", "stale")
            and not book.has_snapshot
            and not book.final
            and self._first_books.missing(book.asset_id, time.perf_counter())
        ):
            after = self._first_books.after
            return "missing", f"no book from the server after {after:g} s — is the token id right?"
        if (
            state == "stale"
            and book.has_snapshot
            and self._feed_doubt is None
            and self._first_books.missing(book.asset_id, time.perf_counter())
        ):
            # Open that long and still no fresh book: not a slow snapshot any more.
            after = self._first_books.after
            return state, (
                f"no fresh book from the server {after:g} s after reconnecting"
                " — it may no longer list this market"
            )
        if state == "final":
            if book.desync_reason:
                return state, f"out of sync when it closed ({book.desync_reason})"
            return state, "" if book.has_snapshot else "no book was received before it closed"
        return state, book.desync_reason or book.stale_reason or ""

    def _tape_due(self) -> bool:
        # Half a flush period of slack: timer jitter must not cost a whole extra period.
        wait = 1 / TAPE_HZ - 0.5 / self.refresh_hz
        return self._tape_pending and time.perf_counter() - self._tape_shown_at >= wait

    def _list_due(self) -> bool:
        wait = 1 / LIST_HZ - 0.5 / self.refresh_hz
        return self._list_pending and time.perf_counter() - self._list_shown_at >= wait

    def _flush_slow_panels(self) -> None:
        """Repaint the trade tape and the market list if their cadence allows."""
        self._slow_queued = False
        tape_since = list_since = None
        with self.batch_update():
            if self._tape_due():
                tape_since = self._tape_since
                self._show_tape()
            if self._list_due():
                list_since = self._list_since
                if not self._update_market_list():
                    list_since = None
        if tape_since is not None:
            self.call_after_refresh(self._record_panel, self.tape_latency, tape_since)
        if list_since is not None:
            self.call_after_refresh(self._record_panel, self.list_latency, list_since)

    def _note_pending(self, slices: set[str], oldest: float | None) -> None:
        """Remember tape and list changes until their cadence lets them repaint."""
        asset = self.selected_asset
        if asset is not None and tape_key(asset) in slices and not self._tape_pending:
            self._tape_pending = True
            self._tape_since = oldest
        if not self._list_pending and (
            MARKETS in slices or any(key.startswith("book:") for key in slices)
        ):
            self._list_pending = True
            self._list_since = oldest

    def _record_latency(self, oldest: float, newest: float | None, live: bool) -> None:
        now = time.perf_counter()
        started = self.first_frame_at
        if started is not None and oldest >= started:
            # Frames that arrived before the first full frame waited for start-up (the
            # initial dump, the first layout), not for a refresh: the status bar's p99 is
            # the steady state, so they add no sample.
            self.latency.add((now - oldest) * 1000.0)
            if newest is not None:
                self.latency_newest.add((now - newest) * 1000.0)
        if live and started is None:
            self.first_frame_at = now
            self._freeze_start_up()

    def _record_panel(self, window: LatencyWindow, since: float) -> None:
        window.add((time.perf_counter() - since) * 1000.0)

    def _show_selected(self) -> None:
        """Show the selected asset in header, ladder and tape now (after a key press)."""
        self._shown_ladder = self._shown_header = None
        if self.selected_asset is None or self.selected_market is None:
            self.ladder.update_book(None)
            self.header.update_header(None)
            self.tape.update_trades([], 10_000)
            return
        self._show_book()
        self._show_tape()

    def _reset_scrolls(self) -> None:
        """Another book: the ladder back to the touch, the tape back to live."""
        self.ladder.reset_depth()
        self.tape.reset_scroll()

    def _show_book(self) -> tuple[bool, bool]:
        """Update ladder and header if what they show changed: (changed, book has a snapshot)."""
        asset = self.selected_asset
        market = self.selected_market
        if asset is None or market is None:
            return False, False
        book = self.store.books.get(asset)
        if book is None:  # listed but not watched: say so rather than keep the last book
            outcome = market.outcome_of(asset)
            ladder_data = LadderData(state="empty", detail="not subscribed", outcome=outcome)
            header_data = HeaderData(
                question=market.question, slug=market.slug, outcome=outcome, book_state="empty"
            )
        else:
            ladder_data = self._ladder_data(book, market)
            header_data = self._header_data(book, market)
        if not self._tape_pending and (
            (ladder_data.state == "stale", ladder_data.tick) != self._tape_shown
        ):
            self._tape_pending = True  # the tape shows the book's state and tick too
        changed = False
        if ladder_data != self._shown_ladder:
            self.ladder.update_book(ladder_data)
            self._shown_ladder = ladder_data
            changed = True
        if header_data != self._shown_header:
            self.header.update_header(header_data)
            self._shown_header = header_data
            changed = True
        return changed, book is not None and book.has_snapshot

    def _show_tape(self) -> None:
        asset = self.selected_asset
        tape_state = self.store.tapes.get(asset) if asset is not None else None
        book = self.store.books.get(asset) if asset is not None else None
        if tape_state is not None:
            total, kept = tape_state.total, len(tape_state)
            trades = tape_state.latest(self.tape.offset_at(total) + TAPE_ROWS)
        else:
            total, kept, trades = 0, 0, []
        stale = book is not None and self._book_state(book)[0] == "stale"
        tick = book.tick if book is not None else 10_000
        self.tape.update_trades(
            trades,
            tick,
            total,
            kept,
            gaps=tape_state.gaps if tape_state is not None else (),
            stale=stale,
        )
        self._tape_shown = (stale, tick)
        self._tape_pending = False
        self._tape_since = None
        self._tape_shown_at = time.perf_counter()

    def _ladder_data(self, book: OrderBook, market: MarketInfo) -> LadderData:
        bids, asks = book.top(LADDER_LEVELS + self.ladder.depth_offset)
        outcome = market.outcome_of(book.asset_id)
        others = [o for o in market.outcomes if o != outcome]
        state, detail = self._book_state(book)
        return LadderData(
            bids=bids,
            asks=asks,
            tick=book.tick,
            state=state,
            detail=detail,
            outcome=outcome,
            other_outcome=others[0] if others else "",
            depth_bids=book.depth("BUY"),
            depth_asks=book.depth("SELL"),
        )

    def _header_data(self, book: OrderBook, market: MarketInfo) -> HeaderData:
        resolved = self.store.resolved.get(market.condition_id)
        return HeaderData(
            question=market.question,
            slug=market.slug,
            outcome=market.outcome_of(book.asset_id),
            best_bid=book.best_bid,
            best_ask=book.best_ask,
            spread=book.spread,
            mid=book.mid,
            last_trade_price=book.last_trade_price,
            last_trade_side=book.last_trade_side,
            tick=book.tick if book.has_snapshot else None,  # no book: no tick known
            resolved=resolved.winning_outcome if resolved is not None else None,
            book_state=self._book_state(book)[0],
            heals=book.heals,
        )

    def _update_market_list(self) -> bool:
        """Push the market rows; True if any row on screen changed."""
        self._list_pending = False
        self._list_since = None
        self._list_shown_at = time.perf_counter()
        rows = [
            row for condition_id in self.market_order if (row := self._market_row(condition_id))
        ]
        return self.market_list.update_markets(rows)

    def _market_row(self, condition_id: str) -> MarketRow | None:
        """A market's row in the list (the prices of its first outcome); None if unknown."""
        market = self.store.markets.get(condition_id)
        if market is None:
            return None
        book = self.store.books.get(market.token_ids[0]) if market.token_ids else None
        return MarketRow(
            condition_id=condition_id,
            label=market.question,
            best_bid=book.best_bid if book is not None else None,
            best_ask=book.best_ask if book is not None else None,
            last=book.last_trade_price if book is not None else None,
            resolved=condition_id in self.store.resolved,
            tick=book.tick if book is not None else market.tick_size,
            state=self._book_state(book)[0] if book is not None else "empty",
        )

    def _show_selected_row(self) -> None:
        """The selected market's row now, not at the list's cadence: it shows the book the
        header shows (when that is its first outcome), and the header follows every flush."""
        row = self._market_row(self.selected) if self.selected is not None else None
        if row is not None:
            self.market_list.update_row(row)

    def feed_statuses(self) -> list[FeedStatus]:
        return [self.connection.status()]

    def refresh_status(self) -> None:
        """The status bar: it changes with time (ages, rates), not only with frames."""
        self.status_bar.update_statuses(
            self.feed_statuses(), now=time.time(), screen_latency_ms=self.latency.percentile(0.99)
        )

    # -- garbage collection ---------------------------------------------------------------------
    #
    # Full collections walk every tracked object; with Textual's start-up heap (styles, widgets,
    # render caches) they took 50-100 ms and dominated p99 latency. So once the first frame is
    # up, everything alive is frozen (never walked again), and from then on the App runs the full
    # collection itself, at most four times a second and only when something reached the old
    # generation, right after a screen refresh: it walks only what was created since start-up,
    # and it lands in the gap before the next flush, where the frames it delays would wait
    # anyway. Young collections wait for GC_THRESHOLD_YOUNG new objects: most of what a frame
    # or a repaint allocates is freed by reference counting long before that, so a collection
    # every 700 (Python's default) walked the same few live objects 70 times a second.
    # Cyclic garbage is rare: LineView breaks the self-reference of the Strips it drops (a Strip
    # caches its own division). Freezing again later would leak what is cached at that moment:
    # frozen objects that become garbage are only freed by a full collection of the frozen set
    # (measured: +0.7 MB/s, and a 600 ms collection after a minute).

    def _freeze_start_up(self) -> None:
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD_YOUNG, self._gc_thresholds[1], GC_THRESHOLD_FULL)

    def _manage_gc(self) -> None:
        # Nothing reached the old generation since the last run (an idle feed): skip it.
        if self.first_frame_at is not None and gc.get_count()[2] > 0:
            self.call_after_refresh(gc.collect, 2)

    def _catch_sigterm(self, on: bool) -> None:
        """``kill`` (SIGTERM) and a closed terminal (SIGHUP) quit as ``q`` does, so the
        terminal is given back in order (the default action would leave it in the alternate
        screen with the mouse captured)."""
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop = asyncio.get_running_loop()
                if on:
                    loop.add_signal_handler(sig, self._on_sigterm)
                else:
                    loop.remove_signal_handler(sig)

    def _on_sigterm(self) -> None:
        self.connection.stop()
        self.exit(0)

    def on_unmount(self) -> None:
        self._catch_sigterm(False)
        gc.set_threshold(*self._gc_thresholds)
        gc.unfreeze()

    # -- actions and messages -----------------------------------------------------------------

    def on_market_list_market_selected(self, message: MarketList.MarketSelected) -> None:
        if message.condition_id != self.selected:
            self.selected = message.condition_id
            self.outcome_index = 0
            self._reset_scrolls()
            self._show_selected()

    def on_book_ladder_depth_changed(self, message: BookLadder.DepthChanged) -> None:
        """The ladder was scrolled: push the levels its new depth needs now, not at the next
        flush (it already shows what it holds)."""
        self._show_book()

    def on_trade_tape_scrolled(self, message: TradeTape.Scrolled) -> None:
        """The tape was scrolled: push the trades its new position needs now."""
        self._show_tape()

    def action_flip_outcome(self) -> None:
        market = self.selected_market
        if market is not None and len(market.token_ids) > 1:
            self.outcome_index = (self.outcome_index + 1) % len(market.token_ids)
            self._reset_scrolls()
            self._show_selected()

    def action_focus_next(self) -> None:
        self._cycle_focus(1)

    def action_focus_previous(self) -> None:
        self._cycle_focus(-1)

    def _cycle_focus(self, step: int) -> None:
        """Move the focus ``step`` panels along list -> ladder -> tape -> list, skipping the
        panels a narrow terminal hides. A hidden market list keeps its stop as "no panel
        focused", where j/k switch markets (the App's own keys): otherwise a terminal narrow
        enough to show only the ladder would keep the focus there for good."""
        screen = self.screen
        if not isinstance(screen, DashboardScreen):  # the help: Textual's own focus chain
            if step > 0:
                super().action_focus_next()
            else:
                super().action_focus_previous()
            return
        panels = (self.market_list, self.ladder, self.tape)
        stops: list[Widget | None] = [w for w in screen.focus_chain if w in panels]
        focused = screen.focused
        if self.market_list not in stops:
            stops.insert(0, None)
            if focused is self.market_list:  # given the focus while hidden (the help closing)
                focused = None
        if focused in stops:
            target = stops[(stops.index(focused) + step) % len(stops)]
        else:
            target = stops[0] if step > 0 else stops[-1]
        screen.set_focus(target)

    def action_market_down(self) -> None:
        self.market_list.action_cursor_down()

    def action_market_up(self) -> None:
        self.market_list.action_cursor_up()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.connection.stop()
        self.exit(0)

