"""The embedded exchange's crypto markets move with its reference prices.

A ``PriceEngine`` sink: on every price tick, each open market whose question names a crypto
strike (``strike.parse_strike``: "Will Bitcoin reach $120,000 in March?", "Bitcoin Up or Down
- ...") gets a fair value from the Pyth spot against its strike, and when that differs from the
last one set by ``MIN_MOVE`` or more its book moves there (``Exchange.move_fair``). An up/down
market's strike is the spot when this sink first saw it (its window's opening price, as far as
the exchange is concerned). A paused exchange (tests driving ``step``) is left alone.

The model is a plain logistic in log-moneyness: ``P(above K) = 1 / (1 + exp(-1.7 ln(S/K)/vol))``
with ``vol`` 10% for dated strikes and 0.2% for the 5- and 15-minute up/down windows; clamped
to 2%-98%.
"""

from __future__ import annotations

import math
from decimal import Decimal

from pmdash.sim.exchange import Exchange
from pmdash.sim.prices import Point, PriceEngine, Series
from pmdash.strike import Strike, parse_strike
from pmdash.units import SCALE

MIN_MOVE = 20_000
"""Two cents (micro-units): smaller changes of the fair value leave the book to its own flow."""
STRIKE_VOL = 0.10
UPDOWN_VOL = 0.002
_TICK = 10_000


def _above(spot: float, strike: float, vol: float) -> float:
    x = math.log(spot / strike) / vol
    return 1.0 / (1.0 + math.exp(-1.7 * max(min(x, 30.0), -30.0)))


def fair_value(strike: Strike, spot: Decimal) -> int | None:
    """The "Yes" (or "Up") outcome's fair price in micro-units, a whole cent, or None."""
    s = float(spot)
    if s <= 0:
        return None
    vol = UPDOWN_VOL if strike.kind == "updown" else STRIKE_VOL
    if strike.kind in ("above", "updown") and strike.low is not None:
        p = _above(s, float(strike.low), vol)
    elif strike.kind == "below" and strike.high is not None:
        p = 1.0 - _above(s, float(strike.high), vol)
    elif strike.kind == "between" and strike.low is not None and strike.high is not None:
        p = _above(s, float(strike.low), vol) - _above(s, float(strike.high), vol)
    else:
        return None
    p = min(max(p, 0.02), 0.98)
    return round(p * SCALE / _TICK) * _TICK


class CryptoMarkets:
    """Moves the exchange's crypto markets with the engine's prices (see the module doc)."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self._strikes: dict[str, Strike | None] = {}
        self._set: dict[str, int] = {}

    def attach(self, engine: PriceEngine) -> None:
        engine.add_sink(self.on_prices)

    def on_prices(self, points: list[tuple[Series, Point]]) -> None:
        if self.exchange.paused:
            return
        spots = {series[2]: point[1] for series, point in points
                 if series[0] == "pyth" and series[1] == "spot"}
        for cid, market in list(self.exchange.flow.markets.items()):
            if market.closed:
                continue
            if cid not in self._strikes:
                self._strikes[cid] = parse_strike(market.question)
            strike = self._strikes[cid]
            if strike is None or strike.symbol not in spots:
                continue
            spot = spots[strike.symbol]
            if strike.kind == "updown" and strike.low is None:
                strike = self._strikes[cid] = strike.with_opening(spot)
            fair = fair_value(strike, spot)
            if fair is None:
                continue
            last = self._set.get(cid, market.start_price)
            if abs(fair - last) >= MIN_MOVE:
                self._set[cid] = fair
                self.exchange.move_fair(cid, fair)
