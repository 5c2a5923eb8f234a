"""The CLOB market channel codec: every event, frame shapes, errors, salvage, requests."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmdash.feeds import common, market
from pmdash.feeds.market import decoding
from pmdash.feeds.market import hot_path as market_hot
from pmdash.models import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    FeedError,
    LevelChange,
    MarketResolved,
    NewMarket,
    TickSizeChange,
    Trade,
    UnknownEvent,
)

A = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
B = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
M = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"
TS = "1790908701123"


def frame(*items: dict[str, Any]) -> str:
    """One item as an object frame, several as an array frame."""
    return json.dumps(items[0] if len(items) == 1 else list(items))


def price_change(**over: Any) -> dict[str, Any]:
    msg = {
        "event_type": "price_change",
        "market": M,
        "timestamp": TS,
        "price_changes": [
            {"asset_id": A, "price": "0.47", "size": "520", "side": "BUY",
             "hash": "3b1f", "best_bid": "0.47", "best_ask": "0.49"},
            {"asset_id": B, "price": ".53", "size": "0", "side": "sell",
             "hash": "8c7d", "best_bid": "", "extra": [1, 2]},
        ],
    }  # fmt: skip
    msg.update(over)
    return msg


def book(**over: Any) -> dict[str, Any]:
    msg = {
        "event_type": "book",
        "market": M,
        "asset_id": A,
        "timestamp": TS,
        "hash": "9e4f2ff8ba2be56177e8bdc8623dfaba4d18f5c8",
        "bids": [{"price": "0.61", "size": "1200"}, {"price": ".62", "size": "340.5"},
                 {"price": "0.6", "size": "1"}],
        "asks": [{"price": "0.65", "size": "800"}, {"price": "0.64", "size": "150"},
                 {"price": "0.99", "size": "0.000001"}],
        "tick_size": "0.01",
        "last_trade_price": "",
        "min_order_size": "5",
        "neg_risk": False,
    }  # fmt: skip
    msg.update(over)
    return msg


def trade(**over: Any) -> dict[str, Any]:
    msg = {
        "event_type": "last_trade_price",
        "asset_id": A,
        "market": M,
        "price": "0.456",
        "size": "219.217767",
        "side": "BUY",
        "fee_rate_bps": "0",
        "timestamp": TS,
        "transaction_hash": "0x3f5e",
    }
    msg.update(over)
    return msg


def only(text: str | bytes) -> Any:
    events = market.decode(text)
    assert len(events) == 1, events
    return events[0]


# --- Every event type ------------------------------------------------------------------------


def test_book_sorted_best_first_whatever_the_wire_order() -> None:
    snap = only(frame(book()))
    assert isinstance(snap, BookSnapshot)
    assert snap.bids == ((620_000, 340_500_000), (610_000, 1_200_000_000), (600_000, 1_000_000))
    assert snap.asks == ((640_000, 150_000_000), (650_000, 800_000_000), (990_000, 1))
    assert (snap.asset_id, snap.market, snap.timestamp) == (A, M, 1790908701123)
    assert snap.hash == "9e4f2ff8ba2be56177e8bdc8623dfaba4d18f5c8"
    assert (snap.tick_size, snap.last_trade_price) == (10_000, None)
    assert snap.feed == "market"


def test_book_shuffled_levels_sort_the_same() -> None:
    rng = random.Random(3)
    bids = [{"price": f"0.{p:02d}", "size": str(p)} for p in range(1, 50)]
    asks = [{"price": f"0.{p:02d}", "size": str(p)} for p in range(50, 100)]
    rng.shuffle(bids)
    rng.shuffle(asks)
    snap = only(frame(book(bids=bids, asks=asks, last_trade_price="0.5")))
    assert [p for p, _ in snap.bids] == [p * 10_000 for p in range(49, 0, -1)]
    assert [p for p, _ in snap.asks] == [p * 10_000 for p in range(50, 100)]
    assert snap.last_trade_price == 500_000


def test_empty_book_sides() -> None:
    snap = only(frame(book(bids=[], asks=[])))
    assert (snap.bids, snap.asks) == ((), ())


def test_price_change_current_shape() -> None:
    delta = only(frame(price_change()))
    assert isinstance(delta, BookDelta)
    assert (delta.market, delta.timestamp) == (M, 1790908701123)
    assert delta.changes == (
        LevelChange(A, "BUY", 470_000, 520_000_000, 470_000, 490_000, "3b1f"),
        LevelChange(B, "SELL", 530_000, 0, None, None, "8c7d"),
    )


def test_price_change_older_single_change_shape() -> None:
    old = {"event_type": "price_change", "asset_id": A, "market": M, "price": "0.514",
           "size": "21574.08", "side": "Sell", "hash": "bf32", "timestamp": TS}  # fmt: skip
    delta = only(frame(old))
    assert isinstance(delta, BookDelta)
    assert delta.changes == (LevelChange(A, "SELL", 514_000, 21_574_080_000, None, None, "bf32"),)


def test_last_trade_price() -> None:
    t = only(frame(trade()))
    assert isinstance(t, Trade)
    assert (t.price, t.size, t.side) == (456_000, 219_217_767, "BUY")
    assert (t.fee_rate_bps, t.transaction_hash, t.timestamp) == ("0", "0x3f5e", 1790908701123)


def test_last_trade_price_optional_fields_absent_or_empty() -> None:
    msg = trade(size="", side="")
    del msg["fee_rate_bps"], msg["transaction_hash"]
    t = only(frame(msg))
    assert (t.size, t.side, t.fee_rate_bps, t.transaction_hash) == (None, None, "", "")


def test_tick_size_change() -> None:
    msg = {"event_type": "tick_size_change", "asset_id": A, "market": M, "side": "BUY",
           "old_tick_size": "0.01", "new_tick_size": "0.001", "timestamp": TS}  # fmt: skip
    t = only(frame(msg))
    assert isinstance(t, TickSizeChange)
    assert (t.old_tick_size, t.new_tick_size) == (10_000, 1_000)
    t = only(frame({**msg, "old_tick_size": ""}))
    assert t.old_tick_size is None


def test_best_bid_ask_with_an_empty_side() -> None:
    msg = {"event_type": "best_bid_ask", "market": M, "asset_id": A, "best_bid": "0.73",
           "best_ask": "", "spread": "", "timestamp": TS}  # fmt: skip
    b = only(frame(msg))
    assert isinstance(b, BestBidAsk)
    assert (b.best_bid, b.best_ask, b.spread) == (730_000, None, None)


def test_new_market_from_assets_ids_or_clob_token_ids() -> None:
    msg = {"event_type": "new_market", "id": "5196322", "question": "Up or Down?", "market": M,
           "slug": "btc-updown", "assets_ids": [A, B], "outcomes": ["Up", "Down"],
           "timestamp": TS, "tags": [], "active": False, "order_price_min_tick_size": "0.01",
           "event_message": {"id": "1", "title": "t"}}  # fmt: skip
    n = only(frame(msg))
    assert isinstance(n, NewMarket)
    assert (n.id, n.market, n.slug, n.question) == ("5196322", M, "btc-updown", "Up or Down?")
    assert (n.asset_ids, n.outcomes, n.tick_size) == ((A, B), ("Up", "Down"), 10_000)
    del msg["assets_ids"]
    msg["clob_token_ids"] = [B, A]
    msg["order_price_min_tick_size"] = ""
    n = only(frame(msg))
    assert (n.asset_ids, n.tick_size) == ((B, A), None)


def test_market_resolved() -> None:
    msg = {"event_type": "market_resolved", "id": "1031769", "market": M, "tags": ["x"],
           "assets_ids": [A, B], "winning_asset_id": A, "winning_outcome": "Yes",
           "timestamp": TS}  # fmt: skip
    r = only(frame(msg))
    assert isinstance(r, MarketResolved)
    assert (r.id, r.asset_ids, r.winning_asset_id, r.winning_outcome) == (
        "1031769",
        (A, B),
        A,
        "Yes",
    )


def test_shape_rule_types_items_without_event_type() -> None:
    def strip(msg: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in msg.items() if k != "event_type"}

    old = {"asset_id": A, "market": M, "price": "0.5", "size": "1", "side": "BUY", "hash": "h",
           "timestamp": TS}  # fmt: skip
    events = market.decode(frame(strip(book()), strip(price_change()), strip(trade()), old))
    assert [type(e) for e in events] == [BookSnapshot, BookDelta, Trade, BookDelta]
    assert market.infer_event_type({"new_tick_size": "0.1"}) == "tick_size_change"
    assert market.infer_event_type({"winning_asset_id": A, "assets_ids": []}) == "market_resolved"
    assert market.infer_event_type({"clob_token_ids": []}) == "new_market"
    assert market.infer_event_type({"best_bid": "0.1"}) == "best_bid_ask"
    assert market.infer_event_type({"foo": 1}) is None


# --- Frame shapes ------------------------------------------------------------------------------


def test_array_and_object_frames() -> None:
    events = market.decode(frame(book(), price_change(), trade()))
    assert [type(e) for e in events] == [BookSnapshot, BookDelta, Trade]
    assert market.decode(frame(book())) == events[:1]
    assert market.decode(frame(book()).encode()) == events[:1]


@pytest.mark.parametrize("text", ["PONG", "pong", " Pong\n", b"PONG", b"pong\r\n", "\tPONG "])
def test_pong_is_no_event(text: str | bytes) -> None:
    assert market.is_pong(text)
    assert market.decode(text) == []


@pytest.mark.parametrize("text", ["PONGX", '"PONG"', "PING", "", "P O N G", "PONG" + " " * 100])
def test_not_pong(text: str) -> None:
    assert not market.is_pong(text)


@pytest.mark.parametrize("text", ["[]", b"[]", " [ ] "])
def test_empty_array_is_no_event(text: str | bytes) -> None:
    assert market.decode(text) == []


def test_unknown_event_type_is_kept_not_an_error() -> None:
    e = only('{"event_type": "brand_new", "x": [1, {"y": null}]}')
    assert isinstance(e, UnknownEvent)
    assert e.event_type == "brand_new"
    assert e.data == {"event_type": "brand_new", "x": [1, {"y": None}]}


def test_unknown_fields_are_ignored() -> None:
    assert only(frame(trade(new_field={"a": 1}, another=[None]))) == only(frame(trade()))


def test_timestamp_as_json_integer_is_accepted() -> None:
    assert only(frame(trade(timestamp=1790908701123))).timestamp == 1790908701123


def test_exact_sizes_big_and_small() -> None:
    assert only(frame(trade(size="12345678901.123456"))).size == 12_345_678_901_123_456
    assert only(frame(trade(size="0.000001"))).size == 1
    assert only(frame(trade(size="5e2"))).size == 500_000_000
    assert only(frame(trade(price="1", size="7"))).price == 1_000_000
    assert only(frame(trade(price="0.5000000"))).price == 500_000


# --- Malformed input ---------------------------------------------------------------------------


def bad_change(**field: Any) -> str:
    msg = price_change()
    msg["price_changes"][1].update(field)
    return frame(msg)


MALFORMED: list[tuple[str, str | bytes, str]] = [
    ("not json", "hello", "not JSON: "),
    ("empty", "", "empty frame"),
    ("blank", "  \n", "empty frame"),
    ("bad utf-8", b"\xff\xfe{}", "not JSON: "),
    ("lone surrogate", '{"event_type": "book\ud800"}', "not valid UTF-8"),
    ("number frame", "5", "frame is a JSON number, not an object or array"),
    ("string frame", '"PONG"', "frame is a JSON string"),
    ("null frame", "null", "frame is a JSON null"),
    ("array of number", "[1]", "[0] item is a JSON number, not an object"),
    ("nested array", "[[]]", "[0] item is a JSON array, not an object"),
    ("empty object", "{}", "no event_type and an unrecognised shape (keys: none)"),
    ("odd object", '{"message": "x"}', "no event_type and an unrecognised shape (keys: message)"),
    ("event_type number", '{"event_type": 5}', "event_type is a JSON number, not a string"),
    ("bad price", bad_change(price="abc"),
     "price_change.price_changes[1].price: not a decimal number: 'abc'"),
    ("price > 1", bad_change(price="1.5"),
     "price_change.price_changes[1].price: price outside [0, 1]: '1.5'"),
    ("negative price", bad_change(price="-0.1"), "price_changes[1].price: price outside [0, 1]"),
    ("empty price", bad_change(price=""), "price_change.price_changes[1].price: empty price"),
    ("nan price", bad_change(price="NaN"), "price_changes[1].price: not a finite number"),
    ("price as number", bad_change(price=0.5),
     "price_change.price_changes[1].price: expected `str`, got `float`"),
    ("negative size", bad_change(size="-3"), "price_changes[1].size: negative size: '-3'"),
    ("bad size", bad_change(size="lots"), "price_change.price_changes[1].size: "),
    ("7-decimal size", bad_change(size="1.0000001"), "price_changes[1].size: more than 6 decimals"),
    ("bad side", bad_change(side="HOLD"),
     "price_change.price_changes[1].side: side is not BUY or SELL: 'HOLD'"),
    ("bad best_bid", bad_change(best_bid="x"), "price_change.price_changes[1].best_bid: "),
    ("missing asset",
     frame(price_change(price_changes=[{"price": "0.5", "size": "1", "side": "BUY"}])),
     "price_change.price_changes[0]: object missing required field `asset_id`"),
    ("changes not list", frame(price_change(price_changes="x")),
     "price_change.price_changes: expected `array`, got `str`"),
    ("no timestamp", frame({k: v for k, v in price_change().items() if k != "timestamp"}),
     "price_change: object missing required field `timestamp`"),
    ("bad timestamp", frame(price_change(timestamp="soon")),
     "price_change.timestamp: expected `int`, got `str`"),
    ("negative timestamp", frame(price_change(timestamp="-5")), "price_change.timestamp: "),
    ("old shape without a change", frame({"event_type": "price_change", "asset_id": A,
                                          "market": M, "timestamp": TS}),
     "price_change: neither price_changes[] nor a single price/size/side"),
    ("book level price", frame(book(bids=[{"price": "2", "size": "1"}])),
     "book.bids[0].price: price outside [0, 1]: '2'"),
    ("book level size", frame(book(asks=[{"price": "0.7", "size": "1"}, {"price": "0.8"}])),
     "book.asks[1]: object missing required field `size`"),
    ("book no asks", frame({k: v for k, v in book().items() if k != "asks"}),
     "book: object missing required field `asks`"),
    ("book bad tick", frame(book(tick_size="0")), "book.tick_size: tick size is not positive"),
    ("trade empty price", frame(trade(price="")), "last_trade_price.price: empty price"),
    ("trade bad side", frame(trade(side="LONG")), "last_trade_price.side: side is not BUY or SELL"),
    ("trade asset number", frame(trade(asset_id=7)),
     "last_trade_price.asset_id: expected `str`, got `int`"),
    ("tick missing new", frame({"event_type": "tick_size_change", "asset_id": A, "market": M,
                                "new_tick_size": "", "timestamp": TS}),
     "tick_size_change.new_tick_size: empty price"),
    ("new_market no market", frame({"event_type": "new_market", "id": "1", "timestamp": TS}),
     "new_market.market: missing: neither `market` nor `condition_id` is set"),
    ("new_market bad ids", frame({"event_type": "new_market", "id": "1", "market": M,
                                  "assets_ids": "[1", "timestamp": TS}),
     "new_market.assets_ids: not a list of strings"),
    ("resolved no id", frame({"event_type": "market_resolved", "market": M, "timestamp": TS}),
     "market_resolved: object missing required field `id`"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_frame_gives_a_specific_error(text: str | bytes, expected: str) -> None:
    error = only(text)
    assert isinstance(error, FeedError)
    assert error.feed == "market"
    assert expected in error.message
    assert error.sample == common.sample_of(text)
    error.sample.encode("utf-8")  # always safe to log or print
    error.message.encode("utf-8")


def test_sample_is_the_first_120_characters() -> None:
    text = frame(price_change(timestamp="x" * 500))
    error = only(text)
    assert isinstance(error, FeedError)
    assert error.sample == text[:120]
    assert common.sample_of(text.encode()) == text[:120]


def test_array_salvages_good_items_with_an_error_per_bad_one() -> None:
    unknown = {"event_type": "comment", "body": "hi"}
    bad = price_change(timestamp="later")
    events = market.decode(json.dumps([price_change(), bad, trade(), 7, unknown, book()]))
    assert [type(e) for e in events] == [
        BookDelta,
        FeedError,
        Trade,
        FeedError,
        UnknownEvent,
        BookSnapshot,
    ]
    assert events[1].message == "[1] price_change.timestamp: expected `int`, got `str`"
    assert events[3].message == "[3] item is a JSON number, not an object"


def test_salvage_when_only_a_value_is_bad() -> None:
    """Every item has the right JSON types (the typed fast path decodes them all); one has a
    price out of range. Only that item is an error."""
    bad = book(asks=[{"price": "0.7", "size": "1"}, {"price": "7", "size": "1"}])
    events = market.decode(json.dumps([trade(), bad, trade(price="0.1")]))
    assert [type(e) for e in events] == [Trade, FeedError, Trade]
    assert events[1].message == "[1] book.asks[1].price: price outside [0, 1]: '7'"
    assert events[2].price == 100_000


def test_decode_of_a_non_text_object_is_an_error() -> None:
    error = only(12345)  # type: ignore[arg-type]
    assert isinstance(error, FeedError)


# --- Never raises ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                   max_size=4),
    max_leaves=20,
)  # fmt: skip
FIELDS = ["event_type", "asset_id", "market", "price", "size", "side", "timestamp", "hash",
          "bids", "asks", "price_changes", "best_bid", "best_ask", "new_tick_size", "id",
          "old_tick_size", "tick_size", "assets_ids", "winning_asset_id", "outcomes"]  # fmt: skip
VALID = [price_change(), book(), trade(), json.loads(frame(price_change()))["price_changes"][0]]


def check_events(events: Any) -> None:
    assert isinstance(events, list)
    for e in events:
        assert isinstance(
            e,
            BookSnapshot | BookDelta | Trade | TickSizeChange | BestBidAsk | NewMarket
            | MarketResolved | UnknownEvent | FeedError,
        )
        if isinstance(e, FeedError):
            assert not e.message.startswith("internal"), e.message
            assert len(e.sample) <= common.SAMPLE_CHARS
            e.message.encode()
            e.sample.encode()


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=200))
def test_never_raises_on_random_text(text: str) -> None:
    check_events(market.decode(text))


@FAST
@given(st.binary(max_size=200))
def test_never_raises_on_random_bytes(data: bytes) -> None:
    check_events(market.decode(data))


@FAST
@given(json_values)
def test_never_raises_on_random_json(value: Any) -> None:
    check_events(market.decode(json.dumps(value)))


@FAST
@given(
    st.sampled_from(VALID),
    st.dictionaries(st.sampled_from(FIELDS), json_values | st.text(max_size=8), max_size=4),
    st.sets(st.sampled_from(FIELDS), max_size=3),
    st.booleans(),
)
def test_never_raises_on_damaged_events(
    base: dict[str, Any], changes: dict[str, Any], removed: set[str], as_array: bool
) -> None:
    msg = {k: v for k, v in base.items() if k not in removed}
    msg.update(changes)
    text = json.dumps([msg, trade()] if as_array else msg)
    events = market.decode(text)
    check_events(events)
    if as_array:  # the good item survives whatever happened to the other one
        assert events[-1] == only(frame(trade()))


def test_fast_and_slow_paths_agree() -> None:
    frames = [frame(price_change()), frame(book(), trade()), frame(trade(size="", side=""))]
    for text in frames:
        assert market.decode(text) == decoding._decode_slow(text)


# --- The hot path ------------------------------------------------------------------------------


def deep_levels(first: int, count: int, step: int = 1, size: str = "100") -> list[dict[str, str]]:
    """``count`` levels from ``first`` thousandths up (or down, ``step`` -1), in that order."""
    return [{"price": f"{(first + i * step) / 1000:g}", "size": size} for i in range(count)]


def deep_book(**over: Any) -> dict[str, Any]:
    """A book whose sides are long enough to reuse the previous book of their asset."""
    msg = book(bids=deep_levels(100, 300), asks=deep_levels(999, 300, -1))
    msg.update(over)
    return msg


def hot_frames() -> list[str]:
    """Frames as the server writes them: upper-case sides, string sizes, no nulls."""
    change = price_change()
    change["price_changes"][1].update(side="SELL", best_bid="0.52", best_ask="0.53")
    deeper = deep_book()
    deeper["bids"][-1]["size"] = "7"
    deeper["asks"][-2:] = [{"price": "0.6", "size": "3.5"}]
    return [
        frame(change),
        frame(trade()),
        frame(book()),
        frame(book(last_trade_price="0.62", bids=[], asks=[])),
        frame(book(), book(asset_id=B), trade()),
        frame(change, trade(), change),
        frame(deep_book()),
        frame(deeper),
        json.dumps(deep_book(), separators=(",", ":")),
        dump_of_short_books(),
    ]


def dump_of_short_books() -> str:
    """An initial dump: short books in a frame too long for the one-pass decoder."""
    text = frame(*(book(asset_id=str(i), bids=deep_levels(500 + i, 20)) for i in range(12)))
    assert len(text) >= market_hot.SHORT_FRAME
    return text


def test_a_book_reads_alike_in_a_short_frame_and_in_a_long_one() -> None:
    """A short frame's book is decoded in one pass (``HOT_SHORT_DECODER``), a long frame's
    sides as raw text, level by level: both give the typed path's snapshot."""
    item = book(bids=deep_levels(400, 40), asks=deep_levels(900, 40, -1, size="2.5"))
    short = frame(item)
    long = frame(item, *(book(asset_id=str(i)) for i in range(30)))
    assert len(short) < market_hot.SHORT_FRAME <= len(long)
    expected = decoding._decode_typed(short)
    assert market.decode(short) == expected
    assert market.decode(long)[0] == expected[0]
    assert market.decode(long) == decoding._decode_typed(long)


def test_hot_path_takes_the_server_frames_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The common frames never reach the typed path (once their prices are known), and give
    the events the typed path gives."""
    frames = hot_frames()
    expected = [decoding._decode_typed(text) for text in frames]  # also caches their prices

    def no_typed_path(text: str | bytes) -> list[Any]:
        raise AssertionError(f"took the typed path: {text[:60]!r}")

    monkeypatch.setattr(decoding, "_decode_typed", no_typed_path)
    assert [market.decode(text) for text in frames] == expected
    assert [market.decode(text.encode()) for text in frames] == expected


@pytest.mark.parametrize(
    "item",
    [
        price_change(),  # a lower-case side
        trade(size="", side=""),
        trade(side="sell"),
        trade(hash=None, fee_rate_bps=None),
        book(hash=None),
        trade(size=".5"),  # Python's float takes it, msgspec's does not
        trade(size="1e2"),
        trade(size="100000000.25"),  # 1e8 shares and more: the exact parser
        trade(size="12345678901.123456"),
    ],
)
def test_frames_the_hot_path_leaves_decode_as_on_the_typed_path(item: dict[str, Any]) -> None:
    text = frame(item)
    events = market.decode(text)
    assert events == decoding._decode_typed(text)
    assert not any(isinstance(e, FeedError) for e in events), events


SIZE_TEXT = st.one_of(
    st.integers(0, 10**9).map(str),
    st.tuples(st.integers(0, 2 * 10**8), st.integers(0, 999_999), st.integers(1, 6)).map(
        lambda t: f"{t[0]}.{t[1]:06d}"[: len(str(t[0])) + 1 + t[2]]
    ),
    st.tuples(st.integers(0, 99_999), st.integers(-6, 3)).map(lambda t: f"{t[0]}e{t[1]}"),
)


def exact_units(text: str) -> int | None:
    units = Decimal(text) * 1_000_000
    return int(units) if units == int(units) else None


@settings(max_examples=400, deadline=None)
@given(st.lists(SIZE_TEXT, min_size=3, max_size=3), st.integers(1, 99))
def test_hot_and_typed_paths_agree_on_sizes(sizes: list[str], cents: int) -> None:
    """Whatever size strings a frame carries, both paths give the same events, and every size
    is the exact micro-unit count (or, with a 7th decimal, an error)."""
    change = price_change()
    change["price_changes"][0]["size"] = sizes[0]
    change["price_changes"][1].update(side="SELL", size=sizes[1])
    levels = [{"price": f"0.{cents:02d}", "size": sizes[2]}]
    for item in (change, trade(size=sizes[0]), book(bids=levels, asks=[])):
        text = frame(item)
        events = market.decode(text)
        assert events == decoding._decode_typed(text)
    exact = [exact_units(text) for text in sizes]
    delta = market.decode(frame(change))[0]
    if None in exact[:2]:
        assert isinstance(delta, FeedError)
    else:
        assert [c.size for c in delta.changes] == exact[:2]
    snap = market.decode(frame(book(bids=levels, asks=[])))[0]
    if exact[2] is None:
        assert isinstance(snap, FeedError)
    else:
        assert snap.bids == ((cents * 10_000, exact[2]),)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(
    st.floats(0.0, market_hot.FLOAT_EXACT_UNITS, exclude_max=True),
    st.integers(0, 10**8).map(lambda n: n + 0.5),  # ties: to even, as round() does
    st.integers(0, 10**14 - 1).map(float),
))  # fmt: skip
def test_the_nearest_whole_number_trick_is_round(x: float) -> None:
    """The hot loops round a size with ``x + _NEAREST - _NEAREST``: ``round(x)`` as a float
    over the whole range msgspec lets through, ties included."""
    assert x + market_hot._NEAREST - market_hot._NEAREST == round(x)


LEVEL_TRAPS = [
    {"note": '},{"price":"0.9","size":"5"'},  # a separator and a level inside a string
    {"note": 'x","size":"9'},  # escaped quotes, no brace
    {"note": "}, {"},
    {"nested": {"price": "0.9", "size": "5"}},
    {"list": [{"a": 1}, {"b": 2}]},
    {"size": "6"},  # a repeated key: the last one counts on every path
]


@pytest.mark.parametrize("trap", LEVEL_TRAPS, ids=range(len(LEVEL_TRAPS)))
@pytest.mark.parametrize("compact", [True, False], ids=["compact", "spaced"])
def test_level_texts_are_never_misread(trap: dict[str, Any], compact: bool) -> None:
    """The hot path splits a book side at the separators between its levels; a level whose
    text hides a separator, braces or quotes decodes as the typed path decodes it, cold or
    with every level already cached."""
    levels = [{"price": "0.61", "size": "1200"}, {"price": "0.62", "size": "340.5", **trap}]
    item = book(bids=[*levels, {"price": "0.63", "size": "1"}])
    text = json.dumps(item, separators=(",", ":") if compact else None)
    for _ in range(2):  # cold, then warm
        market.clear_value_caches()
        expected = decoding._decode_typed(text)
        assert market.decode(text) == expected
        assert market.decode(text) == expected


trap_text = st.text(alphabet='{}[],:"\\ psizerc0.19', max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["x", "size", "price", "y"]), trap_text,
                                max_size=3), min_size=1, max_size=4),
       st.booleans())  # fmt: skip
def test_hot_and_typed_paths_agree_on_odd_levels(
    extras: list[dict[str, str]], compact: bool
) -> None:
    levels = [
        {"price": f"0.{60 + i}", "size": str(i + 1), **extra} for i, extra in enumerate(extras)
    ]
    text = json.dumps(book(bids=levels, asks=[]), separators=(",", ":") if compact else None)
    expected = decoding._decode_typed(text)
    assert market.decode(text) == expected
    assert market.decode(text) == expected  # with its levels cached


def test_layouts_the_hot_path_does_not_split_decode_as_on_the_typed_path() -> None:
    for text in (json.dumps(book(), indent=1), json.dumps(book()).replace("}, {", "} ,{")):
        events = market.decode(text)
        assert events == decoding._decode_typed(text)
        assert isinstance(events[0], BookSnapshot)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["bids", "asks"]),
            st.sampled_from(["size", "drop", "add", "swap", "same"]),
            st.integers(0, 299),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_long_sides_agree_with_the_typed_path_book_after_book(
    steps: list[tuple[str, str, int]],
) -> None:
    """Long sides reuse the levels of the previous book of their asset up to the first byte
    that differs; whatever changed where, each book decodes as on the typed path."""
    market.clear_value_caches()
    msg = deep_book()
    for side, what, at in steps:
        levels = msg[side]
        at %= len(levels)
        if what == "size":
            levels[at] = {**levels[at], "size": f"{at}.25"}
        elif what == "drop" and len(levels) > 1:
            del levels[at]
        elif what == "add":
            levels.insert(at, {"price": "0.5", "size": "2"})  # may break the order
        elif what == "swap":
            levels[at], levels[-1] = levels[-1], levels[at]
        text = json.dumps(msg)
        assert market.decode(text) == decoding._decode_typed(text)


def test_value_caches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(market_hot, "CACHE_LIMIT", 16)
    monkeypatch.setattr(market_hot, "_SIDES_LIMIT", 3)
    market.clear_value_caches()
    for i, asset in enumerate([A, B, "1", "2"]):
        msg = deep_book(asset_id=asset)
        msg["bids"][-1]["size"] = str(i + 1)
        text = json.dumps(msg)
        assert market.decode(text) == decoding._decode_typed(text)
        assert len(market_hot._levels) <= 16
        assert len(market_hot._sides) <= 3
    market.clear_value_caches()
    assert not market_hot._levels and not market_hot._sides


def test_json_number_sizes_on_every_path() -> None:
    """A size may be a JSON number (msgspec parses sizes as floats on the hot path, so every
    path takes them); it must be a whole number of micro-units."""
    change = price_change()
    change["price_changes"][0]["size"] = 520.25
    levels = [{"price": "0.61", "size": 1200}, {"price": "0.6", "size": 0.000001}]
    good = [change, trade(size=219.217767), book(bids=levels)]
    for item in good:
        hot = only(frame(item))
        assert not isinstance(hot, FeedError), hot
        salvaged = market.decode(json.dumps([item, 7]))[0]  # the slow path, item by item
        assert hot == salvaged == decoding._decode_typed(frame(item))[0]
    assert only(frame(change)).changes[0].size == 520_250_000
    assert only(frame(trade(size=219.217767))).size == 219_217_767
    assert only(frame(book(bids=levels))).bids == ((610_000, 1_200_000_000), (600_000, 1))
    for bad in (trade(size=1.0000001), trade(size=-3), trade(size=12345678901.123456)):
        error = only(frame(bad))
        assert isinstance(error, FeedError)
        assert "last_trade_price.size: " in error.message


# --- Requests ----------------------------------------------------------------------------------


def test_subscribe_exact_json() -> None:
    assert market.subscribe([A, B]) == (
        f'{{"type":"market","assets_ids":["{A}","{B}"],"custom_feature_enabled":true,'
        '"initial_dump":true}'
    )
    assert market.subscribe(iter(["1"]), custom_features=False, initial_dump=False) == (
        '{"type":"market","assets_ids":["1"],"custom_feature_enabled":false,"initial_dump":false}'
    )
    assert "level" not in json.loads(market.subscribe([A]))


def test_subscribe_more_and_unsubscribe_exact_json() -> None:
    assert market.subscribe_more([A]) == (
        f'{{"operation":"subscribe","assets_ids":["{A}"],"custom_feature_enabled":true}}'
    )
    assert market.subscribe_more(["1"], custom_features=False) == (
        '{"operation":"subscribe","assets_ids":["1"],"custom_feature_enabled":false}'
    )
    assert market.unsubscribe([A, B]) == (
        f'{{"operation":"unsubscribe","assets_ids":["{A}","{B}"]}}'
    )


def test_builders_refuse_a_bare_string() -> None:
    with pytest.raises(TypeError):
        market.subscribe(A)
    with pytest.raises(TypeError):
        market.unsubscribe([1])  # type: ignore[list-item]


def test_heartbeat_constants() -> None:
    assert (market.PING, market.PONG, market.FEED) == ("PING", "PONG", "market")


@pytest.mark.parametrize(
    ("where", "value", "words"),
    [
        ("size", "1e400000", "number out of range (1e13 or more)"),
        ("size", "-1e1000000", "number out of range (1e13 or more)"),
        ("size", "1e400", "number out of range (1e13 or more)"),
        ("size", "9" * 300_000, "number longer than 64 characters"),
        ("price", "1e999990", "number out of range (1e13 or more)"),
        ("price", "1e-999990", "more than 6 decimals"),
    ],
    ids=["1e400000", "-1e1000000", "1e400", "300k digits", "price 1e999990", "price 1e-999990"],
)
def test_huge_numbers_are_refused_at_once_and_only_their_asset_is_doubted(
    where: str, value: str, words: str
) -> None:
    """Before, ``"1e400000"`` took seconds to turn into a big integer (on the event loop),
    ``"1e400"`` was taken as a size the screen then crashed on, and ``"1e1000000"`` raised
    ``decimal.Overflow``, which cast doubt on every book of every market."""
    change = {"asset_id": A, "price": "0.47", "size": "5", "side": "BUY"}
    change[where] = value
    events = market.decode(frame(price_change(price_changes=[change])))
    assert len(events) == 1 and isinstance(events[0], FeedError)
    error = events[0]
    assert words in error.message, error.message
    assert (error.asset_ids, error.market, error.all_books) == ((A,), M, False)
    level = {"price": "0.47", "size": "5"}
    level[where] = value
    events = market.decode(frame(book(bids=[level]), book(asset_id=B)))
    books = [e for e in events if isinstance(e, BookSnapshot)]
    errors = [e for e in events if isinstance(e, FeedError)]
    assert [b.asset_id for b in books] == [B]  # its neighbour in the array is kept
    assert len(errors) == 1 and words in errors[0].message and errors[0].asset_ids == (A,)


@pytest.mark.parametrize("asset_id", [None, 222])
def test_a_change_lost_with_no_asset_to_name_doubts_its_whole_market(asset_id: object) -> None:
    """It may have been the other outcome's: naming only the asset next to it would leave that
    book live and maybe wrong."""
    changes = [
        {"asset_id": A, "price": "0.47", "size": "5", "side": "BUY"},
        {"asset_id": asset_id, "price": "0.53", "size": "5", "side": "SELL"},
    ]
    events = market.decode(frame(price_change(price_changes=changes)))
    errors = [e for e in events if isinstance(e, FeedError)]
    assert len(errors) == 1
    assert (errors[0].asset_ids, errors[0].market, errors[0].all_books) == ((), M, False)


@pytest.mark.parametrize(
    ("where", "value", "words"),
    [
        ("size", "1_000", "not a size: '1_000'"),
        ("size", " 5", "not a size: ' 5'"),
        ("size", "5\n", "not a size: '5\\n'"),
        ("size", "0.000000001", "more than 6 decimals"),
        ("size", "1e-9", "more than 6 decimals"),
        ("size", 1e-9, "not exact in micro-units"),
        ("price", "0_5", "not a plain decimal number: '0_5'"),
        ("price", " 0.5", "not a plain decimal number: ' 0.5'"),
    ],
    ids=["underscore", "leading space", "trailing newline", "9 decimals", "1e-9", "json 1e-9",
         "price underscore", "price space"],
)
def test_numbers_no_server_sends_are_refused_not_guessed(
    where: str, value: object, words: str
) -> None:
    """``float`` and ``Decimal`` take ``"1_000"`` and ``" 5"``; and a size below a micro-unit
    used to round to 0, which removes its level: a book silently wrong. Each is refused on
    the hot path, the typed path and in a book, doubting the book it would have changed."""
    change = {"asset_id": A, "price": "0.47", "size": "5", "side": "BUY"}
    change[where] = value
    cases = [(price_change(price_changes=[change]), (A,)), (trade(**{where: value}), ())]
    for item, doubted in cases:  # a bad trade leaves the book alone: it only goes unshown
        for text in (frame(item), json.dumps([item, 7])):  # hot, then typed item by item
            error = market.decode(text)[0]
            assert isinstance(error, FeedError), error
            assert words in error.message and error.asset_ids == doubted, error.message
    level: dict[str, object] = {"price": "0.47", "size": "5"}
    level[where] = value
    events = market.decode(frame(book(bids=[level])))
    assert len(events) == 1 and isinstance(events[0], FeedError)
    assert words in events[0].message
