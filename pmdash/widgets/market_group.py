"""The market feed's panel group: market list, market header, book ladder and trade tape.

It turns the market slice (``state.market``) and what the controller knows (``live.market``:
which books to show stale or missing) into frozen view data and pushes it into the panels.
Each panel has its own cadence: the ladder and header follow every flush, the trade tape at
most ``tape_hz`` times a second and the market list ``list_hz`` (nobody reads 100 trades a
second), but for the selected market's row, which follows the header at every flush. A panel
gets an update only when what it shows changed.

``tab`` moves the focus between the panels (market list, book ladder, trade tape); the focused
one takes the movement keys. The ladder's depth and the tape's scroll are the widgets' own view
state: when the user scrolls one, it tells the group (a message), which pushes at once as many
levels or trades as the new position needs. Another market or outcome starts both at the top.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from pmdash.config import Settings
from pmdash.latency import LatencyWindow
from pmdash.live.market import TRUST, MarketSource
from pmdash.models import MarketInfo
from pmdash.state.book import OrderBook
from pmdash.state.market import MARKETS, book_key, tape_key
from pmdash.state.row_notes import row_notes_of
from pmdash.state.store import Dirty
from pmdash.widgets.data import BookView, HeaderData, LadderData, MarketRow
from pmdash.widgets.group import Dashboard, Place
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_header import MarketHeader
from pmdash.widgets.market_list import MarketList
from pmdash.widgets.tape import TapeView


@dataclass(frozen=True)
class MarketPanelSettings:
    """How much the group pushes and how often (tests pass their own)."""

    ladder_levels: int = 50
    """Levels of each side pushed to the ladder beyond those its depth scroll leaves out."""
    tape_rows: int = 200
    """Trades pushed to the tape beyond the newer ones it is scrolled past."""
    tape_hz: float = 10.0
    """Most trade-tape repaints per second (the header shows the last trade at every flush)."""
    list_hz: float = 2.0
    """Most market-list repaints per second."""


class MarketGroup(Horizontal):
    """Market list on the left; header over ladder and tape (a ``PanelGroup``)."""

    place: Place = "main"
    key = ""
    title = "Markets"
    KEYS = [
        Binding("j,down", "market_down", "Move", key_display="↑↓ j k"),
        Binding("k,up", "market_up", "Move", show=False),
        Binding("o", "flip_outcome", "Flip"),
        Binding("t", "trades", "Trades"),
    ]

    ladder: BookLadder
    header: MarketHeader
    tape: TapeView
    market_list: MarketList

    def __init__(
        self,
        controller: MarketSource,
        *,
        settings: Settings | None = None,
        panel: MarketPanelSettings | None = None,
    ) -> None:
        super().__init__(id="market-group")
        self.controller = controller
        self.market = controller.state
        self.panel = panel or MarketPanelSettings()
        self.row_notes = row_notes_of(controller.store)
        """Another feed's notes on the market rows (a linked game's score), if one runs."""
        order = controller.listed
        self.selected: str | None = order[0] if order else None
        self.outcome_index = self._asked_outcome(settings or Settings())
        controller.pinned = self.selected
        self.tape_latency = LatencyWindow()
        """Trade tape: oldest frame behind a tape repaint -> the screen refresh after it."""
        self.list_latency = LatencyWindow()
        """Market list: oldest frame behind a list repaint -> the screen refresh after it."""
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

    @property
    def market_order(self) -> list[str]:
        """The markets listed, in order: the controller's, then those other feeds stream into
        the same slice (``MarketState.more_listed``: the US venue's)."""
        listed = self.controller.listed
        more = self.market.more_listed
        if not more:
            return listed
        return listed + [m for m in more if m not in listed]

    @property
    def dashboard(self) -> Dashboard:
        return cast(Dashboard, self.app)

    def compose(self) -> ComposeResult:
        yield MarketList(id="markets")
        with Vertical(id="main"):
            yield MarketHeader(id="header")
            with Horizontal(id="book-row"):
                yield BookLadder(id="ladder")
                yield TapeView(id="tape")

    def on_mount(self) -> None:
        self.ladder = self.query_one(BookLadder)
        self.header = self.query_one(MarketHeader)
        self.tape = self.query_one(TapeView)
        self.market_list = self.query_one(MarketList)

    def _asked_outcome(self, settings: Settings) -> int:
        """The first market opens on the outcome ``--asset`` named (a No token shows the No
        book), not on the market's first outcome."""
        market = self.selected_market
        if market is None:
            return 0
        asked = [a for a in settings.assets if a in market.token_ids]
        return market.token_ids.index(asked[0]) if asked else 0

    @property
    def selected_market(self) -> MarketInfo | None:
        return self.market.markets.get(self.selected) if self.selected is not None else None

    @property
    def selected_asset(self) -> str | None:
        market = self.selected_market
        if market is None or not market.token_ids:
            return None
        return market.token_ids[self.outcome_index % len(market.token_ids)]

    # -- the PanelGroup protocol ----------------------------------------------------------------

    def show_all(self) -> None:
        self._update_market_list()
        self._show_selected()

    def focus_stops(self) -> list[Widget | None]:
        panels = (self.market_list, self.ladder, self.tape)
        stops: list[Widget | None] = [w for w in self.screen.focus_chain if w in panels]
        if self.market_list not in stops:
            # A hidden market list keeps its stop as "no panel focused", where j/k switch
            # markets (the group's KEYS): otherwise a terminal narrow enough to show only the
            # ladder would keep the focus there for good.
            stops.insert(0, None)
        return stops

    def flush(self, dirty: Dirty, now: float) -> None:
        """Push what changed since the last flush into the panels that show it."""
        slices = dirty.slices
        trust = TRUST in slices
        if trust:
            self._list_pending = True
        if slices:
            oldest = dirty.oldest_arrival
            self._note_pending(slices, oldest)
            asset = self.selected_asset
            shown = live = False
            if asset is not None and (
                book_key(asset) in slices
                or tape_key(asset) in slices
                or MARKETS in slices
                or trust
            ):
                shown, live = self._show_book()
            market = self.selected_market
            if market is not None and market.token_ids and (
                book_key(market.token_ids[0]) in slices or MARKETS in slices or trust
            ):
                self._show_selected_row()
            if shown and oldest is not None:
                self.app.call_after_refresh(
                    self.dashboard.record_latency, oldest, dirty.newest_arrival, live
                )
        if not self._slow_queued and (self._tape_due() or self._list_due()):
            # The slower panels repaint in a screen update of their own right after this one,
            # so no frame carries the ladder, the tape and the list together.
            self._slow_queued = True
            self.app.call_after_refresh(self._flush_slow_panels)

    # -- cadence --------------------------------------------------------------------------------

    def _tape_due(self) -> bool:
        """A tape change waits for the tape's cadence, and while the layout hides the tape,
        for it to be shown (a hidden panel does no work)."""
        # Half a flush period of slack: timer jitter must not cost a whole extra period.
        wait = 1 / self.panel.tape_hz - 0.5 / self.dashboard.refresh_hz
        return (
            self._tape_pending
            and self.tape.display
            and time.perf_counter() - self._tape_shown_at >= wait
        )

    def _list_due(self) -> bool:
        wait = 1 / self.panel.list_hz - 0.5 / self.dashboard.refresh_hz
        return self._list_pending and time.perf_counter() - self._list_shown_at >= wait

    def _flush_slow_panels(self) -> None:
        """Repaint the trade tape and the market list if their cadence allows."""
        self._slow_queued = False
        tape_since = list_since = None
        with self.app.batch_update():
            if self._tape_due():
                tape_since = self._tape_since
                self._show_tape()
            if self._list_due():
                list_since = self._list_since
                if not self._update_market_list():
                    list_since = None
        if tape_since is not None:
            self.app.call_after_refresh(self._record_panel, self.tape_latency, tape_since)
        if list_since is not None:
            self.app.call_after_refresh(self._record_panel, self.list_latency, list_since)

    def _note_pending(self, slices: set[str], oldest: float | None) -> None:
        """Remember tape and list changes until their cadence lets them repaint."""
        asset = self.selected_asset
        if asset is not None and tape_key(asset) in slices and not self._tape_pending:
            self._tape_pending = True
            self._tape_since = oldest
        if not self._list_pending and (
            MARKETS in slices
            or any(key.startswith("market:book:") for key in slices)
            or (self.row_notes is not None and self.row_notes.notes_changed(slices))
        ):
            self._list_pending = True
            self._list_since = oldest

    def _record_panel(self, window: LatencyWindow, since: float) -> None:
        window.add((time.perf_counter() - since) * 1000.0)

    # -- views ------------------------------------------------------------------------------

    def _book_view(self, book: OrderBook) -> tuple[BookView, str]:
        state, detail = self.controller.book_view(book)
        return cast(BookView, state), detail

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
        book = self.market.books.get(asset)
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
        if not self.tape.display:  # hidden: no work; shown, it catches up (``_tape_due``)
            self._tape_pending = True
            return
        asset = self.selected_asset
        tape_state = self.market.tapes.get(asset) if asset is not None else None
        book = self.market.books.get(asset) if asset is not None else None
        if tape_state is not None:
            total, kept = tape_state.total, len(tape_state)
            trades = tape_state.latest(self.tape.offset_at(total) + self.panel.tape_rows)
        else:
            total, kept, trades = 0, 0, []
        stale = book is not None and self._book_view(book)[0] == "stale"
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
        bids, asks = book.top(self.panel.ladder_levels + self.ladder.depth_offset)
        outcome = market.outcome_of(book.asset_id)
        others = [o for o in market.outcomes if o != outcome]
        state, detail = self._book_view(book)
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
        resolved = self.market.resolved.get(market.condition_id)
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
            book_state=self._book_view(book)[0],
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
        if self.selected is None and rows:
            # Nothing was listed when the group was made (markets looked up after start-up,
            # the US venue's): the first one listed is shown.
            self.selected = rows[0].condition_id
            self.controller.pinned = self.selected
            self.call_after_refresh(self._show_selected)
        return self.market_list.update_markets(rows)

    def _market_row(self, condition_id: str) -> MarketRow | None:
        """A market's row in the list (the prices of its first outcome); None if unknown."""
        market = self.market.markets.get(condition_id)
        if market is None:
            return None
        book = self.market.books.get(market.token_ids[0]) if market.token_ids else None
        return MarketRow(
            condition_id=condition_id,
            label=market.question,
            best_bid=book.best_bid if book is not None else None,
            best_ask=book.best_ask if book is not None else None,
            last=book.last_trade_price if book is not None else None,
            resolved=condition_id in self.market.resolved,
            tick=book.tick if book is not None else market.tick_size,
            state=self._book_view(book)[0] if book is not None else "empty",
            note=(
                self.row_notes.row_note(condition_id, int(time.time() * 1000))
                if self.row_notes is not None
                else None
            ),
        )

    def _show_selected_row(self) -> None:
        """The selected market's row now, not at the list's cadence: it shows the book the
        header shows (when that is its first outcome), and the header follows every flush."""
        row = self._market_row(self.selected) if self.selected is not None else None
        if row is not None:
            self.market_list.update_row(row)

    # -- messages and actions ---------------------------------------------------------------

    def on_market_list_market_selected(self, message: MarketList.MarketSelected) -> None:
        if message.condition_id != self.selected:
            self.selected = message.condition_id
            self.controller.pinned = self.selected
            self.outcome_index = 0
            self._reset_scrolls()
            self._show_selected()

    def on_book_ladder_depth_changed(self, message: BookLadder.DepthChanged) -> None:
        """The ladder was scrolled: push the levels its new depth needs now, not at the next
        flush (it already shows what it holds)."""
        self._show_book()

    def on_tape_view_scrolled(self, message: TapeView.Scrolled) -> None:
        """The tape was scrolled: push the trades its new position needs now."""
        self._show_tape()

    def action_flip_outcome(self) -> None:
        market = self.selected_market
        if market is not None and len(market.token_ids) > 1:
            self.outcome_index = (self.outcome_index + 1) % len(market.token_ids)
            self._reset_scrolls()
            self._show_selected()

    def action_trades(self) -> None:
        """The trade tape: focused where it is shown; where the layout hides it (below 100
        columns), shown in the ladder's place, and on the next press the ladder again."""
        if self.has_class("-trades"):
            self.remove_class("-trades")
            self.call_after_refresh(self.ladder.focus)
            return
        if not self.tape.display:
            self.add_class("-trades")
            self._tape_pending = True  # caught up at once: it did no work while hidden
            self.call_after_refresh(self._show_tape_now)
            return
        self.tape.focus()

    def _show_tape_now(self) -> None:
        self._show_tape()
        self.tape.focus()

    def action_market_down(self) -> None:
        self.market_list.action_cursor_down()

    def action_market_up(self) -> None:
        self.market_list.action_cursor_up()
