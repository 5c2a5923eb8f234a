"""The embedded exchange's crypto markets move with its reference prices."""

from __future__ import annotations

from decimal import Decimal

from pmdash.sim.crypto_markets import CryptoMarkets, fair_value
from pmdash.sim.exchange import Exchange
from pmdash.strike import parse_strike


def _crypto(exchange: Exchange) -> list[tuple[str, str]]:
    """(condition id, question) of its markets with a crypto strike."""
    return [(m.condition_id, m.question) for m in exchange.markets()
            if parse_strike(m.question) is not None]


def test_fair_values_follow_the_spot_against_the_strike() -> None:
    above = parse_strike("Will Bitcoin reach $120,000 in March?")
    assert above is not None
    low, mid, high = (fair_value(above, Decimal(v)) for v in (90_000, 120_000, 150_000))
    assert low is not None and mid is not None and high is not None
    assert low < mid < high and mid == 500_000
    between = parse_strike("Will Ethereum be between $3,400 and $3,500 on May 2?")
    assert between is not None
    inside, outside = fair_value(between, Decimal(3450)), fair_value(between, Decimal(4500))
    assert inside is not None and outside is not None and inside > outside


def test_a_price_tick_moves_each_crypto_market_to_its_fair_value() -> None:
    exchange = Exchange(seed=3, rate=20.0, markets=12)
    markets = _crypto(exchange)
    assert markets, "the seed lists crypto markets"
    links = CryptoMarkets(exchange)
    spots = {"btcusd": Decimal("98250"), "ethusd": Decimal("3412.5"),
             "solusd": Decimal("187.25"), "xrpusd": Decimal("2.315")}
    for jump in (Decimal(1), Decimal("1.3")):  # the opening tick, then every coin up 30%
        points = [(("pyth", "spot", sym), (1, spot * jump)) for sym, spot in spots.items()]
        links.on_prices(points)  # type: ignore[arg-type]
    moved = 0
    for cid, question in markets:
        strike = parse_strike(question)
        assert strike is not None
        if strike.kind == "updown":
            strike = strike.with_opening(spots[strike.symbol])
        fair = fair_value(strike, spots[strike.symbol] * Decimal("1.3"))
        assert fair is not None
        market = next(m for m in exchange.markets() if m.condition_id == cid)
        bids, asks = exchange.book(market.token_ids[0])
        if bids and asks:
            assert bids[0][0] <= fair <= asks[0][0] or abs(bids[0][0] - fair) <= 20_000
            moved += 1
    assert moved
