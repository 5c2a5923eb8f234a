"""Ground-truth order book of one binary market.

One book is kept per market, in terms of outcome 0 (YES / Up). Outcome 1 is derived from it:
a YES bid of size s at p IS a NO ask of size s at 1 - p, so the two books mirror exactly by
construction. Prices and sizes are ``pmdash.units`` micro-units.
"""

from __future__ import annotations

from pmdash.models import Level, Side
from pmdash.units import SCALE

_DIRTY = -1
Change = tuple[Side, int, int]
"""A level change in outcome-0 terms: (side, price, new aggregate size; 0 removes it)."""


def mirror_price(price: int) -> int:
    return SCALE - price


def mirror_side(side: Side) -> Side:
    return "SELL" if side == "BUY" else "BUY"


class MarketBook:
    """The outcome-0 book: ``bids``/``asks`` map price -> size; ``tick`` applies to both tokens."""

    __slots__ = ("_best_ask", "_best_bid", "asks", "bids", "last_trade", "tick", "volume")

    def __init__(self, tick: int = 10_000) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.tick = tick
        self.last_trade: int | None = None
        """Outcome-0 price of the last trade (outcome 1 traded at 1 - it)."""
        self.volume = 0
        """Traded shares in micro-units."""
        self._best_bid: int | None = None
        self._best_ask: int | None = None

    def side(self, side: Side) -> dict[int, int]:
        return self.bids if side == "BUY" else self.asks

    # The touch is cached: _DIRTY after the best level went away, recomputed on demand.

    def best_bid(self) -> int | None:
        if self._best_bid == _DIRTY:
            self._best_bid = max(self.bids) if self.bids else None
        return self._best_bid

    def best_ask(self) -> int | None:
        if self._best_ask == _DIRTY:
            self._best_ask = min(self.asks) if self.asks else None
        return self._best_ask

    def set(self, side: Side, price: int, size: int) -> Change:
        """Set one level's aggregate size (0 removes it)."""
        if side == "BUY":
            best = self._best_bid
            if size > 0:
                self.bids[price] = size
                if best != _DIRTY and (best is None or price > best):
                    self._best_bid = price
            else:
                self.bids.pop(price, None)
                if price == best:
                    self._best_bid = _DIRTY
        else:
            best = self._best_ask
            if size > 0:
                self.asks[price] = size
                if best != _DIRTY and (best is None or price < best):
                    self._best_ask = price
            else:
                self.asks.pop(price, None)
                if price == best:
                    self._best_ask = _DIRTY
        return (side, price, max(size, 0))

    def add(self, side: Side, price: int, size: int) -> Change:
        return self.set(side, price, self.side(side).get(price, 0) + size)

    def reduce(self, side: Side, price: int, size: int) -> Change:
        return self.set(side, price, self.side(side).get(price, 0) - size)

    def take(self, taker: Side, size: int) -> tuple[list[Change], list[Level]]:
        """A market order on outcome 0: a BUY consumes asks from the lowest up, a SELL bids
        from the highest down. Returns the level changes and the fills (price, size)."""
        levels = self.asks if taker == "BUY" else self.bids
        maker: Side = "SELL" if taker == "BUY" else "BUY"
        prices = sorted(levels, reverse=taker == "SELL")
        changes: list[Change] = []
        fills: list[Level] = []
        left = size
        for price in prices:
            if left <= 0:
                break
            here = levels[price]
            filled = min(here, left)
            left -= filled
            fills.append((price, filled))
            changes.append(self.set(maker, price, here - filled))
        if fills:
            self.last_trade = fills[-1][0]
            self.volume += size - left
        return changes, fills

    def levels(self, side: Side) -> list[Level]:
        """Outcome-0 levels of one side, best first."""
        levels = self.side(side)
        return sorted(levels.items(), reverse=side == "BUY")

    def view(self, outcome: int) -> tuple[list[Level], list[Level]]:
        """(bids, asks) best first for outcome 0 or its mirror, outcome 1."""
        if outcome == 0:
            return self.levels("BUY"), self.levels("SELL")
        bids = sorted(((SCALE - p, s) for p, s in self.asks.items()), reverse=True)
        asks = sorted((SCALE - p, s) for p, s in self.bids.items())
        return bids, asks

    def touch(self, outcome: int) -> tuple[int | None, int | None]:
        """(best bid, best ask) of outcome 0 or 1."""
        bid, ask = self.best_bid(), self.best_ask()
        if outcome == 0:
            return bid, ask
        return (None if ask is None else SCALE - ask), (None if bid is None else SCALE - bid)

    def last_trade_of(self, outcome: int) -> int | None:
        if self.last_trade is None or outcome == 0:
            return self.last_trade
        return SCALE - self.last_trade

    def mid(self) -> int | None:
        bid, ask = self.best_bid(), self.best_ask()
        if bid is None or ask is None:
            return None
        return (bid + ask) // 2
