"""The market feed's slice: books, trade tapes and the markets they belong to.

Pure: no asyncio, no I/O. It takes the market channel's events from the ``Store`` (``routes``)
and marks the books and tapes they changed dirty (``market:book:<asset_id>``,
``market:tape:<asset_id>``, ``market:markets``). The market controller (``live/market.py``)
asks it which books need a fresh snapshot (``take_heals()``) and tells it when the connection
was lost or reopened. Every collection it holds is bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from pmdash.models import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    FeedError,
    LevelChange,
    MarketInfo,
    MarketResolved,
    NewMarket,
    TickSizeChange,
    Trade,
)
from pmdash.state.book import OrderBook, apply_changes
from pmdash.state.tape import TradeTape

FEED = "market"
MARKETS = "market:markets"
"""Dirty key: the markets known, or which of them resolved, changed."""
DELTA_BEFORE_SNAPSHOT = "delta before snapshot"
BOOK_PREFIX = "market:book:"
TAPE_PREFIX = "market:tape:"


def book_key(asset_id: str) -> str:
    """The dirty key of one asset's book."""
    return BOOK_PREFIX + asset_id


def tape_key(asset_id: str) -> str:
    """The dirty key of one asset's trade tape."""
    return TAPE_PREFIX + asset_id


def record_trade(
    books: dict[str, OrderBook],
    tapes: dict[str, TradeTape],
    dirty: set[str],
    keys: dict[str, tuple[str, str]],
    event: Trade,
) -> bool:
    """A trade on a watched asset: its book's last trade, its tape; both dirty (``keys``: the
    book's and the tape's dirty key by asset)."""
    asset_id = event.asset_id
    book = books.get(asset_id)
    if book is None:
        return False
    book.record_trade(event)
    tapes[asset_id].append(event)
    dirty.update(keys[asset_id])
    return True


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


class MarketState:
    """Books, tapes and markets of the market feed, updated from its events (a ``Slice``)."""

    feed = FEED
    shared = True
    """Polymarket US books and trades (``us-markets``) fold in here too, keyed by US slug, so
    both venues show in the same ladder and tape (``Store.add_slice``)."""

    def __init__(self, tape_len: int = 500, max_markets: int = 10_000) -> None:
        self.tape_len = tape_len
        self.max_markets = max_markets
        self.books: dict[str, OrderBook] = {}
        self.tapes: dict[str, TradeTape] = {}
        self.markets: dict[str, MarketInfo] = {}
        self.resolved: dict[str, MarketResolved] = {}
        self.markets_version = 0
        """Counts changes to ``markets`` and ``resolved``: a controller compares it with the one
        it last saw to know whether to follow new markets or stop streaming resolved ones."""
        self.more_listed: list[str] = []
        """Markets another feed streams into this slice (the US venue's slugs), listed after
        the market feed's own."""
        self._asset_market: dict[str, str] = {}
        self._evictable: dict[str, None] = {}
        """Markets none of whose tokens is watched, oldest first: the ones the bound drops."""
        self._watching: dict[str, int] = {}
        """Per market (condition id): how many of its tokens are watched, when any."""
        self._new_markets: dict[str, None] = {}
        """Markets added since the last ``take_new_markets()`` (at most ``max_markets``)."""
        self._book_keys: dict[str, str] = {}
        self._tape_keys: dict[str, str] = {}
        self._trade_keys: dict[str, tuple[str, str]] = {}
        self._heal_queue: dict[str, None] = {}
        self._other_feeds: set[str] = set()
        """Books another feed streams into this slice (the US venue's, by slug): this feed's
        lost connection says nothing of them; their own controller marks them."""
        self._slices: set[str] = set()
        """The Store's dirty set (``bind``); standalone, a set of its own."""

    # --- the Slice protocol ----------------------------------------------------------------

    def bind(self, dirty: set[str]) -> None:
        dirty |= self._slices
        self._slices = dirty

    def routes(self) -> Mapping[type[Any], Callable[[Any], bool]]:
        # The two events of nearly every frame go straight to module functions, through a
        # partial of what they need (at most four: see ``apply_changes``). Measured with
        # benchmarks/ingest_counts.py, (1), instructions a frame: a method each 63,097, these
        # partials 62,951, the Store before it routed 62,511; one fold method per slice taking
        # each event 63,675, or the whole frame 64,811.
        return {
            BookDelta: partial(
                apply_changes, self.books, self._slices, self._book_keys, self._judge
            ),
            Trade: partial(record_trade, self.books, self.tapes, self._slices, self._trade_keys),
            BookSnapshot: self._apply_snapshot,
            TickSizeChange: self._apply_tick,
            BestBidAsk: self._apply_bbo,
            NewMarket: self._apply_new_market,
            MarketResolved: self._apply_resolved,
        }

    # --- subscriptions and metadata ------------------------------------------------------

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
            self._trade_keys[asset_id] = (self._book_keys[asset_id], self._tape_keys[asset_id])
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
            self._heal_queue.pop(asset_id, None)
            self._other_feeds.discard(asset_id)
            self._slices.add(self._book_keys.pop(asset_id))
            self._slices.add(self._tape_keys.pop(asset_id))
            del self._trade_keys[asset_id]

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
        longest is dropped (O(1)); never the one just added, nor one with a watched book (a
        scan of every market per add, which then dropped the one just added, made a
        20,000-market Gamma answer or a ``new_market`` flood cost minutes)."""
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
        self.markets_version += 1
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

    # --- the connection ----------------------------------------------------------------

    def mark_feed_stale(self, reason: str = "reconnecting") -> None:
        """Flag every book stale until its fresh snapshot arrives (call when the connection is
        lost, and again on reconnect: the books keep the newer reason)."""
        others = self._other_feeds
        for asset_id, book in self.books.items():
            if asset_id not in others and book.mark_stale(reason):
                self._slices.add(self._book_keys[asset_id])

    def mark_feed_lost(self, reason: str, at_ms: int | None = None) -> None:
        """The feed's connection is gone (``reason``, as the connection says it, at ``at_ms``
        ms since the epoch if given): every book is stale from this moment, not only once a new
        socket opens, and every tape has a gap after its newest trade (nothing replays the
        trades made until the reconnect)."""
        self.mark_feed_stale(f"connection lost: {reason}")
        for asset_id, tape in self.tapes.items():
            if asset_id not in self._other_feeds and tape.mark_gap(at_ms):
                self._slices.add(self._tape_keys[asset_id])

    def mark_feed_reconnected(self) -> None:
        """A new connection opened: every book is stale until its fresh snapshot arrives."""
        self.mark_feed_stale("reconnected: waiting for a fresh snapshot")

    # --- heals and dirty slices -----------------------------------------------------------

    def take_heals(self) -> list[str]:
        """Assets whose book became desynced since the last call (each queued once)."""
        heals = list(self._heal_queue)
        self._heal_queue.clear()
        return heals

    def distrust(self, error: FeedError) -> bool:
        """Input that could not be read may have carried a book change: the books it could
        have touched are marked desynced and healed from fresh snapshots, never trusted."""
        if error.all_books:  # every book of this feed (not another feed's: it reads its own)
            others = self._other_feeds
            suspects = [b for a, b in self.books.items() if a not in others]
        else:
            suspects = [self.books[a] for a in error.asset_ids if a in self.books]
            if not suspects and error.market:
                suspects = [b for b in self.books.values() if b.market == error.market]
        reason = f"unreadable frame: {error.message}"
        for book in suspects:
            self._desync(book, reason)
            self._slices.add(self._book_keys[book.asset_id])
        return bool(suspects)

    def _desync(self, book: OrderBook, reason: str) -> None:
        if book.mark_desynced(reason):
            self._heal_queue[book.asset_id] = None

    # --- events --------------------------------------------------------------------------

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
        if event.feed != self.feed:
            self._other_feeds.add(asset_id)
        self._heal_queue.pop(asset_id, None)
        self._slices.add(self._book_keys[asset_id])
        return True

    def _apply_tick(self, event: TickSizeChange) -> bool:
        book = self.books.get(event.asset_id)
        if book is None:
            return False
        book.set_tick(event.new_tick_size)
        self._slices.add(self._book_keys[event.asset_id])
        return True

    def _apply_bbo(self, event: BestBidAsk) -> bool:
        """The server's best prices: taken (so never reported unknown), but the books keep
        their own, checked against each delta's ``best_bid``/``best_ask``."""
        return False

    def _apply_new_market(self, event: NewMarket) -> bool:
        self.add_market(market_info_of(event))
        return True

    def _apply_resolved(self, event: MarketResolved) -> bool:
        self.resolved.pop(event.market, None)
        self.resolved[event.market] = event
        while len(self.resolved) > self.max_markets:
            del self.resolved[next(iter(self.resolved))]
        self.markets_version += 1
        self._slices.add(MARKETS)
        self._finalize(event)
        return True
