"""The seeded order-flow process: markets, their books, and the wire events each step makes.

``OrderFlow(seed)`` owns the simulated venue. Each ``step(ts)`` picks one market, moves its
fair value, and does one thing there: place a limit order near the touch, cancel (part of) a
level, or send a market order that trades through the best levels. It returns the wire events
that step produces. Only ``random.Random(seed)`` drives it, so one seed gives one sequence.

Per step: every action emits one ``price_change`` (both tokens); a trade adds one
``last_trade_price`` and, half the time, a ``book`` for the traded token. With trades at 2/7 of
the steps that is ~70% price_change, ~20% last_trade_price, ~10% book. ``tick_size_change``
(both tokens) follows when the mid crosses 0.96 / 0.04; custom-feature events (``best_bid_ask``,
``new_market``, ``market_resolved``) come on top and are not counted as flow messages.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from pmdash.models import Side
from pmdash.sim import wire
from pmdash.sim.book import Change, MarketBook, mirror_side
from pmdash.sim.markets import MarketFactory, SimMarket, default_tick
from pmdash.units import SCALE

P_TRADE = 2 / 7
P_CANCEL = 0.18
P_BOOK_AFTER_TRADE = 0.5
MIN_LEVELS = 4
MAX_LEVELS = 30
EDGE_PICK = 0.25
"""Share of steps that go to the edge market (the one that crosses 0.96 and back)."""
EDGE_PERIOD = 200
"""Edge-market steps per full swing of its fair value (0.915 -> 0.985 -> 0.915)."""
FINE_TICK = 1_000
COARSE_TICK = 10_000
CENT = 10_000
"""Sizes are generated in hundredths of a share."""


TradeReport = tuple[int, int, int, Side]
"""(outcome traded, price in that outcome's terms, size, taker side in its terms)."""


@dataclass(slots=True, frozen=True)
class Emission:
    """One wire message and who gets it."""

    payload: dict[str, Any]
    assets: tuple[str, ...]
    """Deliver to connections subscribed to any of these assets."""
    custom: bool = False
    """Only for connections that enabled ``custom_feature_enabled``."""
    broadcast: bool = False
    """To every custom-feature connection whatever it subscribed (``new_market``)."""
    counted: bool = True
    """Counts toward the flow's message rate."""


def _align_down(price: int, tick: int) -> int:
    return price // tick * tick


def _align_up(price: int, tick: int) -> int:
    return -(-price // tick) * tick


class OrderFlow:
    """The venue's markets and books plus the random process that moves them."""

    def __init__(self, seed: int = 0, n_markets: int = 8, lifecycle_every: int = 0) -> None:
        self.rng = random.Random(seed)
        self.lifecycle_every = lifecycle_every
        self._factory = MarketFactory(self.rng)
        self.markets: dict[str, SimMarket] = {}
        self.by_token: dict[str, tuple[SimMarket, int]] = {}
        self.books: dict[str, MarketBook] = {}
        self._fair: dict[str, float] = {}
        self._phase: dict[str, int] = {}
        self._trading: list[SimMarket] = []
        self._cycles = 0
        self.steps = 0
        for i in range(max(1, n_markets)):
            self._add(self._factory.make(edge=i == 0))

    # --- venue state ------------------------------------------------------------------------

    @property
    def trading(self) -> int:
        """How many markets trade (listed and not resolved)."""
        return len(self._trading)

    def _add(self, market: SimMarket) -> None:
        self.markets[market.condition_id] = market
        for outcome, token in enumerate(market.token_ids):
            self.by_token[token] = (market, outcome)
        self.books[market.condition_id] = self._seed_book(market.start_price)
        self._fair[market.condition_id] = market.start_price / SCALE
        self._phase[market.condition_id] = 0
        self._trading.append(market)

    def _size(self) -> int:
        cents = int(math.exp(self.rng.gauss(4.6, 1.1)) * 100)
        return min(max(cents, 500), 5_000_000) * CENT

    def _seed_book(self, fair: int) -> MarketBook:
        rng = self.rng
        tick = default_tick(fair)
        book = MarketBook(tick)
        price = _align_down(fair - 1, tick)
        for _ in range(rng.randint(8, 14)):
            if price < tick:
                break
            book.set("BUY", price, self._size())
            price -= tick * rng.choice((1, 1, 1, 2, 3))
        price = _align_up(fair + 1, tick)
        for _ in range(rng.randint(8, 14)):
            if price > SCALE - tick:
                break
            book.set("SELL", price, self._size())
            price += tick * rng.choice((1, 1, 1, 2, 3))
        return book

    # --- one step ---------------------------------------------------------------------------

    def step(self, ts: int) -> list[Emission]:
        """Advance the venue by one action; return the wire events it produced."""
        self.steps += 1
        out: list[Emission] = []
        if self.lifecycle_every and self.steps % self.lifecycle_every == 0:
            self._lifecycle(ts, out)
        market = self._pick()
        if market is None:
            return out
        book = self.books[market.condition_id]
        before = (book.best_bid(), book.best_ask())
        fair = self._move_fair(market)
        changes, trade = self._act(book, fair)
        if changes:
            out.append(Emission(wire.price_change(market, book, changes, ts), market.token_ids))
        if trade is not None:
            outcome, price, size, side = trade
            token = (market.token_ids[outcome],)
            tx_hash = f"0x{self.rng.getrandbits(256):064x}"
            out.append(Emission(
                wire.last_trade_price(market, outcome, price, size, side, ts, tx_hash), token))
            if self.rng.random() < P_BOOK_AFTER_TRADE:
                out.append(Emission(wire.book_event(market, outcome, book, ts), token))
        self._check_tick(market, book, ts, out)
        if (book.best_bid(), book.best_ask()) != before:
            for outcome, token_id in enumerate(market.token_ids):
                out.append(Emission(wire.best_bid_ask(market, outcome, book, ts), (token_id,),
                                    custom=True, counted=False))
        return out

    def _pick(self) -> SimMarket | None:
        trading = self._trading
        if not trading:
            return None
        if trading[0].edge and len(trading) > 1:
            if self.rng.random() < EDGE_PICK:
                return trading[0]
            return trading[1 + self.rng.randrange(len(trading) - 1)]
        return trading[self.rng.randrange(len(trading))]

    def _move_fair(self, market: SimMarket) -> int:
        cid = market.condition_id
        if market.edge:
            self._phase[cid] += 1
            swing = math.sin(2 * math.pi * self._phase[cid] / EDGE_PERIOD)
            fair = 0.95 + 0.035 * swing + self.rng.gauss(0, 0.002)
        else:
            fair = self._fair[cid]
            fair += self.rng.gauss(0, 0.004) + 0.02 * (market.start_price / SCALE - fair)
            fair = min(max(fair, 0.05), 0.95)
        self._fair[cid] = fair
        return round(fair * SCALE)

    def _act(self, book: MarketBook, fair: int) -> tuple[list[Change], TradeReport | None]:
        rng = self.rng
        bid, ask = book.best_bid(), book.best_ask()
        # Refill a thin side first (near 0 or 1 a side may have no room left: go on then).
        if bid is None or len(book.bids) < MIN_LEVELS:
            placed = self._place(book, "BUY", fair)
            if placed or bid is None:
                return placed, None
        if ask is None or len(book.asks) < MIN_LEVELS:
            placed = self._place(book, "SELL", fair)
            if placed or ask is None:
                return placed, None
        r = rng.random()
        if r < P_TRADE:
            if fair > ask:
                taker: Side = "BUY"
            elif fair < bid:
                taker = "SELL"
            else:
                taker = "BUY" if rng.random() < 0.5 else "SELL"
            return self._trade(book, taker)
        if fair > ask and len(book.asks) > 1:  # stale asks below the fair value get pulled
            return [book.set("SELL", ask, 0)], None
        if fair < bid and len(book.bids) > 1:
            return [book.set("BUY", bid, 0)], None
        if r < P_TRADE + P_CANCEL:
            return self._cancel(book), None
        return self._place(book, "BUY" if rng.random() < 0.5 else "SELL", fair), None

    def _place(self, book: MarketBook, side: Side, fair: int) -> list[Change]:
        rng = self.rng
        tick = book.tick
        levels = book.side(side)
        if len(levels) >= MAX_LEVELS:
            far = min(levels) if side == "BUY" else max(levels)
            return [book.set(side, far, 0)]
        k = 0
        while k < 20 and rng.random() < 0.7:
            k += 1
        size = self._size()
        if side == "BUY":
            price = _align_down(fair - 1, tick) - k * tick
            ask = book.best_ask()
            if ask is not None:
                price = _align_down(min(price, ask - 1), tick)
            if price < tick:
                return []
        else:
            price = _align_up(fair + 1, tick) + k * tick
            bid = book.best_bid()
            if bid is not None:
                price = _align_up(max(price, bid + 1), tick)
            if price > SCALE - tick:
                return []
        return [book.add(side, price, size)]

    def _cancel(self, book: MarketBook) -> list[Change]:
        rng = self.rng
        side: Side = "BUY" if rng.random() < 0.5 else "SELL"
        if len(book.side(side)) <= MIN_LEVELS:
            side = mirror_side(side)
        levels = book.levels(side)
        if len(levels) <= MIN_LEVELS:
            return []
        near = rng.random() < 0.6
        price, size = levels[rng.randrange(min(4, len(levels)) if near else len(levels))]
        if rng.random() < 0.35 or size <= 5 * CENT:
            return [book.set(side, price, 0)]
        cut = max(CENT, round(size * rng.uniform(0.2, 0.8)) // CENT * CENT)
        return [book.reduce(side, price, cut)]

    def _trade(self, book: MarketBook, taker: Side) -> tuple[list[Change], TradeReport]:
        rng = self.rng
        outcome = rng.randrange(2)
        levels = book.asks if taker == "BUY" else book.bids
        best = min(levels) if taker == "BUY" else max(levels)
        size = round(levels[best] * rng.uniform(0.2, 1.8)) // CENT * CENT
        size = max(CENT, min(size, round(sum(levels.values()) * 0.6) // CENT * CENT))
        changes, fills = book.take(taker, size)
        filled = sum(s for _, s in fills)
        last = fills[-1][0]
        if outcome == 0:
            return changes, (0, last, filled, taker)
        return changes, (1, SCALE - last, filled, mirror_side(taker))

    def _check_tick(self, market: SimMarket, book: MarketBook, ts: int,
                    out: list[Emission]) -> None:
        mid = book.mid()
        if mid is None:
            return
        old = book.tick
        if old == COARSE_TICK and (mid > 960_000 or mid < 40_000):
            new = FINE_TICK
        elif old == FINE_TICK and 50_000 <= mid <= 950_000:  # some hysteresis: no flapping
            new = COARSE_TICK
        else:
            return
        book.tick = new
        for outcome, token_id in enumerate(market.token_ids):
            out.append(Emission(wire.tick_size_change(market, outcome, old, new, ts), (token_id,)))

    # --- market lifecycle -------------------------------------------------------------------

    def _lifecycle(self, ts: int, out: list[Emission]) -> None:
        self._cycles += 1
        resolvable = [m for m in self._trading if not m.edge and m.game_id is None]
        if self._cycles % 2 == 1 or len(resolvable) <= 3:
            self.create(ts, out)
            return
        market = resolvable[self.rng.randrange(len(resolvable))]
        self.resolve(market, ts, out)

    def create(self, ts: int, out: list[Emission]) -> SimMarket:
        """List a new market (it trades from now on) and announce it (``new_market``)."""
        market = self._factory.make()
        self._add(market)
        tick = self.books[market.condition_id].tick
        out.append(Emission(wire.new_market(market, tick, ts), market.token_ids,
                            custom=True, broadcast=True, counted=False))
        return market

    def create_game_market(self, *, game_id: int, slug: str, home: str, away: str,
                           league: str, price: int, ts: int,
                           out: list[Emission]) -> SimMarket:
        """List a market on a game (it trades from now on) and announce it."""
        market = self._factory.make_game(game_id=game_id, slug=slug, home=home, away=away,
                                         league=league, price=price)
        self._add(market)
        tick = self.books[market.condition_id].tick
        out.append(Emission(wire.new_market(market, tick, ts), market.token_ids,
                            custom=True, broadcast=True, counted=False))
        return market

    def shock(self, market: SimMarket, price: int, ts: int, out: list[Emission]) -> None:
        """News (a score change) moves the market's fair value to ``price`` at once: the levels
        now on the wrong side of it are pulled, each side gets an order a tick from it, and
        the value it drifts back to becomes ``price``."""
        if market.closed:
            return
        cid = market.condition_id
        book = self.books[cid]
        before = (book.best_bid(), book.best_ask())
        market.start_price = price
        self._fair[cid] = price / SCALE
        changes = [book.set("SELL", p, 0) for p in list(book.asks) if p <= price]
        changes += [book.set("BUY", p, 0) for p in list(book.bids) if p >= price]
        tick = book.tick
        bid, ask = _align_down(price - 1, tick), _align_up(price + 1, tick)
        if bid >= tick:
            changes.append(book.add("BUY", bid, self._size()))
        if ask <= SCALE - tick:
            changes.append(book.add("SELL", ask, self._size()))
        if changes:
            out.append(Emission(wire.price_change(market, book, changes, ts), market.token_ids))
        self._check_tick(market, book, ts, out)
        if (book.best_bid(), book.best_ask()) != before:
            for outcome, token_id in enumerate(market.token_ids):
                out.append(Emission(wire.best_bid_ask(market, outcome, book, ts), (token_id,),
                                    custom=True, counted=False))

    def resolve(self, market: SimMarket, ts: int, out: list[Emission]) -> None:
        """Close a market: it stops trading, /book answers 404 for its tokens."""
        if market.closed:
            return
        winner = 0 if self._fair[market.condition_id] >= 0.5 else 1
        market.closed = True
        market.winning_outcome = market.outcomes[winner]
        if market in self._trading:
            self._trading.remove(market)
        out.append(Emission(wire.market_resolved(market, winner, ts), market.token_ids,
                            custom=True, counted=False))
