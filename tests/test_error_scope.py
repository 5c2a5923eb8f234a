"""A frame that cannot be read may have carried a book change: the codec says which books it
concerned, and the store distrusts exactly those (or all, when it cannot tell)."""

from __future__ import annotations

import json

from conftest import MarketStore, market_store

from pmdash.feeds.market import decode
from pmdash.models import BookSnapshot, FeedError

A, B, C = "11" * 20, "22" * 20, "33" * 20
MARKET_AB, MARKET_C = "0x" + "ab" * 32, "0x" + "cc" * 32


def error_of(frame: str) -> FeedError:
    events = decode(frame)
    assert len(events) == 1 and isinstance(events[0], FeedError), events
    return events[0]


def live_store() -> MarketStore:
    store = market_store()
    store.watch([A, B], MARKET_AB)
    store.watch([C], MARKET_C)
    for asset, market in ((A, MARKET_AB), (B, MARKET_AB), (C, MARKET_C)):
        store.apply(
            [
                BookSnapshot(
                    feed="market",
                    asset_id=asset,
                    market=market,
                    bids=((400_000, 5_000_000),),
                    asks=((600_000, 5_000_000),),
                    timestamp=1,
                )
            ]
        )
    store.take_heals()
    return store


def test_non_json_could_touch_any_book() -> None:
    error = error_of("}{ not json")
    assert error.all_books and error.asset_ids == ()


def test_bad_price_change_names_its_assets_and_market() -> None:
    frame = json.dumps(
        {
            "event_type": "price_change",
            "market": MARKET_AB,
            "timestamp": "1",
            "price_changes": [
                {"asset_id": A, "price": "0.5", "size": "1", "side": "BUY"},
                {"asset_id": B, "price": "abc", "size": "1", "side": "SELL"},
            ],
        }
    )
    error = error_of(frame)
    assert error.asset_ids == (A, B)
    assert error.market == MARKET_AB
    assert not error.all_books
    assert "price" in error.message


def test_bad_trade_touches_no_book() -> None:
    frame = json.dumps(
        {"event_type": "last_trade_price", "asset_id": A, "market": MARKET_AB,
         "price": "nope", "side": "BUY", "timestamp": "1"}
    )
    error = error_of(frame)
    assert error.asset_ids == () and error.market == "" and not error.all_books


def test_store_distrusts_every_book_for_an_unreadable_frame() -> None:
    store = live_store()
    store.apply(decode("}{ not json"))
    assert {b.asset_id for b in store.books.values() if b.desynced} == {A, B, C}
    assert sorted(store.take_heals()) == sorted([A, B, C])


def test_store_distrusts_only_the_named_books() -> None:
    store = live_store()
    frame = json.dumps(
        {"event_type": "book", "asset_id": C, "market": MARKET_C, "timestamp": "1",
         "bids": [{"price": "0.4", "size": "x"}], "asks": []}
    )
    store.apply(decode(frame))
    assert [b.asset_id for b in store.books.values() if b.desynced] == [C]
    assert store.take_heals() == [C]
    assert "unreadable frame" in (store.books[C].desync_reason or "")


def test_store_keeps_books_for_a_bad_trade() -> None:
    store = live_store()
    frame = json.dumps(
        {"event_type": "last_trade_price", "asset_id": A, "market": MARKET_AB,
         "price": "nope", "side": "BUY", "timestamp": "1"}
    )
    events = decode(frame)
    assert [type(e) for e in events] == [FeedError]
    store.apply(events)
    assert not any(b.desynced for b in store.books.values())
    assert store.take_heals() == []
