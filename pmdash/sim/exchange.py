"""The exchange: runs the order flow at a message rate and hands its events to the feeds.

It is also the ground truth tests compare against: ``book(asset_id)``, ``tick_size``,
``markets()``; and it can be paused, resumed and stepped deterministically. Everything here
runs on one asyncio loop; from another thread use ``runner.RunningExchange.exchange``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable

from pmdash.models import Level, MarketInfo
from pmdash.sim.background import Background
from pmdash.sim.book import MarketBook
from pmdash.sim.flow import Emission, OrderFlow
from pmdash.sim.markets import SimMarket

log = logging.getLogger(__name__)
Sink = Callable[[list[Emission]], None]
TICK_S = 0.02
"""The generator wakes this often and emits every message due since the last wake-up."""
MAX_BATCH = 1_000
"""At most this many messages per wake-up, so the loop (and the writers) stay responsive."""
MAX_RATE = 1_000_000
"""The highest ``rate`` accepted (messages per second). One process generates far fewer (some
40,000 a second measured on one core, with no client): above that the flow runs flat out."""


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class Exchange:
    """Markets, books and the order-flow process; feeds subscribe with ``add_sink``."""

    def __init__(
        self,
        *,
        seed: int = 0,
        rate: float = 20.0,
        markets: int = 8,
        lifecycle_s: float = 45.0,
        clock: Callable[[], int] = wall_clock_ms,
    ) -> None:
        """``rate``: flow messages per second across all markets (price_change, trades,
        books, tick changes; custom-feature events come on top), from 0 to ``MAX_RATE``
        (ValueError otherwise). ``lifecycle_s``: roughly how often (at ``rate``) a market is
        created or resolved; 0 disables it."""
        if not (math.isfinite(rate) and 0 <= rate <= MAX_RATE):
            raise ValueError(f"rate must be from 0 to {MAX_RATE:,} messages per second, got {rate}")
        steps_per_s = rate / 1.45  # a step makes ~1.45 counted messages on average
        every = round(lifecycle_s * steps_per_s) if lifecycle_s > 0 else 0
        self.flow = OrderFlow(seed=seed, n_markets=markets,
                              lifecycle_every=max(every, 50) if every else 0)
        self.seed = seed
        self.rate = rate
        self.clock = clock
        self.messages = 0
        """Counted messages emitted so far."""
        self._sinks: list[Sink] = []
        self._paused = False
        self._background = Background("sim-flow")

    # --- ground truth -----------------------------------------------------------------------

    def _lookup(self, asset_id: str) -> tuple[SimMarket, int, MarketBook]:
        market, outcome = self.flow.by_token[asset_id]
        return market, outcome, self.flow.books[market.condition_id]

    def has_asset(self, asset_id: str) -> bool:
        return asset_id in self.flow.by_token

    def book(self, asset_id: str) -> tuple[list[Level], list[Level]]:
        """(bids, asks) of one token, best first, as (price units, size units). KeyError when
        the token is unknown."""
        _, outcome, book = self._lookup(asset_id)
        return book.view(outcome)

    def tick_size(self, asset_id: str) -> int:
        return self._lookup(asset_id)[2].tick

    def last_trade_price(self, asset_id: str) -> int | None:
        _, outcome, book = self._lookup(asset_id)
        return book.last_trade_of(outcome)

    def market_of(self, asset_id: str) -> SimMarket | None:
        found = self.flow.by_token.get(asset_id)
        return found[0] if found else None

    def sim_markets(self) -> list[SimMarket]:
        """The live market objects (internal: REST builds its bodies from them)."""
        return list(self.flow.markets.values())

    def market_book(self, market: SimMarket) -> MarketBook:
        return self.flow.books[market.condition_id]

    def markets(self) -> list[MarketInfo]:
        """Every market, open or resolved, as immutable ``MarketInfo``."""
        return [m.info(self.flow.books[m.condition_id].tick) for m in self.flow.markets.values()]

    def asset_ids(self) -> list[str]:
        """Token ids of the markets still trading."""
        return [t for m in self.flow.markets.values() if not m.closed for t in m.token_ids]

    # --- driving the flow -------------------------------------------------------------------

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        with contextlib.suppress(ValueError):
            self._sinks.remove(sink)

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop the background flow (``step`` still works)."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def step(self, n: int = 1) -> int:
        """Run ``n`` flow steps now and publish them; returns the counted messages emitted."""
        out: list[Emission] = []
        for _ in range(n):
            out.extend(self.flow.step(self.clock()))
        return self._publish(out)

    def emit_until(self, budget: int) -> int:
        """Run steps until at least ``budget`` counted messages were produced (or, with every
        market resolved, one step); publish them."""
        out: list[Emission] = []
        counted = 0
        clock = self.clock
        flow = self.flow
        while counted < budget:
            events = flow.step(clock())
            out.extend(events)
            if not flow.trading:  # every market resolved: nothing to count until one is listed
                break
            counted += sum(1 for e in events if e.counted)
        return self._publish(out)

    def publish(self, emissions: list[Emission]) -> None:
        """Hand extra events (faults, lifecycle from tests) to every sink."""
        for sink in self._sinks:
            sink(emissions)

    def _publish(self, out: list[Emission]) -> int:
        counted = sum(1 for e in out if e.counted)
        self.messages += counted
        if out:
            self.publish(out)
        return counted

    def add_market(self) -> MarketInfo:
        """List a new market now (``new_market`` goes to custom-feature connections)."""
        out: list[Emission] = []
        market = self.flow.create(self.clock(), out)
        self._publish(out)
        return market.info(self.flow.books[market.condition_id].tick)

    def add_game_market(self, *, game_id: int, slug: str, home: str, away: str, league: str,
                        price: int) -> SimMarket:
        """List a market on a sports game (Gamma ``gameId``/slug link it to the game)."""
        out: list[Emission] = []
        market = self.flow.create_game_market(game_id=game_id, slug=slug, home=home, away=away,
                                              league=league, price=price, ts=self.clock(),
                                              out=out)
        self._publish(out)
        return market

    def move_fair(self, condition_id: str, price: int) -> None:
        """News moved this market: its book goes to ``price`` now (see ``OrderFlow.shock``)."""
        out: list[Emission] = []
        self.flow.shock(self.flow.markets[condition_id], price, self.clock(), out)
        self._publish(out)

    def resolve(self, condition_id: str) -> None:
        """Resolve one market now (it stops trading)."""
        out: list[Emission] = []
        self.flow.resolve(self.flow.markets[condition_id], self.clock(), out)
        self._publish(out)

    async def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        budget = 0.0
        behind = False
        while True:
            # When behind, only yield (writers run) instead of sleeping a whole tick.
            await asyncio.sleep(0 if behind else TICK_S)
            now = loop.time()
            elapsed, last = now - last, now
            if self._paused or self.rate <= 0:
                budget = 0.0
                behind = False
                continue
            # Carry fractions between ticks; never owe more than ~0.25 s of messages (beyond
            # what this process can generate, the rate is simply not reached).
            budget = min(budget + elapsed * self.rate, max(self.rate * 0.25, 2.0))
            if budget >= 1.0:
                try:
                    budget -= self.emit_until(min(int(budget), MAX_BATCH))
                except Exception:  # a bug in the flow or a feed must not end the exchange
                    log.exception("order flow step failed")
                    budget = 0.0
            behind = budget >= MAX_BATCH
