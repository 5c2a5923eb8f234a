"""Every real captured message (../shared/fixtures/real/) decodes to the right events and values.

The parametrised tests run over the folder listings, so a file added there is covered without
editing this file; each event is cross-checked field by field against the raw JSON. The named
tests below pin specific values.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pmdash.feeds import clob_rest, gamma, market
from pmdash.models import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    FeedError,
    MarketInfo,
    MarketResolved,
    NewMarket,
    TickSizeChange,
    Trade,
    UnknownEvent,
)
from pmdash.units import SCALE
from tests import realfixtures
from tests.realfixtures import real_bytes, real_files, real_json

EVENT_CLASS = {
    "book": BookSnapshot,
    "price_change": BookDelta,
    "last_trade_price": Trade,
    "tick_size_change": TickSizeChange,
    "best_bid_ask": BestBidAsk,
    "new_market": NewMarket,
    "market_resolved": MarketResolved,
}
# Files without an ``event_type``: the class the shape rule must give them.
SHAPE_CLASS = {
    "crates_ws_book_snapshot.json": BookSnapshot,
    "crates_ws_last_trade.json": Trade,
    "crates_ws_quotes.json": BookDelta,
    "crates_ws_tick_size_change.json": TickSizeChange,
}


def units(text: str | None) -> int | None:
    """The micro-units a decimal string stands for, computed independently of the codec."""
    if text is None or text == "":
        return None
    return int(Decimal(text) * SCALE)


def check_book(event: BookSnapshot, raw: dict[str, Any]) -> None:
    assert event.asset_id == raw["asset_id"]
    assert event.market == raw["market"]
    assert event.timestamp == int(raw["timestamp"])
    assert event.hash == raw.get("hash", "")
    for side, levels in (("bids", event.bids), ("asks", event.asks)):
        expected = sorted(
            ((units(lv["price"]), units(lv["size"])) for lv in raw[side]),
            reverse=side == "bids",
        )
        assert list(levels) == expected
    prices = [p for p, _ in event.bids]
    assert prices == sorted(prices, reverse=True)
    prices = [p for p, _ in event.asks]
    assert prices == sorted(prices)
    assert event.tick_size == units(raw.get("tick_size"))
    assert event.last_trade_price == units(raw.get("last_trade_price"))


def check_delta(event: BookDelta, raw: dict[str, Any]) -> None:
    assert event.market == raw["market"]
    assert event.timestamp == int(raw["timestamp"])
    entries = raw.get("price_changes", [raw])  # the older shape is one top-level change
    assert len(event.changes) == len(entries)
    for change, entry in zip(event.changes, entries, strict=True):
        assert change.asset_id == entry["asset_id"]
        assert change.side == entry["side"].upper()
        assert change.price == units(entry["price"])
        assert change.size == units(entry["size"])
        assert change.best_bid == units(entry.get("best_bid"))
        assert change.best_ask == units(entry.get("best_ask"))
        assert change.hash == entry.get("hash", "")


def check_event(event: Any, raw: dict[str, Any]) -> None:
    if isinstance(event, BookSnapshot):
        check_book(event, raw)
    elif isinstance(event, BookDelta):
        check_delta(event, raw)
    else:
        assert event.timestamp == int(raw["timestamp"])
        assert event.market == raw.get("market") or raw.get("condition_id")
    if isinstance(event, Trade):
        assert (event.asset_id, event.price) == (raw["asset_id"], units(raw["price"]))
        assert event.size == units(raw.get("size"))
        assert event.side == (raw.get("side") or None)
    elif isinstance(event, TickSizeChange):
        assert event.asset_id == raw["asset_id"]
        assert event.new_tick_size == units(raw["new_tick_size"])
        assert event.old_tick_size == units(raw.get("old_tick_size"))
    elif isinstance(event, BestBidAsk):
        assert event.asset_id == raw["asset_id"]
        assert (event.best_bid, event.best_ask) == (units(raw["best_bid"]), units(raw["best_ask"]))
        assert event.spread == units(raw.get("spread"))
    elif isinstance(event, NewMarket):
        assert event.id == str(raw["id"])
        assert list(event.asset_ids) == (raw.get("assets_ids") or raw["clob_token_ids"])
        assert list(event.outcomes) == raw["outcomes"]
    elif isinstance(event, MarketResolved):
        assert event.id == str(raw["id"])
        assert list(event.asset_ids) == raw["assets_ids"]
        assert event.winning_asset_id == raw["winning_asset_id"]


@pytest.mark.parametrize("name", real_files("clob_market"))
def test_every_market_fixture_decodes(name: str) -> None:
    raw = real_json("clob_market", name)
    events = market.decode(real_bytes("clob_market", name))
    items = raw if isinstance(raw, list) else [raw]
    assert len(events) == len(items)
    for event, item in zip(events, items, strict=True):
        assert not isinstance(event, FeedError | UnknownEvent), event
        assert event.feed == "market"
        expected = EVENT_CLASS.get(item.get("event_type", ""), SHAPE_CLASS.get(name))
        if expected is not None:
            assert type(event) is expected
        check_event(event, item)
    # str and bytes frames decode alike
    assert market.decode(real_bytes("clob_market", name).decode()) == events


def decode_rest(name: str, body: bytes, raw: Any) -> list[Any]:
    """Pick the decoder a REST body's shape calls for."""
    if isinstance(raw, dict) and "bids" in raw:
        return clob_rest.decode_books(body)
    if isinstance(raw, dict) and "events" in raw and "conditionId" not in raw:
        return gamma.decode_search(body)
    if isinstance(raw, list) and raw and "markets" in raw[0]:
        return gamma.decode_event(body)
    if isinstance(raw, list):
        return gamma.decode_markets(body)
    if isinstance(raw, dict) and "markets" in raw:
        return gamma.decode_event(body)
    return [gamma.decode_market(body)]


def raw_markets(raw: Any) -> list[dict[str, Any]]:
    """The order-book markets a Gamma body holds, in order."""
    if isinstance(raw, dict) and "events" in raw and "conditionId" not in raw:
        found = [m for e in raw["events"] for m in e.get("markets", [])]
    elif isinstance(raw, list) and raw and "markets" in raw[0]:
        found = [m for e in raw for m in e["markets"]]
    elif isinstance(raw, list):
        found = raw
    elif "markets" in raw:
        found = raw["markets"]
    else:
        found = [raw]
    return [m for m in found if m.get("clobTokenIds") and m.get("enableOrderBook") is not False]


def as_list(value: Any) -> list[str]:
    return json.loads(value) if isinstance(value, str) else list(value)


@pytest.mark.parametrize("name", real_files("rest"))
def test_every_rest_fixture_decodes(name: str) -> None:
    body = real_bytes("rest", name)
    raw = json.loads(body)
    results = decode_rest(name, body, raw)
    assert results, "no result at all"
    for result in results:
        assert not isinstance(result, FeedError), result
    if isinstance(raw, dict) and "bids" in raw:
        assert results[0].feed == "rest"
        check_book(results[0], raw)
        return
    expected = raw_markets(raw)
    assert len(results) == len(expected)
    for info, m in zip(results, expected, strict=True):
        assert isinstance(info, MarketInfo)
        assert info.condition_id == m["conditionId"]
        assert info.gamma_id == str(m["id"])
        assert info.slug == m.get("slug", "")
        assert list(info.token_ids) == as_list(m["clobTokenIds"])
        if "outcomes" in m:
            assert list(info.outcomes) == as_list(m["outcomes"])
            for token, outcome in zip(info.token_ids, info.outcomes, strict=True):
                assert info.outcome_of(token) == outcome
        tick = m.get("orderPriceMinTickSize")
        assert info.tick_size == (units(str(tick)) if tick is not None else 10_000)
        assert (info.active, info.closed) == (m.get("active", True), m.get("closed", False))


def test_missing_fixture_folder_skips_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(realfixtures, "REAL_DIR", tmp_path / "absent")
    assert real_files("clob_market") == [realfixtures.MISSING]
    with pytest.raises(pytest.skip.Exception, match=r"real fixtures not found at .*absent"):
        real_bytes("clob_market", realfixtures.MISSING)


# --- Specific values --------------------------------------------------------------------


def one(name: str) -> Any:
    events = market.decode(real_bytes("clob_market", name))
    assert len(events) == 1
    return events[0]


def test_py_book_levels_and_best_prices() -> None:
    book = one("py_book.json")
    assert isinstance(book, BookSnapshot)
    assert (len(book.bids), len(book.asks)) == (76, 86)
    assert book.bids[0] == (511_000, 1_304_720_000)  # best bid 0.511 (last on the wire)
    assert book.asks[0] == (514_000, 20_230_870_000)  # best ask 0.514 (last on the wire)
    assert book.bids[-1] == (1_000, 9_000_023_580_000)
    assert book.asks[-1] == (999_000, 10_500_100_000_000)
    assert book.hash == "655a38d4977427b086c25b985993691b753ed166"
    assert book.timestamp == 1728799418260


def test_py_price_change_old_single_change_shape() -> None:
    delta = one("py_price_change.json")
    assert isinstance(delta, BookDelta)
    (change,) = delta.changes
    assert change.asset_id.startswith("4833104333661288389")
    assert (change.side, change.price, change.size) == ("SELL", 514_000, 21_574_080_000)
    assert (change.best_bid, change.best_ask) == (None, None)
    assert change.hash == "bf32b3746fff40c76c98021b7f3f07261169dd26"
    assert delta.timestamp == 1723967931411


def test_py_price_change_v2_three_changes() -> None:
    delta = one("py_price_change_v2.json")
    assert isinstance(delta, BookDelta)
    assert [(c.side, c.price, c.size) for c in delta.changes] == [
        ("BUY", 600_000, 3_300_000_000),
        ("BUY", 500_000, 3_400_000_000),
        ("BUY", 700_000, 3_400_000_000),
    ]
    assert {(c.best_bid, c.best_ask) for c in delta.changes} == {(600_000, 700_000)}
    assert delta.market.startswith("0x5f65177b")


def test_shape_inferred_quotes_cover_two_assets() -> None:
    delta = one("crates_ws_quotes.json")
    assert isinstance(delta, BookDelta)
    assert [(c.side, c.price, c.best_bid, c.best_ask) for c in delta.changes] == [
        ("BUY", 510_000, 510_000, 520_000),
        ("SELL", 490_000, 480_000, 490_000),
    ]
    assert delta.changes[0].asset_id != delta.changes[1].asset_id


def test_shape_inferred_book_trade_and_tick() -> None:
    book = one("crates_ws_book_snapshot.json")
    assert isinstance(book, BookSnapshot)
    assert [p for p, _ in book.bids] == [500_000, 490_000, 480_000]
    assert [p for p, _ in book.asks] == [510_000, 520_000, 530_000]
    trade = one("crates_ws_last_trade.json")
    assert isinstance(trade, Trade)
    assert (trade.price, trade.size, trade.side, trade.fee_rate_bps) == (
        510_000,
        25_000_000,
        "BUY",
        "0",
    )
    tick = one("crates_ws_tick_size_change.json")
    assert isinstance(tick, TickSizeChange)
    assert (tick.old_tick_size, tick.new_tick_size) == (100_000, 10_000)


def test_py_tick_size_and_last_trade() -> None:
    tick = one("py_tick_size_change.json")
    assert isinstance(tick, TickSizeChange)
    assert (tick.old_tick_size, tick.new_tick_size) == (10_000, 1_000)
    trade = one("py_last_trade_price.json")
    assert isinstance(trade, Trade)
    assert (trade.side, trade.price, trade.size) == ("SELL", 491_000, 85_360_000)


def test_best_bid_ask_values() -> None:
    bba = one("crates_ws_market_best_bid_ask_msg.json")
    assert isinstance(bba, BestBidAsk)
    assert (bba.best_bid, bba.best_ask, bba.spread) == (730_000, 770_000, 40_000)


YES = "76043073756653678226373981964075571318267289248134717369284518995922789326425"
NO = "31690934263385727664202099278545688007799199447969475608906331829650099442770"


def test_new_market_asset_ids_outcomes_and_tick() -> None:
    new = one("crates_ws_market_new_market_msg.json")
    assert isinstance(new, NewMarket)
    assert new.asset_ids == (YES, NO)
    assert new.outcomes == ("Yes", "No")
    assert new.tick_size == 10_000
    assert new.id == "1031769"
    assert new.slug == "nvda-above-240-on-january-30-2026"
    assert new.question.startswith("Will NVIDIA (NVDA) close above $240")


def test_market_resolved_winning_asset() -> None:
    resolved = one("crates_ws_market_resolved_msg.json")
    assert isinstance(resolved, MarketResolved)
    assert resolved.winning_asset_id == YES
    assert resolved.winning_outcome == "Yes"
    assert resolved.asset_ids == (YES, NO)


def one_book(body: bytes) -> object:
    (book,) = clob_rest.decode_books(body)
    return book


def test_rest_books_best_first() -> None:
    book = one_book(real_bytes("rest", "py_book.json"))
    assert isinstance(book, BookSnapshot)
    assert book.bids[0] == (100_000, 125_000_000)
    assert book.asks[0] == (140_000, 705_000_000)
    assert (len(book.bids), len(book.asks)) == (5, 7)
    crates = one_book(real_bytes("rest", "crates_clob_book_response.json"))
    assert isinstance(crates, BookSnapshot)
    assert (crates.bids[0][0], crates.asks[0][0]) == (500_000, 510_000)


def test_gamma_market_tokens_aligned_with_outcomes() -> None:
    info = gamma.decode_market(real_bytes("rest", "crates_gamma_market.json"))
    assert isinstance(info, MarketInfo)
    assert info.outcome_of(
        "104239898038807136052399800151408521467737075933964991162589336683346093173875"
    ) == "Up"
    assert info.outcome_of(
        "71183960810705820955071415844881728181970340514894896943812046065452395013351"
    ) == "Down"
    assert info.tick_size == 10_000
    assert (info.gamma_id, info.active, info.closed) == ("1557558", True, False)


def test_gamma_sports_and_closed_markets() -> None:
    name = "crates_gamma_market_sports_market_money_line.json"
    money = gamma.decode_market(real_bytes("rest", name))
    assert isinstance(money, MarketInfo)
    assert money.outcomes == ("FaZe", "illwill")
    assert (money.closed, money.tick_size) == (True, 1_000)
    closed = gamma.decode_market(
        real_bytes("rest", "crates_gamma_market_closed_binary_accepting_true.json")
    )
    assert isinstance(closed, MarketInfo)
    assert closed.closed is True


def test_gamma_slug_with_real_list_and_no_outcomes() -> None:
    info = gamma.decode_market(real_bytes("rest", "py_market_slug.json"))
    assert isinstance(info, MarketInfo)
    assert info.token_ids[0].startswith("4173124550477716")
    assert len(info.token_ids) == 2
    assert info.outcomes == ()
    assert info.outcome_of(info.token_ids[0]) == "?"


def test_gamma_event_and_search() -> None:
    event = gamma.decode_event(real_bytes("rest", "crates_gamma_event.json"))
    assert [m.gamma_id for m in event if isinstance(m, MarketInfo)] == ["559657", "559659"]
    assert all(isinstance(m, MarketInfo) and m.tick_size == 1_000 for m in event)
    found = gamma.decode_search(real_bytes("rest", "crates_search_response.json"))
    assert len(found) == 1
    assert isinstance(found[0], MarketInfo)
    assert found[0].slug == "bitcoin-above-64k-on-march-11"
    assert found[0].outcomes == ("Yes", "No")
