"""The Store: routes decoded events into books, tapes and statuses, and records what changed.

Pure: no asyncio, no I/O. The App feeds it ``apply(events, arrival)`` per frame and, on its
flush timer, calls ``take_dirty()`` to learn which slices to redraw and ``take_heals()`` to learn
which books need a fresh snapshot. Every collection it holds is bounded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from pmdash.models import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    Event,
    FeedError,
    FeedStatus,
    LevelChange,
    MarketInfo,
    MarketResolved,
    NewMarket,
    TickSizeChange,
    Trade,
    UnknownEvent,
)
from pmdash.state.book import OrderBook, apply_changes
from pmdash.state.tape import TradeTape

STATUS = "status"
MARKETS = "markets"
ERRORS = "errors"
DELTA_BEFORE_SNAPSHOT = "delta before snapshot"


def book_key(asset_id: str) -> str:
    """The dirty-slice key of one asset's book."""
    return "book:" + asset_id


def tape_key(asset_id: str) -> str:
    """The dirty-slice key of one asset's trade tape."""
    return "tape:" + asset_id


@dataclass(slots=True)
class Dirty:
    """What changed since the last ``Store.take_dirty()``."""

    slices: set[str] = field(default_factory=set)
    """Keys: ``book:<asset_id>``, ``tape:<asset_id>``, ``status``, ``markets``, ``errors``."""
    oldest_arrival: float | None = None
    """``time.perf_counter()`` stamp of the earliest frame folded into these changes."""
    newest_arrival: float | None = None
    """``time.perf_counter()`` stamp of the latest frame folded into these changes."""

    def __bool__(self) -> bool:
        return bool(self.slices)

    def book_ids(self) -> set[str]:
        """Asset ids whose book changed."""
        return {key[5:] for key in self.slices if key.startswith("book:")}

    def tape_ids(self) -> set[str]:
        """Asset ids whose tape changed."""
        return {key[5:] for key in self.slices if key.startswith("tape:")}


def market_info_of(event: NewMarket) -> MarketInfo:
    """The MarketInfo a ``new_market`` event describes."""
    return MarketInfo(
        condition_id=event.market,
        question=event.question,
        slug=event.slug,
        token_ids=event.asset_ids,
        outcomes=event.outcomes,
        tick_size=event.tick_size if event.tick_size is not None else 10_000,
        gamma_id=event.id,
    )


class Store:
    """Books, tapes, markets and feed health, updated from events."""

    def __init__(
        self,
        tape_len: int = 500,
        error_log_len: int = 200,
        max_markets: int = 10_000,
    ) -> None:
        self.tape_len = tape_len
        self.max_markets = max_markets
        self.books: dict[str, OrderBook] = {}
        self.tapes: dict[str, TradeTape] = {}
        self.server_bbo: dict[str, BestBidAsk] = {}
        """The last ``best_bid_ask`` event per watched asset (not applied to the book)."""
        self.markets: dict[str, MarketInfo] = {}
        self.resolved: dict[str, MarketResolved] = {}
        self.statuses: dict[str, FeedStatus] = {}
        self.recent_errors: deque[FeedError] = deque(maxlen=error_log_len)
        self.unknown_events: dict[str, int] = {}
        """Per feed: events of a type this version does not know (not errors)."""
        self.ignored_events = 0
        """Events of a kind the Store does not route (e.g. other feeds' events)."""
        self.heals_requested = 0
        self._error_counts: dict[str, int] = {}
        self._asset_market: dict[str, str] = {}
        self._evictable: dict[str, None] = {}
        """Markets none of whose tokens is watched, oldest first: the ones the bound drops."""
        self._watching: dict[str, int] = {}
        """Per market (condition id): how many of its tokens are watched, when any."""
        self._new_markets: dict[str, None] = {}
        """Markets added since the last ``take_new_markets()`` (at most ``max_markets``)."""
        self._book_keys: dict[str, str] = {}
        self._tape_keys: dict[str, str] = {}
        self._heal_queue: dict[str, None] = {}
        self._slices: set[str] = set()
        self._doubtful: list[tuple[OrderBook, LevelChange]] = []
        self._oldest: float | None = None
        self._newest: float | None = None

    # --- subscriptions and metadata ------------------------------------------------------

    @property
    def watched(self) -> set[str]:
        return set(self.books)

    def watch(self, asset_ids: Iterable[str], market: str = "") -> None:
        """Create empty books and tapes for assets not watched yet."""
        if isinstance(asset_ids, str):
            asset_ids = (asset_ids,)
        for asset_id in asset_ids:
            if asset_id in self.books:
                continue
            info = self.market_of(asset_id)
            book = OrderBook(
                asset_id,
                market or (info.condition_id if info else ""),
                info.tick_size if info else 10_000,
            )
            self.books[asset_id] = book
            self._count_watch(asset_id, 1)
            self.tapes[asset_id] = TradeTape(self.tape_len)
            self._book_keys[asset_id] = book_key(asset_id)
            self._tape_keys[asset_id] = tape_key(asset_id)
            self._slices.add(self._book_keys[asset_id])

    def unwatch(self, asset_ids: Iterable[str]) -> None:
        """Drop the books, tapes and pending heals of these assets."""
        if isinstance(asset_ids, str):
            asset_ids = (asset_ids,)
        for asset_id in asset_ids:
            if self.books.pop(asset_id, None) is None:
                continue
            self._count_watch(asset_id, -1)
            del self.tapes[asset_id]
            self.server_bbo.pop(asset_id, None)
            self._heal_queue.pop(asset_id, None)
            self._slices.add(self._book_keys.pop(asset_id))
            self._slices.add(self._tape_keys.pop(asset_id))

    def _count_watch(self, asset_id: str, step: int) -> None:
        """Keep ``_watching`` and ``_evictable`` in step with a token watched (+1) or not."""
        condition_id = self._asset_market.get(asset_id)
        if condition_id is None:
            return
        count = self._watching.get(condition_id, 0) + step
        if count > 0:
            self._watching[condition_id] = count
            self._evictable.pop(condition_id, None)
        else:
            self._watching.pop(condition_id, None)
            self._evictable[condition_id] = None

    def add_market(self, info: MarketInfo) -> None:
        """Record a market's metadata. Bounded: past ``max_markets`` the market unwatched
        longest is dropped (O(1)); never the one just added, nor one with a watched book."""
        condition_id = info.condition_id
        old = self.markets.pop(condition_id, None)
        if old is not None:
            for token in old.token_ids:
                self._asset_market.pop(token, None)
        self.markets[condition_id] = info
        self._new_markets[condition_id] = None
        watched = 0
        for token in info.token_ids:
            self._asset_market[token] = condition_id
            book = self.books.get(token)
            if book is not None:
                watched += 1
                if not book.has_snapshot:
                    # Watched before its metadata arrived: adopt the market's id and tick.
                    book.market = book.market or condition_id
                    book.set_tick(info.tick_size)
        self._evictable.pop(condition_id, None)
        if watched:
            self._watching[condition_id] = watched
        else:
            self._watching.pop(condition_id, None)
            self._evictable[condition_id] = None
        if len(self.markets) > self.max_markets:
            self._evict_market(keep=condition_id)
        self._slices.add(MARKETS)

    def _evict_market(self, keep: str) -> None:
        """Drop the market unwatched longest, but ``keep`` (the one just added)."""
        candidates = iter(self._evictable)
        condition_id = next(candidates, None)
        if condition_id == keep:
            condition_id = next(candidates, None)
        if condition_id is None:  # every other market has a watched book: those stay
            return
        del self._evictable[condition_id]
        self._new_markets.pop(condition_id, None)
        info = self.markets.pop(condition_id)
        for token in info.token_ids:
            if self._asset_market.get(token) == condition_id:
                del self._asset_market[token]

    def take_new_markets(self) -> list[MarketInfo]:
        """The markets added (or described again) since the last call, oldest first."""
        fresh = [self.markets[cid] for cid in self._new_markets if cid in self.markets]
        self._new_markets.clear()
        return fresh

    def market_of(self, asset_id: str) -> MarketInfo | None:
        condition_id = self._asset_market.get(asset_id)
        return None if condition_id is None else self.markets.get(condition_id)

    # --- feed health ---------------------------------------------------------------------

    def errors(self, feed: str) -> int:
        """How many FeedError events this feed produced."""
        return self._error_counts.get(feed, 0)

    def mark_feed_stale(self, feed: str = "market", reason: str = "reconnecting") -> None:
        """Flag every book stale until its fresh snapshot arrives (call when the connection is
        lost, and again on reconnect: the books keep the newer reason)."""
        if feed != "market":
            return
        for asset_id, book in self.books.items():
            if book.mark_stale(reason):
                self._slices.add(self._book_keys[asset_id])

    def mark_feed_lost(self, feed: str, reason: str, at_ms: int | None = None) -> None:
        """The feed's connection is gone (``reason``, as the connection says it, at ``at_ms``
        ms since the epoch if given): every book is stale from this moment, not only once a new
        socket opens, and every tape has a gap after its newest trade (nothing replays the
        trades made until the reconnect)."""
        self.mark_feed_stale(feed, f"connection lost: {reason}")
        if feed != "market":
            return
        for asset_id, tape in self.tapes.items():
            if tape.mark_gap(at_ms):
                self._slices.add(self._tape_keys[asset_id])

    def mark_feed_reconnected(self, feed: str) -> None:
        """A new connection opened: every book is stale until its fresh snapshot arrives."""
        self.mark_feed_stale(feed, "reconnected: waiting for a fresh snapshot")

    # --- heals and dirty slices -----------------------------------------------------------

    def take_heals(self) -> list[str]:
        """Assets whose book became desynced since the last call (each queued once)."""
        heals = list(self._heal_queue)
        self._heal_queue.clear()
        return heals

    def take_dirty(self) -> Dirty:
        """What changed since the last call, and the arrival stamps of the frames behind it."""
        dirty = Dirty(self._slices, self._oldest, self._newest)
        self._slices = set()
        self._oldest = None
        self._newest = None
        return dirty

    def _distrust(self, error: FeedError) -> None:
        """Input that could not be read may have carried a book change: the books it could
        have touched are marked desynced and healed from fresh snapshots, never trusted."""
        if error.feed != "market":
            return
        if error.all_books:
            suspects = list(self.books.values())
        else:
            suspects = [self.books[a] for a in error.asset_ids if a in self.books]
            if not suspects and error.market:
                suspects = [b for b in self.books.values() if b.market == error.market]
        reason = f"unreadable frame: {error.message}"
        for book in suspects:
            self._desync(book, reason)
            self._slices.add(self._book_keys[book.asset_id])

    def _desync(self, book: OrderBook, reason: str) -> None:
        if book.mark_desynced(reason):
            self._heal_queue[book.asset_id] = None
            self.heals_requested += 1

    # --- events --------------------------------------------------------------------------

    def apply(self, events: Iterable[Event], arrival: float | None = None) -> None:
        """Fold one frame's events in. ``arrival``: ``time.perf_counter()`` at frame arrival."""
        changed = False
        for event in events:
            if type(event) is BookDelta:
                doubtful = self._doubtful
                try:
                    if apply_changes(
                        self.books,
                        event.changes,
                        event.timestamp,
                        self._slices,
                        self._book_keys,
                        doubtful,
                    ):
                        changed = True
                finally:  # also when an entry raised (an unknown side): judge those before it
                    if doubtful:
                        self._judge(doubtful)
            elif type(event) is Trade:  # a trade's book and tape, here (one call less per trade)
                asset_id = event.asset_id
                book = self.books.get(asset_id)
                if book is not None:
                    book.record_trade(event)
                    self.tapes[asset_id].append(event)
                    self._slices.add(self._book_keys[asset_id])
                    self._slices.add(self._tape_keys[asset_id])
                    changed = True
            elif type(event) is BookSnapshot:
                if self._apply_snapshot(event):
                    changed = True
            elif self._apply_other(event):
                changed = True
        if changed and arrival is not None:
            if self._oldest is None or arrival < self._oldest:
                self._oldest = arrival
            if self._newest is None or arrival > self._newest:
                self._newest = arrival

    def _judge(self, doubtful: list[tuple[OrderBook, LevelChange]]) -> None:
        """Books a delta left in doubt: not live (desync, unless already), or live but not
        agreeing with the server's best prices (``book.check`` says whether that is wrong)."""
        for book, change in doubtful:
            if book.live:
                reason = book.check(change.best_bid, change.best_ask)
                if reason is not None:
                    self._desync(book, reason)
            else:
                self._delta_while_not_live(book)
        doubtful.clear()

    def _finalize(self, event: MarketResolved) -> None:
        """A resolved market's books are final: as they closed, never stale again."""
        market = self.markets.get(event.market)
        assets = event.asset_ids or (market.token_ids if market is not None else ())
        if not assets:  # neither named nor listed: the books watched for that market
            assets = tuple(a for a, book in self.books.items() if book.market == event.market)
        for asset_id in assets:
            book = self.books.get(asset_id)
            if book is not None and book.mark_final():
                self._slices.add(self._book_keys[asset_id])

    def _delta_while_not_live(self, book: OrderBook) -> None:
        if book.desynced:
            return  # already waiting for its heal
        if book.has_snapshot:
            self._desync(book, f"{DELTA_BEFORE_SNAPSHOT} (stale: {book.stale_reason})")
        else:
            self._desync(book, DELTA_BEFORE_SNAPSHOT)

    def _apply_snapshot(self, event: BookSnapshot) -> bool:
        asset_id = event.asset_id
        book = self.books.get(asset_id)
        if book is None:
            return False
        book.apply_snapshot(event)
        self._heal_queue.pop(asset_id, None)
        self._slices.add(self._book_keys[asset_id])
        return True

    def _apply_other(self, event: Event) -> bool:
        if isinstance(event, TickSizeChange):
            book = self.books.get(event.asset_id)
            if book is None:
                return False
            book.set_tick(event.new_tick_size)
            self._slices.add(self._book_keys[event.asset_id])
        elif isinstance(event, BestBidAsk):
            if event.asset_id not in self.books:
                return False
            self.server_bbo[event.asset_id] = event
            self._slices.add(self._book_keys[event.asset_id])
        elif isinstance(event, NewMarket):
            self.add_market(market_info_of(event))
        elif isinstance(event, MarketResolved):
            self.resolved.pop(event.market, None)
            self.resolved[event.market] = event
            while len(self.resolved) > self.max_markets:
                del self.resolved[next(iter(self.resolved))]
            self._slices.add(MARKETS)
            self._finalize(event)
        elif isinstance(event, FeedStatus):
            self.statuses[event.feed] = event
            self._slices.add(STATUS)
        elif isinstance(event, FeedError):
            self._error_counts[event.feed] = self._error_counts.get(event.feed, 0) + 1
            self.recent_errors.append(event)
            self._slices.add(ERRORS)
            self._distrust(event)
        elif isinstance(event, UnknownEvent):
            self.unknown_events[event.feed] = self.unknown_events.get(event.feed, 0) + 1
            self._slices.add(STATUS)
        else:
            self.ignored_events += 1
            return False
        return True
