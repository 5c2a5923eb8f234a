"""The CLOB user-channel codec: every real capture decodes to the right events; no input raises;
the requests it builds; credentials never in an error sample."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from realfixtures import real_bytes, real_files

from pmdash.credentials import ClobCredentials as Credentials
from pmdash.feeds import user
from pmdash.feeds.user import Identity
from pmdash.models import FeedError, Fill, OrderEvent

CRATES_ME = Identity.of(["00000000-0000-0000-0000-000000000001"],
                        ["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"])
PY_ME = Identity.of(["3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"],
                    ["0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8"])
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
PY_TOKEN = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
CID = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
ORDER_HASH = "0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef12"


def _order(**kw: Any) -> OrderEvent:
    base: dict[str, Any] = dict(feed="user", venue="clob", order_id=ORDER_HASH, market=CID,
                                asset_id=TOKEN, outcome="Yes", side="BUY", price=500_000,
                                original_size=100_000_000, order_type="GTC")
    base.update(kw)
    return OrderEvent(**base)


def _fill(**kw: Any) -> Fill:
    base: dict[str, Any] = dict(feed="user", venue="clob", market=CID, asset_id=PY_TOKEN,
                                outcome="Yes", fee_rate_bps="0")
    base.update(kw)
    return Fill(**base)


EXPECTED: dict[str, tuple[Identity, list[Any]]] = {
    "crates_ws_user_order_cancellation.json": (CRATES_ME, [_order(
        status="CANCELED", kind="CANCELLATION", timestamp=1703875205000)]),
    "crates_ws_user_order_fok_killed.json": (CRATES_ME, [OrderEvent(
        feed="user", venue="clob", order_id="0x78xx", market="0x0014", asset_id="256",
        outcome="", side="BUY", price=600_000, original_size=12_000_000, size_matched=0,
        status="CANCELED", kind="CANCELLATION", order_type="FOK", timestamp=1777824065000)]),
    "crates_ws_user_order_matched.json": (CRATES_ME, [_order(
        size_matched=100_000_000, status="MATCHED", kind="UPDATE", timestamp=1703875201000)]),
    "crates_ws_user_order_msg.json": (CRATES_ME, [_order(
        status="LIVE", kind="PLACEMENT", timestamp=1703875200001)]),
    "crates_ws_user_order_placement.json": (CRATES_ME, [_order(
        status="LIVE", kind="PLACEMENT", timestamp=1703875200001)]),
    "crates_ws_user_order_update.json": (CRATES_ME, [_order(
        size_matched=25_000_000, status="LIVE", kind="UPDATE", timestamp=1703875200500)]),
    "crates_ws_user_order_venue_cancel.json": (CRATES_ME, [_order(
        order_id="0x0e", market="0x84", price=530_000, original_size=20_000_000,
        status="INVALID", kind="CANCELLATION", timestamp=1774378800285)]),
    "crates_ws_user_trade.json": (CRATES_ME, [_fill(
        trade_id="trade-0xabcdef1234", order_id=ORDER_HASH, asset_id=TOKEN, side="BUY",
        price=500_000, size=25_000_000, status="CONFIRMED", role="taker",
        timestamp=1703875200000)]),
    "crates_ws_user_trade_msg.json": (CRATES_ME, [_fill(
        trade_id="trade-0xabcdef1234", order_id=ORDER_HASH, asset_id=TOKEN, side="BUY",
        price=500_000, size=25_000_000, status="CONFIRMED", role="taker",
        timestamp=1703875200000)]),
    "py_order_cancel.json": (PY_ME, [OrderEvent(
        feed="user", venue="clob",
        order_id="0xc6e99c14f1c7cae9e0538eb2d45a4d8b93ffd743e850edd1502a8c85700be5d3",
        market=CID, asset_id=PY_TOKEN, outcome="Yes", side="SELL", price=513_000,
        original_size=5_000_000, size_matched=5_000_000, status="CANCELED",
        kind="CANCELLATION", order_type="GTC", timestamp=1725841743272)]),
    "py_order_placement.json": (PY_ME, [OrderEvent(
        feed="user", venue="clob",
        order_id="0x0f76f4dc6eaf3332f4100f2e8a0b4a927351dd64646b7bb12f37df775c657a78",
        market=CID, asset_id=PY_TOKEN, outcome="Yes", side="BUY", price=513_000,
        original_size=5_000_000, status="LIVE", kind="PLACEMENT", order_type="GTC",
        timestamp=1725842520990)]),
    # Maker: only the maker order with our address, at ITS price; the same token as the
    # taker's BUY, so our side is SELL.
    "py_user_trade1.json": (PY_ME, [_fill(
        trade_id="83b5c849-620e-4c23-b63b-2e779c04a6e7",
        order_id="0xab679e56242324e15e59cfd488cd0f12e4fd71b153b9bfb57518898b9983145e",
        side="SELL", price=518_000, size=5_000_000, status="MINED", role="maker",
        timestamp=1725868885871)]),
    "py_user_trade2.json": (PY_ME, [_fill(
        trade_id="f50e8ab2-652d-4dc8-9c82-8e46197fe98d",
        order_id="0x5b605a0e8e40f3402d3cb3bc19edad6733ed23fbc079d2a09ee399c3487ace81",
        side="BUY", price=520_000, size=5_000_000, status="MATCHED", role="taker",
        timestamp=1725958682125)]),
    "py_user_trade3.json": (PY_ME, [_fill(
        trade_id="83b5c849-620e-4c23-b63b-2e779c04a6e7",
        order_id="0x3ad09f225ebe141dfbdb3824f31cb457e8e0301ca4e0a06311e543f5328b9dea",
        side="BUY", price=513_000, size=5_000_000, status="CONFIRMED", role="maker",
        timestamp=1762776436000)]),
    "py_user_trade4.json": (PY_ME, [
        _fill(trade_id="83b5c849-620e-4c23-b63b-2e779c04a6e7",
              order_id="0x3ad09f225ebe141dfbdb3824f31cb457e8e0301ca4e0a06311e543f5328b9dea",
              side="BUY", price=400_000, size=5_000_000, status="CONFIRMED", role="maker",
              timestamp=1762776436000),
        _fill(trade_id="83b5c849-620e-4c23-b63b-2e779c04a6e7",
              order_id="0x67b598cab933c71389176573822be763192a35a8c37e49999a11d611a5882e7d",
              side="BUY", price=300_000, size=5_000_000, status="CONFIRMED", role="maker",
              timestamp=1762776436000),
    ]),
    "py_user_trade_rest_shape.json": (PY_ME, [_fill(
        trade_id="0c357886-b9d3-44bb-9aa9-72d8abc90e6e",
        order_id="0x4505aada9831d06078a005c8ec96396a78c8f06035bf763b40fc16d27a250043",
        side="BUY", price=489_000, size=5_000_000, status="CONFIRMED", role="taker",
        timestamp=1726043282000)]),
}


@pytest.mark.parametrize("name", real_files("clob_user"))
def test_every_real_capture_decodes_to_the_right_events(name: str) -> None:
    frame = real_bytes("clob_user", name)
    assert name in EXPECTED, f"new fixture {name}: add its expected events"
    me, expected = EXPECTED[name]
    assert user.decode(frame, me) == expected


def test_an_array_of_events_decodes_in_order() -> None:
    one = json.loads(real_bytes("clob_user", "py_order_placement.json"))
    two = json.loads(real_bytes("clob_user", "py_user_trade2.json"))
    events = user.decode(json.dumps([one, two]), PY_ME)
    assert [type(e) for e in events] == [OrderEvent, Fill]


def test_trade_status_prefix_and_matchtime_in_seconds() -> None:
    frame = json.dumps({
        "event_type": "trade", "id": "t1", "taker_order_id": "0xo", "market": "0xm",
        "asset_id": "1", "side": "SELL", "size": "3", "price": "0.4",
        "status": "TRADE_STATUS_RETRYING", "matchtime": "1790909100", "extra": {"x": 1},
    })
    [fill] = user.decode(frame)
    assert isinstance(fill, Fill)
    assert (fill.status, fill.timestamp, fill.side, fill.size) == (
        "RETRYING", 1_790_909_100_000, "SELL", 3_000_000)


def test_maker_fill_recognised_by_api_key_alone() -> None:
    frame = json.dumps({
        "event_type": "trade", "id": "t2", "market": "0xm", "asset_id": "A", "side": "BUY",
        "size": "10", "price": "0.6", "status": "MATCHED", "timestamp": "1790909100123",
        "maker_orders": [
            {"order_id": "0xother", "owner": "k-other", "matched_amount": "4", "price": "0.6",
             "asset_id": "A"},
            {"order_id": "0xmine", "owner": "k-me", "matched_amount": "6", "price": "0.59",
             "asset_id": "B"},
        ],
    })
    [fill] = user.decode(frame, Identity.of(["k-me"]))
    assert isinstance(fill, Fill)
    assert (fill.order_id, fill.role, fill.price, fill.size, fill.side, fill.asset_id) == (
        "0xmine", "maker", 590_000, 6_000_000, "BUY", "B")


@pytest.mark.parametrize("frame, words", [
    ("not json", "not JSON"),
    ('{"event_type":"order","id":"x","side":"UP","price":"0.5"}', "side"),
    ('{"event_type":"trade","id":"x","side":"BUY","price":"2","size":"1","status":"MINED"}',
     "price"),
    ('{"event_type":"order","id":5}', "order"),
    ('[1]', "not an object"),
    ('{"event_type":"error","error":"bad auth"}', "server error: bad auth"),
])
def test_malformed_input_is_a_feed_error(frame: str, words: str) -> None:
    [event] = user.decode(frame)
    assert isinstance(event, FeedError)
    assert event.feed == "user"
    assert words in event.message


SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
PASS = "pass-phrase-42"


def test_auth_never_in_an_error_sample() -> None:
    creds = Credentials("key-1", SECRET, PASS)
    echoed = user.subscribe(creds, ["0xabc"])[:-1] + ', "bogus": [}'
    for frame in (echoed, json.dumps({"event_type": "error", "error": echoed}),
                  '{"secret":"' + SECRET + '","x":', '{"auth": {"passphrase": "' + PASS):
        events = user.decode(frame)
        assert events and all(isinstance(e, FeedError) for e in events)
        for e in events:
            assert isinstance(e, FeedError)
            assert SECRET not in e.sample + e.message
            assert PASS not in e.sample + e.message
    assert SECRET not in repr(creds) and PASS not in repr(creds)


def test_requests() -> None:
    creds = Credentials("k", "s", "p")
    first = json.loads(user.subscribe(creds, ["0xa", "0xb", "0xa"]))
    assert first == {"type": "user", "auth": {"apiKey": "k", "secret": "s", "passphrase": "p"},
                     "markets": ["0xa", "0xb"]}
    assert "markets" not in json.loads(user.subscribe(creds, []))
    assert json.loads(user.subscribe_more(["0xc"])) == {"operation": "subscribe",
                                                        "markets": ["0xc"]}
    assert json.loads(user.unsubscribe(["0xc"])) == {"operation": "unsubscribe",
                                                     "markets": ["0xc"]}


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20,
)
FIELDS = ["event_type", "type", "id", "side", "price", "size", "status", "original_size",
          "size_matched", "timestamp", "matchtime", "match_time", "maker_orders", "trader_side",
          "owner", "asset_id"]


@FAST
@given(st.text(max_size=200))
def test_no_text_raises(text: str) -> None:
    assert isinstance(user.decode(text, PY_ME), list)


@FAST
@given(st.binary(max_size=200))
def test_no_bytes_raise(data: bytes) -> None:
    assert isinstance(user.decode(data, PY_ME), list)


@FAST
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10))
def test_no_json_object_raises(obj: dict[str, Any]) -> None:
    for frame in (json.dumps(obj), json.dumps([obj, obj])):
        for event in user.decode(frame, PY_ME):
            assert isinstance(event, OrderEvent | Fill | FeedError)
