"""The embedded exchange's reference prices: seeded random walks, one tick per ``interval``.

Per crypto symbol four series, as the real venues publish them:
- ``pyth`` spot (PolyBolt ``price.crypto``): a geometric random walk with 8 decimals;
- ``chainlink`` 60 s TWAP (PolyBolt ``price.crypto.twap``): the time-weighted mean of the spot
  over the last 60 ticks, 18 decimals, so it is smoother than the spot by construction;
- ``binance`` spot (RTDS ``crypto_prices``): the spot plus a little noise;
- ``chainlink`` spot (RTDS ``crypto_prices_chainlink``): the spot, in rounds; now and then a
  symbol's Chainlink series pauses for 20-60 ticks (no new round), TWAP included.
Equities (``pyth``): a slower walk, 4 decimals.

Every series keeps the last ``history`` points: the two-minute snapshot PolyBolt sends with a
new subscription. Pure apart from ``run()`` (an asyncio task calling ``tick()``).
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pmdash.sim.background import Background
from pmdash.sim.exchange import wall_clock_ms

CRYPTO_START = {
    "btcusd": Decimal("98250"),
    "ethusd": Decimal("3412.5"),
    "solusd": Decimal("187.25"),
    "xrpusd": Decimal("2.315"),
    "dogeusd": Decimal("0.3521"),
    "bnbusd": Decimal("702.4"),
}
EQUITY_START = {"aapl": Decimal("231.4"), "tsla": Decimal("402.7"), "spy": Decimal("601.2")}
TWAP_WINDOW = 60
HISTORY = 120
PAUSE_CHANCE = 0.01
"""Per tick and symbol: the chance that Chainlink starts a pause."""

Series = tuple[str, str, str]
"""(source, kind, symbol): ``("pyth", "spot", "btcusd")``, ``("chainlink", "twap", ...)``."""
Point = tuple[int, Decimal]
Sink = Callable[[list[tuple[Series, Point]]], None]

_Q8 = Decimal("0.00000001")
_Q4 = Decimal("0.0001")
_Q18 = Decimal("0.000000000000000001")


@dataclass
class _Walk:
    spot: Decimal
    spots: deque[Decimal]
    pause_left: int = 0


class PriceEngine:
    """All reference-price series of the embedded exchange."""

    def __init__(
        self,
        *,
        seed: int = 0,
        interval: float = 1.0,
        history: int = HISTORY,
        clock: Callable[[], int] = wall_clock_ms,
        crypto: dict[str, Decimal] | None = None,
        equities: dict[str, Decimal] | None = None,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self._rng = random.Random(seed)
        self._history = history
        self._crypto = {s: _Walk(p, deque([p], maxlen=TWAP_WINDOW))
                        for s, p in (CRYPTO_START if crypto is None else crypto).items()}
        self._equities = {s: _Walk(p, deque([p], maxlen=1))
                          for s, p in (EQUITY_START if equities is None else equities).items()}
        self._series: dict[Series, deque[Point]] = {}
        self._sinks: list[Sink] = []
        self._background = Background("sim-prices")
        self.ticks = 0

    # --- ground truth ------------------------------------------------------------------------

    def crypto_symbols(self) -> tuple[str, ...]:
        return tuple(self._crypto)

    def equity_symbols(self) -> tuple[str, ...]:
        return tuple(self._equities)

    def history(self, source: str, kind: str, symbol: str) -> list[Point]:
        """The recent points of one series, oldest first (empty for an unknown one)."""
        return list(self._series.get((source, kind, symbol), ()))

    def latest(self, source: str, kind: str, symbol: str) -> Point | None:
        points = self._series.get((source, kind, symbol))
        return points[-1] if points else None

    def chainlink_paused(self, symbol: str) -> bool:
        walk = self._crypto.get(symbol)
        return walk is not None and walk.pause_left > 0

    # --- running -----------------------------------------------------------------------------

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def tick(self, now: int | None = None) -> list[tuple[Series, Point]]:
        """Advance every walk one step (stamped ``now``, default the clock); returns (and hands
        the sinks) the new points."""
        now = self.clock() if now is None else now
        out: list[tuple[Series, Point]] = []
        rng = self._rng
        for symbol, walk in self._crypto.items():
            walk.spot = (walk.spot * Decimal(1 + rng.gauss(0.0, 0.0006))).quantize(_Q8)
            walk.spots.append(walk.spot)
            out.append((("pyth", "spot", symbol), (now, walk.spot)))
            noise = Decimal(1 + rng.gauss(0.0, 0.0001))
            out.append((("binance", "spot", symbol), (now, (walk.spot * noise).quantize(_Q8))))
            if walk.pause_left > 0:
                walk.pause_left -= 1
            elif rng.random() < PAUSE_CHANCE:
                walk.pause_left = rng.randint(20, 60)
            else:
                twap = (sum(walk.spots, Decimal(0)) / len(walk.spots)).quantize(_Q18)
                out.append((("chainlink", "twap", symbol), (now, twap)))
                out.append((("chainlink", "spot", symbol), (now, walk.spot)))
        for symbol, walk in self._equities.items():
            walk.spot = (walk.spot * Decimal(1 + rng.gauss(0.0, 0.0002))).quantize(_Q4)
            out.append((("pyth", "spot", symbol), (now, walk.spot)))
        for series, point in out:
            kept = self._series.get(series)
            if kept is None:
                kept = self._series[series] = deque(maxlen=self._history)
            kept.append(point)
        self.ticks += 1
        for sink in self._sinks:
            sink(out)
        return out

    def warm_up(self, ticks: int = HISTORY) -> None:
        """Fill the histories before anyone connects (timestamps ``interval`` apart, ending
        now), so the first snapshot already holds two minutes. No sink is called."""
        sinks, self._sinks = self._sinks, []
        end = self.clock()
        step_ms = max(int(self.interval * 1000), 1)
        try:
            for i in range(ticks):
                self.tick(end - (ticks - 1 - i) * step_ms)
        finally:
            self._sinks = sinks

    async def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.tick()
