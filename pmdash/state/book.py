"""One asset's local order book in integer micro-units (PROTOCOLS §1.5).

Each side is a dict ``price -> size`` plus an ascending list of its prices kept sorted with
``bisect``. A size change at an existing level is one dict store; a new or removed level is a
bisect insert or delete; the best bid is ``bid_prices[-1]``, the best ask ``ask_prices[0]``;
top-N is a slice. Prices are keyed exactly (ints), so a tick-size change re-keys nothing.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Literal

from pmdash.models import BookSnapshot, Trade
from pmdash.units import to_decimal_str

BookState = Literal["empty", "live", "stale", "desynced"]
TopLevel = tuple[int, int, int]
"""(price, size, cumulative size from the best level), all micro-units."""

_BID_SIDES = frozenset({"BUY", "bids", "bid"})
_ASK_SIDES = frozenset({"SELL", "asks", "ask"})


def _fmt(units: int | None) -> str:
    return "none" if units is None else to_decimal_str(units)


def _nonzero_levels(levels: tuple[tuple[int, int], ...]) -> dict[int, int]:
    """``price -> size`` without zero-size levels (dict() is the fast path: none are zero)."""
    sizes = dict(levels)
    if 0 in sizes.values():
        return {price: size for price, size in sizes.items() if size}
    return sizes


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
        "hash",
        "heals",
        "last_trade",
        "last_trade_price",
        "live",
        "market",
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
        self._has_snapshot = False
        self._desync_reason: str | None = None
        self._stale_reason: str | None = None
        self.live = False
        """A snapshot was applied and nothing has cast doubt on the book since."""
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
        bids = _nonzero_levels(snap.bids)
        asks = _nonzero_levels(snap.asks)
        self._bids = bids
        self._asks = asks
        self._bid_prices = sorted(bids)
        self._ask_prices = sorted(asks)
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
        if side == "BUY":
            levels = self._bids
            prices = self._bid_prices
        elif side == "SELL":
            levels = self._asks
            prices = self._ask_prices
        else:
            raise ValueError(f"unknown book side: {side!r}")
        if size:
            if price not in levels:
                insort(prices, price)
            levels[price] = size
        elif levels.pop(price, None) is not None:
            del prices[bisect_left(prices, price)]
        self.version += 1

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

    def mark_stale(self, reason: str) -> None:
        """Flag the book as possibly out of date (e.g. reconnecting) until the next snapshot."""
        if self._stale_reason is None:
            self._stale_reason = reason
            self.live = False
            self.version += 1

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
    def state(self) -> BookState:
        if self._desync_reason is not None:
            return "desynced"
        if self._stale_reason is not None:
            return "stale"
        if not self._has_snapshot:
            return "empty"
        return "live"

    # --- reads --------------------------------------------------------------------------

    @property
    def best_bid(self) -> int | None:
        prices = self._bid_prices
        return prices[-1] if prices else None

    @property
    def best_ask(self) -> int | None:
        prices = self._ask_prices
        return prices[0] if prices else None

    @property
    def best_bid_size(self) -> int | None:
        prices = self._bid_prices
        return self._bids[prices[-1]] if prices else None

    @property
    def best_ask_size(self) -> int | None:
        prices = self._ask_prices
        return self._asks[prices[0]] if prices else None

    @property
    def spread(self) -> int | None:
        """Best ask minus best bid (negative when crossed); None if a side is empty."""
        if self._bid_prices and self._ask_prices:
            return self._ask_prices[0] - self._bid_prices[-1]
        return None

    @property
    def mid(self) -> int | None:
        """(best bid + best ask) / 2 in micro-units, rounded down when the sum is odd.

        Exact for every real tick (any tick that is a multiple of 2 micro-units); the rounding
        can only ever drop half a micro-unit.
        """
        if self._bid_prices and self._ask_prices:
            return (self._bid_prices[-1] + self._ask_prices[0]) // 2
        return None

    @property
    def crossed(self) -> bool:
        """Best bid >= best ask: impossible on a correct book."""
        return bool(self._bid_prices and self._ask_prices) and (
            self._bid_prices[-1] >= self._ask_prices[0]
        )

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
        if best_bid is not None:
            mine = self._bid_prices[-1] if self._bid_prices else None
            if mine != best_bid:
                return f"best bid {_fmt(mine)} != server {_fmt(best_bid)}"
        if best_ask is not None:
            mine = self._ask_prices[0] if self._ask_prices else None
            if mine != best_ask:
                return f"best ask {_fmt(mine)} != server {_fmt(best_ask)}"
        return None

    def check(self, best_bid: int | None, best_ask: int | None) -> str | None:
        """``verify`` against the server's best prices, then the crossed-book test.

        Returns what is wrong (the first problem found), or None. One call on the hot path.
        """
        bids = self._bid_prices
        asks = self._ask_prices
        mine_bid = bids[-1] if bids else None
        mine_ask = asks[0] if asks else None
        if (best_bid is None or best_bid == mine_bid) and (
            best_ask is None or best_ask == mine_ask
        ):
            if mine_bid is None or mine_ask is None or mine_bid < mine_ask:
                return None
            return f"crossed book: bid {_fmt(mine_bid)} >= ask {_fmt(mine_ask)}"
        return self.verify(best_bid, best_ask)

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.asset_id[:12]!r}, state={self.state}, "
            f"bid={_fmt(self.best_bid)}, ask={_fmt(self.best_ask)}, "
            f"depth={len(self._bid_prices)}/{len(self._ask_prices)})"
        )
