"""Strike parsing: real Gamma question texts (../shared/fixtures/real/rest/) and more."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pmdash.strike import Strike, distance, parse_strike, symbol_of
from tests.realfixtures import real_files, real_json

D = Decimal

TABLE: list[tuple[str, Strike | None]] = [
    # real questions (Gamma fixtures)
    ("Will the price of Bitcoin be above $64,000 on March 11?",
     Strike("btcusd", "above", D(64000))),
    ("Bitcoin Up or Down - March 12, 5:20AM-5:25AM ET", Strike("btcusd", "updown")),
    ("Kamala Harris divorce in 2025?", None),
    ("Russia x Ukraine ceasefire by end of 2027?", None),
    ("Will Gretchen Whitmer win the 2028 Democratic presidential nomination?", None),
    ("Map Handicap: FaZe (-1.5) vs illwill (+1.5)", None),
    ("Counter-Strike: FaZe vs illwill (BO3) - HLC Belgrade Pro Playoffs", None),
    # our own
    ("Will Bitcoin reach $100k by December 31?", Strike("btcusd", "above", D(100000))),
    ("Will the price of Ethereum be between $3,000 and $3,200 on March 11?",
     Strike("ethusd", "between", D(3000), D(3200))),
    ("Ethereum price on March 11: $3,000-$3,200?", Strike("ethusd", "between", D(3000), D(3200))),
    ("Will ETH dip to $2,500 in March?", Strike("ethusd", "below", None, D(2500))),
    ("Will Solana be below $150 on Friday?", Strike("solusd", "below", None, D(150))),
    ("Bitcoin above 64,000 on March 11?", Strike("btcusd", "above", D(64000))),
    ("Will XRP hit $3.50 in 2026?", Strike("xrpusd", "above", D("3.50"))),
    ("Will Dogecoin be greater than $0.35 on June 1?", Strike("dogeusd", "above", D("0.35"))),
    ("Will BTC be above $1.5M by 2030?", Strike("btcusd", "above", D(1500000))),
    ("XRP Up or Down on March 12?", Strike("xrpusd", "updown")),
    ("Solana Up or Down - 9AM ET", Strike("solusd", "updown")),
    ("Will Bitcoin dominance be above 60% on March 1?", None),
    ("Will Bitcoin ETF flows be positive this week?", None),
    ("Will the Fed cut rates in March?", None),
    ("Will Ethiopia win the match?", None),
]


@pytest.mark.parametrize(("question", "expected"), TABLE)
def test_strike_table(question: str, expected: Strike | None) -> None:
    assert parse_strike(question) == expected


@pytest.mark.parametrize("name", real_files("rest"))
def test_every_real_gamma_question_parses_without_error(name: str) -> None:
    """Whatever a real body holds, every question it carries gives a strike or None."""
    body = real_json("rest", name)
    questions: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("question"), str):
                questions.append(value["question"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body)
    for question in questions:
        found = parse_strike(question)
        assert found is None or found.symbol in {"btcusd", "ethusd", "solusd", "xrpusd"}
        assert dict(TABLE).get(question, found) == found


def test_up_or_down_takes_its_opening_price() -> None:
    strike = parse_strike("Bitcoin Up or Down - March 12, 5:20AM-5:25AM ET",
                          opening=D("98250.5"))
    assert strike == Strike("btcusd", "updown", D("98250.5"), D("98250.5"))
    assert strike.levels() == (D("98250.5"),)
    assert distance(Strike("btcusd", "updown"), D(1)) is None


def test_distance_in_dollars_and_percent() -> None:
    above = Strike("btcusd", "above", D(100000))
    assert distance(above, D(98000)) == (D(-2000), D(-2000) / D(98000) * 100)
    below = Strike("ethusd", "below", None, D(2500))
    assert distance(below, D(2400)) == (D(100), D(100) / D(2400) * 100)
    between = Strike("ethusd", "between", D(3000), D(3200))
    assert distance(between, D(3150))[0] == D(50)  # type: ignore[index]
    assert distance(between, D(2900))[0] == D(-100)  # type: ignore[index]
    assert between.levels() == (D(3000), D(3200))
    assert distance(above, D(0)) is None


def test_symbol_of_takes_the_first_named_asset() -> None:
    assert symbol_of("ETH/BTC ratio above 0.05?") == "ethusd"
    assert symbol_of("nothing here") is None
