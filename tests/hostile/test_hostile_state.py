"""The market slice's bound and the following policy under a server that sends without end:
the market dropped is the one unwatched longest, never the one just added nor a watched one,
and following lists a bounded number of announced markets."""

from __future__ import annotations

import time

from pmdash.models import MarketInfo, NewMarket
from pmdash.state.following import MAX_FOLLOWED, announced
from pmdash.state.market import MarketState
from pmdash.state.store import Store


def market(i: int) -> MarketInfo:
    return MarketInfo(
        condition_id=f"0x{i}",
        question=f"Market {i}?",
        slug=f"m-{i}",
        token_ids=(f"{i}-yes", f"{i}-no"),
        outcomes=("Yes", "No"),
    )


def test_past_the_bound_the_market_unwatched_longest_goes() -> None:
    store = MarketState(max_markets=5)
    for i in range(3):  # watched: never dropped
        store.add_market(market(i))
        store.watch(market(i).token_ids)
    for i in range(3, 8):
        store.add_market(market(i))
    assert len(store.markets) == 5
    assert set(store.markets) == {"0x0", "0x1", "0x2", "0x6", "0x7"}
    assert store.market_of("7-yes") == market(7)
    assert store.market_of("3-yes") is None


def test_the_market_just_added_is_kept_even_when_every_other_is_watched() -> None:
    """Before, it was dropped at once, and its books, watched right after, had no name."""
    store = MarketState(max_markets=3)
    for i in range(3):
        store.add_market(market(i))
        store.watch(market(i).token_ids)
    store.add_market(market(3))
    store.watch(market(3).token_ids)
    assert store.market_of("3-yes") == market(3)
    assert store.books["3-yes"].market == "0x3"


def test_an_unwatched_market_becomes_the_next_to_go() -> None:
    store = MarketState(max_markets=3)
    for i in range(3):
        store.add_market(market(i))
        store.watch(market(i).token_ids)
    store.unwatch(market(1).token_ids)
    store.add_market(market(3))
    assert set(store.markets) == {"0x0", "0x2", "0x3"}


def test_adding_markets_past_the_bound_stays_fast() -> None:
    """20,000 markets into a store bounded at 10,000 (each eviction O(1)): well under a
    second; the scan it replaces took about a minute."""
    store = MarketState()
    for i in range(200):
        store.add_market(market(i))
        store.watch(market(i).token_ids)
    started = time.perf_counter()
    for i in range(200, 20_200):
        store.add_market(market(i))
    assert time.perf_counter() - started < 2.0
    assert len(store.markets) == store.max_markets
    assert all(f"0x{i}" in store.markets for i in range(200))


def new_market(i: int) -> NewMarket:
    return NewMarket(
        feed="market",
        id=str(i),
        question=f"Market {i}?",
        market=f"0x{i}",
        slug=f"m-{i}",
        asset_ids=(f"{i}-yes", f"{i}-no"),
        outcomes=("Yes", "No"),
        timestamp=i,
    )


def test_following_lists_at_most_max_followed_markets_of_a_flood() -> None:
    state = MarketState()
    store = Store([state])
    listed: dict[str, None] = {}
    for start in range(0, 3 * MAX_FOLLOWED, 100):
        store.apply([new_market(i) for i in range(start, start + 100)])
        for found in announced(state, listed):
            listed[found.condition_id] = None
    assert len(listed) == MAX_FOLLOWED
    assert list(listed)[:3] == ["0x0", "0x1", "0x2"]  # the first ones announced, in order


def test_following_takes_each_announced_market_once() -> None:
    state = MarketState()
    store = Store([state])
    store.apply([new_market(1), new_market(2)])
    assert [m.condition_id for m in announced(state, {})] == ["0x1", "0x2"]
    assert announced(state, {}) == []
    store.apply([new_market(3)])
    assert [m.condition_id for m in announced(state, {"0x1": None})] == ["0x3"]
