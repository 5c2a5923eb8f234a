"""One asset's local order book in integer micro-units (PROTOCOLS §1.5).

Each side is a dict ``price -> size`` plus an ascending list of its prices kept sorted with
``bisect``. A size change at an existing level is one dict store; a new or removed level is a
bisect insert or delete, and when it moves the top of its side it refreshes ``best_bid``
(``bid_prices[-1]``) or ``best_ask`` (``ask_prices[0]``) and ``spread``: plain attributes, so
reading them costs nothing. Top-N is a slice. Prices are keyed exactly (ints), so a tick-size
change re-keys nothing. ``apply_changes`` applies a whole ``price_change`` to the books it
names in one loop (the ingest hot path).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable
from typing import Literal

from pmdash.models import BookDelta, BookSnapshot, LevelChange, Trade
from pmdash.units import to_decimal_str

BookState = Literal["empty", "live", "stale", "desynced", "final"]
TopLevel = tuple[int, int, int]
"""(price, size, cumulative size from the best level), all micro-units."""

_BID_SIDES = frozenset({"BUY", "bids", "bid"})
_ASK_SIDES = frozenset({"SELL", "asks", "ask"})


def _fmt(units: int | None) -> str:
    return "none" if units is None else to_decimal_str(units)


def _with_cumulative(prices: list[int], sizes: dict[int, int]) -> list[TopLevel]:
    out: list[TopLevel] = []
    total = 0
    for price in prices:
        size = sizes[price]
        total += size
        out.append((price, size, total))
    return out


class OrderBook:
    """Bids and asks of one asset, with the flags the UI shows (stale, desynced)."""

    __slots__ = (
        "_ask_prices",
        "_asks",
        "_bid_prices",
        "_bids",
        "_desync_reason",
        "_has_snapshot",
        "_stale_reason",
        "asset_id",
        "best_ask",
        "best_bid",
        "final",
        "hash",
        "heals",
        "last_trade",
        "last_trade_price",
        "live",
        "market",
        "spread",
        "tick",
        "timestamp",
        "version",
    )

    def __init__(self, asset_id: str, market: str = "", tick: int = 10_000) -> None:
        self.asset_id = asset_id
        self.market = market
        self.tick = tick
        self._bids: dict[int, int] = {}
        self._asks: dict[int, int] = {}
        self._bid_prices: list[int] = []
        """Ascending: the best bid is the last element."""
        self._ask_prices: list[int] = []
        """Ascending: the best ask is the first element."""
        self.best_bid: int | None = None
        """The highest bid price (None: no bids). Kept current by every update; do not set."""
        self.best_ask: int | None = None
        """The lowest ask price (None: no asks). Kept current by every update; do not set."""
        self.spread: int | None = None
        """Best ask minus best bid (negative when crossed); None if a side is empty. Kept
        current by every update; do not set."""
        self._has_snapshot = False
        self._desync_reason: str | None = None
        self._stale_reason: str | None = None
        self.live = False
        """A snapshot was applied and nothing has cast doubt on the book since."""
        self.final = False
        """Its market resolved: the book is as it closed and no longer streamed (never stale)."""
        self.hash = ""
        self.timestamp = 0
        """Server time (Unix ms) of the last snapshot or delta applied."""
        self.last_trade: Trade | None = None
        self.last_trade_price: int | None = None
        """From the last snapshot (the server's field), or the last trade seen."""
        self.heals = 0
        """How many times a snapshot replaced this book while it was desynced."""
        self.version = 0
        """Bumped on every change; views skip a book whose version they have drawn."""

    # --- updates ------------------------------------------------------------------------

    def apply_snapshot(self, snap: BookSnapshot) -> None:
        """Replace both sides; clear the stale and desynced flags (a heal if desynced).

        Zero-size levels are dropped; if a price repeats, its last entry wins.
        """
        bids = dict(snap.bids)
        if not all(bids.values()):
            bids = {price: size for price, size in bids.items() if size}
        asks = dict(snap.asks)
        if not all(asks.values()):
            asks = {price: size for price, size in asks.items() if size}
        self._bids = bids
        self._asks = asks
        self._bid_prices = bid_prices = sorted(bids)  # one pass: the snapshot is sorted
        self._ask_prices = ask_prices = sorted(asks)
        self.best_bid = best_bid = bid_prices[-1] if bid_prices else None
        self.best_ask = best_ask = ask_prices[0] if ask_prices else None
        self.spread = None if best_bid is None or best_ask is None else best_ask - best_bid
        self.hash = snap.hash
        self.timestamp = snap.timestamp
        if snap.tick_size is not None:
            self.tick = snap.tick_size
        if snap.last_trade_price is not None:
            self.last_trade_price = snap.last_trade_price
        if snap.market:
            self.market = snap.market
        if self._desync_reason is not None:
            self.heals += 1
        self._desync_reason = None
        self._stale_reason = None
        self._has_snapshot = True
        self.live = True
        self.version += 1

    def apply_change(self, side: str, price: int, size: int) -> None:
        """Set the aggregate ``size`` at ``price`` ("BUY": bids, "SELL": asks); 0 removes it."""
        change = LevelChange(self.asset_id, side, price, size)  # type: ignore[arg-type]
        asset = self.asset_id
        delta = BookDelta(feed="", market=self.market, timestamp=self.timestamp, changes=(change,))
        apply_changes({asset: self}, set(), {asset: ""}, _no_judge, delta)

    def set_tick(self, tick: int) -> None:
        """A ``tick_size_change``: only the display precision changes; levels stay keyed."""
        if tick != self.tick:
            self.tick = tick
            self.version += 1

    def record_trade(self, trade: Trade) -> None:
        self.last_trade = trade
        self.last_trade_price = trade.price
        self.version += 1

    def mark_desynced(self, reason: str) -> bool:
        """Flag the book as wrong until the next snapshot. True if it was not desynced yet."""
        if self._desync_reason is not None:
            return False
        self._desync_reason = reason
        self.live = False
        self.version += 1
        return True

    def mark_stale(self, reason: str) -> bool:
        """Flag the book as possibly out of date (connection lost, reconnected) until the next
        snapshot. Marking it again names the newer cause. True if anything changed. A final
        book is never stale: nothing more will come for it."""
        if self._stale_reason == reason or self.final:
            return False
        self._stale_reason = reason
        self.live = False
        self.version += 1
        return True

    def mark_final(self) -> bool:
        """Its market resolved: keep the book as it is, no longer stale or waiting for a
        snapshot (its desync reason stays: that book was known to be wrong when it closed).
        True if it was not final."""
        if self.final:
            return False
        self.final = True
        self._stale_reason = None
        self.version += 1
        return True

    # --- flags --------------------------------------------------------------------------

    @property
    def has_snapshot(self) -> bool:
        return self._has_snapshot

    @property
    def desynced(self) -> bool:
        return self._desync_reason is not None

    @property
    def desync_reason(self) -> str | None:
        return self._desync_reason

    @property
    def stale(self) -> bool:
        return self._stale_reason is not None

    @property
    def stale_reason(self) -> str | None:
        return self._stale_reason

    @property
    def last_trade_side(self) -> str:
        """The taker side of the trade at ``last_trade_price`` when that is the last trade seen
        ("" when the price came from a newer snapshot, or the trade had no side)."""
        trade = self.last_trade
        if trade is None or trade.price != self.last_trade_price:
            return ""
        return trade.side or ""

    @property
    def state(self) -> BookState:
        """``final`` first: nothing more will come for a resolved market's book, so it is not
        waiting for anything (``desync_reason`` still says if it was out of sync at the end,
        ``has_snapshot`` if it ever got a book)."""
        if self.final:
            return "final"
        if self._desync_reason is not None:
            return "desynced"
        if self._stale_reason is not None:
            return "stale"
        if not self._has_snapshot:
            return "empty"
        return "live"

    # --- reads --------------------------------------------------------------------------

    @property
    def best_bid_size(self) -> int | None:
        prices = self._bid_prices
        return self._bids[prices[-1]] if prices else None

    @property
    def best_ask_size(self) -> int | None:
        prices = self._ask_prices
        return self._asks[prices[0]] if prices else None

    @property
    def mid(self) -> int | None:
        """(best bid + best ask) / 2 in micro-units, rounded down when the sum is odd.

        Exact for every real tick (any tick that is a multiple of 2 micro-units); the rounding
        can only ever drop half a micro-unit.
        """
        bid = self.best_bid
        ask = self.best_ask
        if bid is None or ask is None:
            return None
        return (bid + ask) // 2

    @property
    def crossed(self) -> bool:
        """Best bid >= best ask: impossible on a correct book."""
        bid = self.best_bid
        ask = self.best_ask
        return bid is not None and ask is not None and bid >= ask

    def top(self, n: int) -> tuple[list[TopLevel], list[TopLevel]]:
        """The best ``n`` levels per side as (price, size, cumulative size), best first."""
        if n <= 0:
            return [], []
        bid_prices = self._bid_prices[: -n - 1 : -1]
        ask_prices = self._ask_prices[:n]
        return (
            _with_cumulative(bid_prices, self._bids),
            _with_cumulative(ask_prices, self._asks),
        )

    def levels(self, side: str) -> list[tuple[int, int]]:
        """One whole side, best first. ``side``: "BUY"/"bids" or "SELL"/"asks"."""
        if side in _BID_SIDES:
            bids = self._bids
            return [(price, bids[price]) for price in reversed(self._bid_prices)]
        if side in _ASK_SIDES:
            asks = self._asks
            return [(price, asks[price]) for price in self._ask_prices]
        raise ValueError(f"unknown book side: {side!r}")

    def depth(self, side: str) -> int:
        """How many price levels one side holds."""
        if side in _BID_SIDES:
            return len(self._bid_prices)
        if side in _ASK_SIDES:
            return len(self._ask_prices)
        raise ValueError(f"unknown book side: {side!r}")

    def size_at(self, side: str, price: int) -> int:
        """The size resting at ``price`` on one side (0 if no level)."""
        if side in _BID_SIDES:
            return self._bids.get(price, 0)
        if side in _ASK_SIDES:
            return self._asks.get(price, 0)
        raise ValueError(f"unknown book side: {side!r}")

    def verify(self, best_bid: int | None, best_ask: int | None) -> str | None:
        """Compare with the server's best prices (None: not given, skipped).

        Returns a description of the first mismatch, or None when they agree.
        """
        if best_bid is not None and best_bid != self.best_bid:
            return f"best bid {_fmt(self.best_bid)} != server {_fmt(best_bid)}"
        if best_ask is not None and best_ask != self.best_ask:
            return f"best ask {_fmt(self.best_ask)} != server {_fmt(best_ask)}"
        return None

    def check(self, best_bid: int | None, best_ask: int | None) -> str | None:
        """``verify`` against the server's best prices, then the crossed-book test.

        Returns what is wrong (the first problem found), or None.
        """
        reason = self.verify(best_bid, best_ask)
        if reason is None and self.crossed:
            return f"crossed book: bid {_fmt(self.best_bid)} >= ask {_fmt(self.best_ask)}"
        return reason

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.asset_id[:12]!r}, state={self.state}, "
            f"bid={_fmt(self.best_bid)}, ask={_fmt(self.best_ask)}, "
            f"depth={len(self._bid_prices)}/{len(self._ask_prices)})"
        )


Doubtful = list[tuple[OrderBook, LevelChange]]


def _no_judge(doubtful: Doubtful) -> None:
    """A lone book's change (``OrderBook.apply_change``): nothing to judge it against."""


def apply_changes(
    books: dict[str, OrderBook],
    dirty: set[str],
    keys: dict[str, str],
    judge: Callable[[Doubtful], None],
    delta: BookDelta,
) -> bool:
    """Apply one ``price_change`` message (``delta``) to the books (of ``books``) its entries
    name; True if any was touched. The ingest hot path: the loop is written out, no call per
    entry (``OrderBook.apply_change`` is this function on one entry), and the delta comes last
    so that the market slice routes ``BookDelta`` here through a ``functools.partial`` of the
    rest, with no Python call between; five arguments at most, so the partial passes them on
    the C stack (with six it allocates: measured, with the call, 600 instructions of 63,000 a
    frame in ``benchmarks/ingest_counts.py``).

    The server's best prices of an asset's LAST entry describe its book after the whole
    message (earlier entries may be superseded within it), so each book is finished after its
    last entry: it takes ``timestamp``, its key (``keys``) goes into ``dirty``, and unless it
    is live and agrees with that entry's best prices (both given, both the book's, not
    crossed) the pair (book, entry) is doubtful; the doubtful pairs go to ``judge`` at the end
    (also when an entry raised). Raises ValueError on a side that is not "BUY" or "SELL" (the
    entries before it stay).
    """
    changes = delta.changes
    timestamp = delta.timestamp
    doubtful: Doubtful | None = None
    try:
        last: dict[str, LevelChange] | None = None
        count = len(changes)
        if count > 1 and (count > 2 or changes[0].asset_id == changes[1].asset_id):
            last = {}  # usually every asset has one entry: no lookup table
            for change in changes:  # a loop: a comprehension is a function call on 3.11
                last[change.asset_id] = change
        touched = False
        for change in changes:
            asset_id = change.asset_id
            book = books.get(asset_id)
            if book is None:
                continue  # the complementary token, or an asset no longer watched
            price = change.price
            size = change.size
            side = change.side
            if side == "BUY":
                levels = book._bids
                if size:
                    if price not in levels:
                        prices = book._bid_prices
                        insort(prices, price)
                        if prices[-1] == price:
                            book.best_bid = price
                            ask = book.best_ask
                            book.spread = None if ask is None else ask - price
                    levels[price] = size
                elif levels.pop(price, None) is not None:
                    prices = book._bid_prices
                    del prices[bisect_left(prices, price)]
                    if price == book.best_bid:
                        book.best_bid = bid = prices[-1] if prices else None
                        ask = book.best_ask
                        book.spread = None if bid is None or ask is None else ask - bid
            elif side == "SELL":
                levels = book._asks
                if size:
                    if price not in levels:
                        prices = book._ask_prices
                        insort(prices, price)
                        if prices[0] == price:
                            book.best_ask = price
                            bid = book.best_bid
                            book.spread = None if bid is None else price - bid
                    levels[price] = size
                elif levels.pop(price, None) is not None:
                    prices = book._ask_prices
                    del prices[bisect_left(prices, price)]
                    if price == book.best_ask:
                        book.best_ask = ask = prices[0] if prices else None
                        bid = book.best_bid
                        book.spread = None if bid is None or ask is None else ask - bid
            else:
                raise ValueError(f"unknown book side: {side!r}")
            book.version += 1
            if last is not None and last[asset_id] is not change:
                continue
            touched = True
            book.timestamp = timestamp
            dirty.add(keys[asset_id])
            bid = change.best_bid
            ask = change.best_ask
            if not (
                book.live
                and bid == book.best_bid
                and ask == book.best_ask
                and bid is not None
                and ask is not None
                and bid < ask
            ):
                if doubtful is None:
                    doubtful = [(book, change)]
                else:
                    doubtful.append((book, change))
        return touched
    finally:
        if doubtful:
            judge(doubtful)
