"""Polymarket US codecs (PROTOCOLS §5.2, §5.3): markets and private frames, every legacy alias,
snake_case keys, error frames, request builders; no input makes a codec raise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmdash.feeds import us_markets, us_private, us_rest, us_wire
from pmdash.models import (
    Balance,
    BestBidAsk,
    BookSnapshot,
    FeedError,
    Fill,
    OrderEvent,
    Position,
    Trade,
    UnknownEvent,
)

SLUG = "aec-nfl-buf-nyj-2026-10-04"


def usd(value: str) -> dict[str, str]:
    return {"value": value, "currency": "USD"}


MARKET_DATA = {
    "requestId": "md-1",
    "subscriptionType": "SUBSCRIPTION_TYPE_MARKET_DATA",
    "marketData": {
        "marketSlug": SLUG,
        "bids": [{"px": usd("0.612"), "qty": "140"}, {"px": usd("0.610"), "qty": "2250.5"}],
        "offers": [{"px": usd("0.618"), "qty": "75"}, {"px": usd("0.620"), "qty": "900"}],
        "state": "MARKET_STATE_OPEN",
        "stats": {"lastTradePx": usd("0.615"), "sharesTraded": "81234", "openInterest": "40210",
                  "highPx": usd("0.640"), "lowPx": usd("0.570")},
        "transactTime": "2026-10-04T17:21:09.482113905Z",
    },
}
ORDER = {
    "id": "ord-7f3e", "marketSlug": SLUG, "side": "ORDER_SIDE_SELL", "type": "ORDER_TYPE_LIMIT",
    "price": usd("0.31"), "quantity": 25, "cumQuantity": 10, "leavesQuantity": 15,
    "tif": "TIME_IN_FORCE_GOOD_TILL_CANCEL", "intent": "ORDER_INTENT_SELL_LONG",
    "state": "ORDER_STATE_PARTIALLY_FILLED",
}
EXECUTION = {
    "id": "exec-91c2", "type": "EXECUTION_TYPE_PARTIAL_FILL", "lastShares": "10",
    "lastPx": usd("0.31"), "tradeId": "trd-55a1", "aggressor": False,
    "transactTime": "2026-10-04T17:22:41.003Z", "order": ORDER,
}
POSITION = {
    "beforePosition": {"netPosition": "0"},
    "afterPosition": {"netPosition": "10", "cost": usd("3.10"), "realized": usd("0.25"),
                      "marketMetadata": {"slug": SLUG, "title": "Bills at Jets", "outcome": "Yes"}},
    "updateTime": "2026-10-04T17:22:41Z", "entryType": "LEDGER_ENTRY_TYPE_TRADE",
    "tradeId": "trd-55a1",
}
TS = 1791134561003  # 2026-10-04T17:22:41.003Z


def snake(value: Any) -> Any:
    """The same frame with snake_case keys (an older doc generation's form)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
            out[name] = snake(item)
        return out
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


# --- markets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["camel", "snake"])
def test_market_data_is_a_full_book_keyed_by_slug(form: str) -> None:
    frame = MARKET_DATA if form == "camel" else snake(MARKET_DATA)
    [book] = us_markets.decode(json.dumps(frame))
    assert book == BookSnapshot(
        feed="us-markets", asset_id=SLUG, market=SLUG,
        bids=((612_000, 140_000_000), (610_000, 2_250_500_000)),
        asks=((618_000, 75_000_000), (620_000, 900_000_000)),
        timestamp=1791134469482, last_trade_price=615_000,
    )


def test_market_data_levels_come_out_best_first_whatever_the_order_sent() -> None:
    frame = json.loads(json.dumps(MARKET_DATA))
    frame["marketData"]["bids"].reverse()
    frame["marketData"]["offers"].reverse()
    [book] = us_markets.decode(json.dumps(frame))
    assert isinstance(book, BookSnapshot)
    assert [p for p, _ in book.bids] == [612_000, 610_000]
    assert [p for p, _ in book.asks] == [618_000, 620_000]


def test_empty_book_and_null_stats() -> None:
    frame = {"marketData": {"marketSlug": SLUG, "bids": [], "offers": [], "stats": None,
                            "transactTime": None}}
    [book] = us_markets.decode(json.dumps(frame))
    assert isinstance(book, BookSnapshot)
    assert (book.bids, book.asks, book.last_trade_price, book.timestamp) == ((), (), None, 0)


def test_market_data_lite_is_the_best_bid_and_ask() -> None:
    frame = {"requestId": "lite-1", "subscriptionType": "SUBSCRIPTION_TYPE_MARKET_DATA_LITE",
             "marketDataLite": {"marketSlug": SLUG, "currentPx": usd("0.31"),
                                "lastTradePx": usd("0.31"), "bestBid": usd("0.30"),
                                "bestAsk": usd("0.32"), "bidDepth": 6, "askDepth": 5,
                                "sharesTraded": "120455", "openInterest": "88012"}}
    assert us_markets.decode(json.dumps(frame)) == [BestBidAsk(
        feed="us-markets", asset_id=SLUG, market=SLUG, best_bid=300_000, best_ask=320_000,
        spread=20_000, timestamp=0)]
    frame["marketDataLite"]["bestAsk"] = None
    [bbo] = us_markets.decode(json.dumps(frame))
    assert isinstance(bbo, BestBidAsk) and bbo.best_ask is None and bbo.spread is None


@pytest.mark.parametrize("quantity", [usd("12"), "12", 12])
def test_trade_quantity_as_amount_string_or_number(quantity: Any) -> None:
    frame = {"requestId": "tr-1", "subscriptionType": "SUBSCRIPTION_TYPE_TRADE",
             "trade": {"marketSlug": SLUG, "price": usd("0.31"), "quantity": quantity,
                       "tradeTime": "2026-10-04T17:22:41.003Z",
                       "maker": {"side": "ORDER_SIDE_SELL", "intent": "ORDER_INTENT_SELL_LONG"},
                       "taker": {"side": "ORDER_SIDE_BUY", "intent": "ORDER_INTENT_BUY_LONG"}}}
    assert us_markets.decode(json.dumps(frame)) == [Trade(
        feed="us-markets", asset_id=SLUG, market=SLUG, price=310_000, size=12_000_000,
        side="BUY", timestamp=TS)]


def test_heartbeat_yields_nothing() -> None:
    assert us_markets.decode('{"heartbeat":{}}') == []
    assert us_private.decode(b'{"heartbeat":{}}') == []


def test_error_frame_is_a_feed_error_naming_the_request() -> None:
    frame = ('{"requestId":"md-9","subscriptionType":"SUBSCRIPTION_TYPE_MARKET_DATA",'
             '"error":"market not found"}')
    [err] = us_markets.decode(frame)
    assert isinstance(err, FeedError)
    assert err.feed == "us-markets"
    assert "md-9" in err.message and "market not found" in err.message


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"marketData": {"marketSlug": "x", "bids": [{"px": {"value": "1.5"}, "qty": "1"}]}}',
         "outside [0, 1]"),
        ('{"marketData": {"marketSlug": "x", "bids": [{"px": {"value": "0.5"}, "qty": "-1"}]}}',
         "negative"),
        ('{"marketData": {"bids": []}}', "marketSlug"),
        ('{"trade": {"marketSlug": "x", "price": {"value": "0.5"}, "quantity": "1",'
         ' "tradeTime": "yesterday"}}', "RFC-3339"),
        ('{"requestId": "x"}', "without a payload"),
    ],
)
def test_malformed_market_frames_are_feed_errors(frame: str, words: str) -> None:
    [err] = us_markets.decode(frame)
    assert isinstance(err, FeedError), err
    assert words in err.message
    assert err.feed == "us-markets"


def test_an_unknown_payload_is_kept_not_an_error() -> None:
    [event] = us_markets.decode('{"requestId":"x","somethingNew":{"a":1}}')
    assert isinstance(event, UnknownEvent) and event.event_type == "somethingNew"


# --- private ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["orderSubscriptionUpdate", "orderUpdate"])
@pytest.mark.parametrize("form", ["camel", "snake"])
def test_order_update_is_an_order_and_a_fill(key: str, form: str) -> None:
    frame: dict[str, Any] = {"requestId": "ord-live", "subscriptionType": "SUBSCRIPTION_TYPE_ORDER",
                             key: {"execution": EXECUTION}}
    if form == "snake":
        frame = snake(frame)
    order, fill = us_private.decode(json.dumps(frame))
    assert order == OrderEvent(
        feed="us-private", venue="us", order_id="ord-7f3e", market=SLUG, asset_id=SLUG,
        outcome="Yes", side="SELL", price=310_000, original_size=25_000_000,
        size_matched=10_000_000, status="PARTIALLY_FILLED", kind="PARTIAL_FILL",
        order_type="LIMIT", timestamp=TS)
    assert fill == Fill(
        feed="us-private", venue="us", trade_id="trd-55a1", order_id="ord-7f3e", market=SLUG,
        asset_id=SLUG, outcome="Yes", side="SELL", price=310_000, size=10_000_000,
        status="CONFIRMED", role="maker", timestamp=TS)


@pytest.mark.parametrize("kind", ["NEW", "CANCELED", "REJECTED", "EXPIRED"])
def test_executions_without_shares_are_orders_only(kind: str) -> None:
    execution = {**EXECUTION, "type": f"EXECUTION_TYPE_{kind}", "lastShares": "0",
                 "order": {**ORDER, "state": f"ORDER_STATE_{kind}"}}
    [order] = us_private.decode(json.dumps({"orderSubscriptionUpdate": {"execution": execution}}))
    assert isinstance(order, OrderEvent)
    assert (order.kind, order.status) == (kind, kind)


@pytest.mark.parametrize("key", ["orderSubscriptionSnapshot", "ordersSnapshot"])
def test_order_snapshot_frames_until_eof(key: str) -> None:
    first = {"requestId": "ord-snap", key: {"orders": [ORDER, {**ORDER, "id": "ord-2"}],
                                            "eof": False}}
    last = {"requestId": "ord-snap", key: {"orders": [{**ORDER, "id": "ord-3"}], "eof": True}}
    events = us_private.decode(json.dumps(first)) + us_private.decode(json.dumps(last))
    assert [e.order_id for e in events if isinstance(e, OrderEvent)] == [
        "ord-7f3e", "ord-2", "ord-3"]
    assert {e.kind for e in events if isinstance(e, OrderEvent)} == {"SNAPSHOT"}
    assert us_private.decode(json.dumps({key: {"orders": [], "eof": True}})) == []


def test_a_frame_with_error_and_a_payload_is_an_error() -> None:
    frame = {"requestId": "ord-snap", "subscriptionType": "SUBSCRIPTION_TYPE_ORDER_SNAPSHOT",
             "orderSubscriptionSnapshot": {"orders": [ORDER], "eof": True},
             "error": "deadline exceeded"}
    [err] = us_private.decode(json.dumps(frame))
    assert isinstance(err, FeedError) and "deadline exceeded" in err.message


@pytest.mark.parametrize("key", ["positionSubscription", "positionSubscriptionUpdate"])
def test_position_update(key: str) -> None:
    [pos] = us_private.decode(json.dumps({"requestId": "pos-1", key: POSITION}))
    assert pos == Position(
        feed="us-private", venue="us", asset_id=SLUG, market=SLUG, outcome="Yes",
        title="Bills at Jets", size=10_000_000, avg_price=310_000, cost=3_100_000,
        realized_pnl=250_000, timestamp=1791134561000)


def test_legacy_position_update_and_snapshot() -> None:
    legacy = {"positionUpdate": {"marketSlug": SLUG, "position": {"netPosition": "-4",
                                                                  "avgPx": usd("0.4")}}}
    [pos] = us_private.decode(json.dumps(legacy))
    assert isinstance(pos, Position)
    assert (pos.asset_id, pos.size, pos.avg_price) == (SLUG, -4_000_000, 400_000)
    for key in ("positionSubscriptionSnapshot", "positionsSnapshot"):
        snap = {key: {"positions": {SLUG: {"netPosition": "2"}, "other": {"netPosition": "1"}},
                      "eof": True}}
        got = us_private.decode(json.dumps(snap))
        assert [(p.asset_id, p.size) for p in got if isinstance(p, Position)] == [
            (SLUG, 2_000_000), ("other", 1_000_000)]


def test_position_closed_out_and_without_metadata() -> None:
    closed = {"positionSubscription": {"beforePosition": POSITION["afterPosition"],
                                       "afterPosition": None}}
    [pos] = us_private.decode(json.dumps(closed))
    assert isinstance(pos, Position) and (pos.asset_id, pos.size) == (SLUG, 0)
    # As a real gateway sends it: no metadata, a fractional decimal net, a positionId.
    bare = {"positionSubscription": {"afterPosition": {
        "netPosition": "2", "netPositionDecimal": "2.25", "cost": usd("0.5"),
        "marketMetadata": None, "avgPx": None, "positionId": "user:LONG:combo"}}}
    [pos] = us_private.decode(json.dumps(bare))
    assert isinstance(pos, Position)
    assert (pos.asset_id, pos.size, pos.cost) == ("user:LONG:combo", 2_250_000, 500_000)


@pytest.mark.parametrize("key", ["accountBalancesSnapshot", "accountBalanceSubscriptionSnapshot"])
def test_balance_snapshot_numbers_are_exact(key: str) -> None:
    body = ('{"balances":[{"currentBalance":512.4,"currency":"USD",'
            '"buyingPower":498.1,"openOrders":14.3}]}')
    frame = f'{{"requestId":"bal-1","{key}":{body}}}'
    assert us_private.decode(frame) == [Balance(
        feed="us-private", venue="us", currency="USD", cash=512_400_000,
        buying_power=498_100_000, open_orders=14_300_000, timestamp=0)]


def test_legacy_flat_balance_snapshot() -> None:
    frame = '{"accountBalanceSubscriptionSnapshot":{"balance":100.5,"buyingPower":90}}'
    [bal] = us_private.decode(frame)
    assert isinstance(bal, Balance) and (bal.cash, bal.buying_power) == (100_500_000, 90_000_000)


@pytest.mark.parametrize(
    "key", ["accountBalancesUpdate", "accountBalanceSubscriptionUpdate", "accountBalanceUpdate"])
def test_balance_updates(key: str) -> None:
    change = {"balanceChange": {"beforeBalance": {"currentBalance": 10},
                                "afterBalance": {"currentBalance": 7.25, "buyingPower": 5,
                                                 "currency": ""},
                                "updateTime": "2026-10-04T17:22:41.003Z"}}
    [bal] = us_private.decode(json.dumps({key: change}))
    assert bal == Balance(feed="us-private", venue="us", currency="USD", cash=7_250_000,
                          buying_power=5_000_000, timestamp=TS)


def test_rfq_events_are_kept_not_errors() -> None:
    [event] = us_private.decode('{"requestId":"r","rfqEvent":{"rfqCreated":{"id":"q1"}}}')
    assert isinstance(event, UnknownEvent) and event.event_type == "rfqEvent"


@pytest.mark.parametrize(
    "frame",
    [
        '{"orderSubscriptionUpdate":{"execution":{"id":"e"}}}',
        '{"orderSubscriptionUpdate":{"execution":{"order":{"id":"o","side":"UP",'
        '"marketSlug":"x"}}}}',
        '{"orderSubscriptionUpdate":{"execution":{"order":{"id":"o","side":"ORDER_SIDE_BUY"}}}}',
        '{"accountBalancesUpdate":{}}',
        '{"accountBalancesSnapshot":{"balances":[{"currentBalance":"lots"}]}}',
        '{"positionSubscription":{"afterPosition":{"netPosition":"1"}}}',
        '{"requestId":"x"}',
        '"just a string"',
        '{"orderSubscriptionSnapshot":{"orders":[{"id":"o","marketSlug":"x",'
        '"side":"ORDER_SIDE_BUY","price":{"value":"NaN"}}]}}',
    ],
)
def test_malformed_private_frames_are_feed_errors(frame: str) -> None:
    [err] = us_private.decode(frame)
    assert isinstance(err, FeedError), err
    assert err.feed == "us-private"


# --- requests --------------------------------------------------------------------------------


def test_requests_are_camel_case_with_string_enums() -> None:
    assert json.loads(us_markets.subscribe("md-1", us_markets.MARKET_DATA, ["a", "b"])) == {
        "subscribe": {"requestId": "md-1", "subscriptionType": "SUBSCRIPTION_TYPE_MARKET_DATA",
                      "marketSlugs": ["a", "b"]}}
    assert json.loads(us_private.subscribe("o", us_private.ORDER)) == {
        "subscribe": {"requestId": "o", "subscriptionType": "SUBSCRIPTION_TYPE_ORDER"}}
    assert json.loads(us_markets.unsubscribe("md-1")) == {"unsubscribe": {"requestId": "md-1"}}
    with pytest.raises(ValueError, match="at most 100"):
        us_markets.subscribe("md-1", us_markets.MARKET_DATA, [str(i) for i in range(101)])
    with pytest.raises(ValueError):
        us_markets.subscribe("md-1", "SUBSCRIPTION_TYPE_ORDER", ["a"])


def test_chunks_split_by_100_without_duplicates() -> None:
    slugs = [f"s{i}" for i in range(250)] + ["s0"]
    parts = list(us_wire.chunks(slugs))
    assert [len(p) for p in parts] == [100, 100, 50]
    assert [s for part in parts for s in part] == [f"s{i}" for i in range(250)]


# --- REST bodies -----------------------------------------------------------------------------


def test_rest_positions_market_search_and_book() -> None:
    body = json.dumps({"positions": {SLUG: POSITION["afterPosition"]}, "nextCursor": "c2",
                       "eof": False})
    page = us_rest.decode_positions(body)
    assert isinstance(page, us_rest.PositionsPage)
    assert page.next_cursor == "c2" and not page.errors
    assert [(p.feed, p.asset_id, p.size) for p in page.positions] == [
        ("us-rest", SLUG, 10_000_000)]
    market = us_rest.decode_market(json.dumps({"market": {"id": 7, "slug": SLUG,
                                                          "title": "Bills at Jets"}}))
    assert not isinstance(market, FeedError)
    assert (market.slug, market.question, market.token_ids) == (SLUG, "Bills at Jets", (SLUG,))
    found = us_rest.decode_search(json.dumps({"events": [{"title": "NFL", "markets": [
        {"slug": SLUG, "title": "Bills at Jets"}, {"slug": "b"}]}]}))
    assert not isinstance(found, FeedError)
    assert [m.slug for m in found] == [SLUG, "b"]
    book = us_rest.decode_book(json.dumps({"marketData": MARKET_DATA["marketData"]}))
    assert isinstance(book, BookSnapshot) and book.bids[0] == (612_000, 140_000_000)
    got = us_rest.decode_open_orders(json.dumps({"orders": [ORDER, {"id": "bad"}]}))
    assert not isinstance(got, FeedError)
    orders, bad = got
    assert [(o.order_id, o.kind, o.feed) for o in orders] == [("ord-7f3e", "SNAPSHOT", "us-rest")]
    assert len(bad) == 1 and "bad" in bad[0].message
    balances = us_rest.decode_balances('{"balances":[{"currentBalance":12.5,"buyingPower":10}]}')
    assert not isinstance(balances, FeedError)
    assert [(b.cash, b.buying_power) for b in balances] == [(12_500_000, 10_000_000)]
    assert isinstance(us_rest.decode_positions("{"), FeedError)
    assert isinstance(us_rest.decode_market('{"market": {}}'), FeedError)


# --- no input raises -------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["marketData", "marketDataLite", "trade", "error", "heartbeat",
                         "orderSubscriptionSnapshot", "orderUpdate", "positionSubscription",
                         "accountBalancesUpdate", "accountBalancesSnapshot", "execution",
                         "order", "orders", "bids", "offers", "px", "qty", "value",
                         "marketSlug", "price", "quantity", "side", "afterPosition",
                         "balanceChange", "afterBalance", "currentBalance", "netPosition",
                         "market_slug", "id", "eof", "positions"]),
        inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_json.map(json.dumps), st.text(max_size=40), st.binary(max_size=40)))
def test_no_input_makes_a_codec_raise(frame: str | bytes) -> None:
    for decode in (us_markets.decode, us_private.decode):
        events = decode(frame)
        assert isinstance(events, list)
    for rest_decode in (us_rest.decode_positions, us_rest.decode_market, us_rest.decode_search,
                        us_rest.decode_book, us_rest.decode_open_orders, us_rest.decode_balances):
        rest_decode(frame)
