"""The embedded exchange's order flow and ground truth, without the network."""

from __future__ import annotations

import collections
import re

from pmdash.feeds.clob_rest import book_hash
from pmdash.sim.exchange import Exchange
from pmdash.sim.flow import OrderFlow
from pmdash.units import SCALE, parse_price, parse_size

TS = 1_790_000_000_000


def fixed_clock() -> int:
    return TS


def test_markets_look_real() -> None:
    ex = Exchange(seed=3, markets=8)
    markets = ex.markets()
    assert len(markets) == 8
    slugs = set()
    for m in markets:
        assert re.fullmatch(r"0x[0-9a-f]{64}", m.condition_id)
        assert len(m.token_ids) == 2 and m.token_ids[0] != m.token_ids[1]
        for token in m.token_ids:
            assert token.isdigit() and 76 <= len(token) <= 78
        assert m.outcomes in (("Yes", "No"), ("Up", "Down"))
        assert m.tick_size == 10_000
        assert m.question and re.fullmatch(r"[a-z0-9-]+", m.slug)
        slugs.add(m.slug)
    assert len(slugs) == 8


def _assert_mirror(ex: Exchange) -> None:
    for m in ex.markets():
        yes_bids, yes_asks = ex.book(m.token_ids[0])
        no_bids, no_asks = ex.book(m.token_ids[1])
        assert no_asks == [(SCALE - p, s) for p, s in yes_bids]
        assert no_bids == [(SCALE - p, s) for p, s in yes_asks]
        assert ex.tick_size(m.token_ids[0]) == ex.tick_size(m.token_ids[1])
        book = ex.flow.books[m.condition_id]  # the cached touch is the real one
        assert book.best_bid() == (max(book.bids) if book.bids else None)
        assert book.best_ask() == (min(book.asks) if book.asks else None)
        for bids, asks in ((yes_bids, yes_asks), (no_bids, no_asks)):
            assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
            assert all(s > 0 for _, s in bids + asks)
            if bids and asks:
                assert bids[0][0] < asks[0][0], "crossed book"


def test_yes_no_books_mirror_after_many_steps() -> None:
    ex = Exchange(seed=11, markets=6, lifecycle_s=1, rate=200, clock=fixed_clock)
    for _ in range(20):
        ex.step(250)
        _assert_mirror(ex)
    assert ex.flow.steps == 5000


def test_price_change_best_prices_are_the_truth_at_emission() -> None:
    ex = Exchange(seed=5, markets=5, clock=fixed_clock)
    checked = 0

    def check(emissions: list) -> None:
        nonlocal checked
        for em in emissions:
            p = em.payload
            if p["event_type"] != "price_change":
                continue
            for entry in p["price_changes"]:
                bids, asks = ex.book(entry["asset_id"])
                assert parse_price(entry["best_bid"]) == (bids[0][0] if bids else None)
                assert parse_price(entry["best_ask"]) == (asks[0][0] if asks else None)
                checked += 1

    ex.add_sink(check)
    for _ in range(3000):  # one step per publish: the sink sees the truth of that moment
        ex.step(1)
    assert checked > 3000


def test_price_change_carries_both_tokens_mirrored() -> None:
    flow = OrderFlow(seed=2, n_markets=4)
    seen = 0
    for _ in range(500):
        for em in flow.step(TS):
            p = em.payload
            if p["event_type"] != "price_change":
                continue
            market = flow.markets[p["market"]]
            entries = p["price_changes"]
            assert len(entries) % 2 == 0
            for yes, no in zip(entries[::2], entries[1::2], strict=True):
                assert (yes["asset_id"], no["asset_id"]) == market.token_ids
                assert parse_price(yes["price"]) + parse_price(no["price"]) == SCALE
                assert {yes["side"], no["side"]} == {"BUY", "SELL"}
                assert yes["size"] == no["size"]
                parse_size(yes["size"])
                assert re.fullmatch(r"[0-9a-f]{40}", yes["hash"])
            assert set(em.assets) == set(market.token_ids)
            seen += 1
    assert seen > 300


def test_event_mix_is_mostly_price_changes() -> None:
    flow = OrderFlow(seed=9, n_markets=8)
    counts: collections.Counter[str] = collections.Counter()
    for _ in range(6000):
        for em in flow.step(TS):
            if em.counted:
                counts[em.payload["event_type"]] += 1
    total = sum(counts.values())
    assert 0.62 < counts["price_change"] / total < 0.78
    assert 0.14 < counts["last_trade_price"] / total < 0.26
    assert 0.05 < counts["book"] / total < 0.15


def test_book_after_trade_has_server_hash_and_wire_order() -> None:
    flow = OrderFlow(seed=4, n_markets=3)
    books = [em.payload for _ in range(400) for em in flow.step(TS)
             if em.payload["event_type"] == "book"]
    assert books
    for book in books:
        assert book["hash"] == book_hash(book)
        bids = [parse_price(level["price"]) for level in book["bids"]]
        asks = [parse_price(level["price"]) for level in book["asks"]]
        assert bids == sorted(bids) and asks == sorted(asks, reverse=True)
        assert book["last_trade_price"] != ""
        assert book["timestamp"] == str(TS)


def test_trades_report_price_size_side_and_hash() -> None:
    flow = OrderFlow(seed=6, n_markets=3)
    trades = [em.payload for _ in range(300) for em in flow.step(TS)
              if em.payload["event_type"] == "last_trade_price"]
    assert trades
    for t in trades:
        assert t["side"] in ("BUY", "SELL")
        assert 0 < parse_price(t["price"]) < SCALE
        assert parse_size(t["size"]) > 0
        assert t["fee_rate_bps"] in ("0", "1000")
        assert re.fullmatch(r"0x[0-9a-f]{64}", t["transaction_hash"])
        assert t["asset_id"] in flow.markets[t["market"]].token_ids


def test_same_seed_same_events_other_seed_others() -> None:
    def first(seed: int, k: int = 400) -> list[dict]:
        flow = OrderFlow(seed=seed, n_markets=8, lifecycle_every=50)
        out: list[dict] = []
        while len(out) < k:
            out.extend(em.payload for em in flow.step(TS))
        return out[:k]

    assert first(21) == first(21)
    assert first(21) != first(22)


def test_tick_size_changes_when_mid_crosses_the_edges() -> None:
    flow = OrderFlow(seed=1, n_markets=8)
    edge = next(m for m in flow.markets.values() if m.edge)
    book = flow.books[edge.condition_id]
    changes: list[tuple[str, str, int]] = []
    for _ in range(20_000):
        for em in flow.step(TS):
            p = em.payload
            if p["event_type"] == "tick_size_change" and p["asset_id"] == edge.token_ids[0]:
                mid = book.mid()
                assert mid is not None
                changes.append((p["old_tick_size"], p["new_tick_size"], mid))
                assert book.tick == parse_price(p["new_tick_size"])
        if len(changes) >= 2:
            break
    assert changes[0][:2] == ("0.01", "0.001")
    assert changes[0][2] > 960_000 or changes[0][2] < 40_000
    assert changes[1][:2] == ("0.001", "0.01")
    assert 50_000 <= changes[1][2] <= 950_000


def test_pause_resume_and_step_are_deterministic_counts() -> None:
    ex = Exchange(seed=1, clock=fixed_clock)
    ex.pause()
    assert ex.paused
    emitted = ex.step(100)
    assert ex.flow.steps == 100 and emitted == ex.messages > 100
    ex.resume()
    assert not ex.paused


def test_lifecycle_lists_and_resolves_markets() -> None:
    ex = Exchange(seed=8, markets=6, rate=100, lifecycle_s=1, clock=fixed_clock)
    events: collections.Counter[str] = collections.Counter()
    ex.add_sink(lambda ems: events.update(e.payload["event_type"] for e in ems))
    ex.step(ex.flow.lifecycle_every * 4)
    assert events["new_market"] == 2 and events["market_resolved"] == 2
    closed = [m for m in ex.markets() if m.closed]
    assert len(closed) == 2 and len(ex.markets()) == 8
    for m in closed:
        assert not set(m.token_ids) & set(ex.asset_ids())


def test_an_exchange_with_every_market_resolved_emits_nothing_and_returns() -> None:
    ex = Exchange(seed=2, markets=3, rate=100, lifecycle_s=0, clock=fixed_clock)
    for market in ex.markets():
        ex.resolve(market.condition_id)
    assert ex.flow.trading == 0
    assert ex.emit_until(50) == 0  # returns (it once looked for a market to trade forever)
    ex.add_market()
    assert ex.emit_until(50) >= 50
