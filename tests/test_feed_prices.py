"""The reference-price codecs: PolyBolt (PROTOCOLS §3b) and RTDS (§3).

Every real captured frame decodes (the folders are listed, so a file added there is covered);
every §3b frame shape decodes; malformed input becomes a FeedError and no input raises.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmdash.feeds import polybolt, rtds
from pmdash.models import FeedAck, FeedError, PriceGap, PriceTick
from tests.realfixtures import real_bytes, real_files, real_json


def _ticks(events: list[object]) -> list[PriceTick]:
    return [e for e in events if isinstance(e, PriceTick)]


# --- real captures ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", real_files("polybolt"))
def test_every_real_polybolt_frame_decodes(name: str) -> None:
    raw = real_json("polybolt", name)
    events = polybolt.decode(real_bytes("polybolt", name))
    assert not [e for e in events if isinstance(e, FeedError)], events
    if "op" in raw:
        assert events == [
            FeedAck(feed="polybolt", op=raw["op"], rid=raw.get("rid", ""),
                    channel=raw.get("channel", ""), code=raw.get("code", ""))
        ]
    elif raw["channel"] == "price.polymarket":
        assert events == []  # not a reference price
    elif raw.get("snapshot"):
        points = raw["payload"]["data"]
        ticks = _ticks(events)
        assert [t.value for t in ticks] == [Decimal(p["full_accuracy_value"]) for p in points]
        assert [t.timestamp for t in ticks] == [p["timestamp"] for p in points]
        assert all(t.snapshot and t.seq == raw["seq"] for t in ticks)
    else:
        (tick,) = events
        assert isinstance(tick, PriceTick)
        payload = raw["payload"]
        assert tick.value == Decimal(payload["full_accuracy_value"])
        assert str(tick.value) == payload["full_accuracy_value"]  # exact, every place kept
        assert tick.timestamp == payload["timestamp"]
        assert tick.seq == raw["seq"]
        assert tick.source == ""  # the 2026-09 capture predates ``source``


def test_real_twap_keeps_all_eighteen_places() -> None:
    (tick,) = polybolt.decode(real_bytes("polybolt", "staging_13_price_crypto_twap_update.json"))
    assert isinstance(tick, PriceTick)
    assert tick.kind == "twap" and tick.window_s == 60 and tick.symbol == "btcusd"
    assert tick.value == Decimal("78803.715261094101516288")


@pytest.mark.parametrize("name", real_files("rtds"))
def test_every_real_rtds_frame_decodes(name: str) -> None:
    raw = real_json("rtds", name)
    events = rtds.decode(real_bytes("rtds", name))
    ticks = _ticks(events)
    assert len(ticks) == len(events)
    payload = raw["payload"]
    if "data" in payload:
        assert [t.timestamp for t in ticks] == [p["timestamp"] for p in payload["data"]]
        assert [t.value for t in ticks] == [Decimal(str(p["value"])) for p in payload["data"]]
        assert all(t.snapshot for t in ticks)
    else:
        (tick,) = ticks
        assert tick.value == Decimal(payload["full_accuracy_value"])
        assert not tick.snapshot
    expected = {"crypto_prices": ("binance", "btcusd"), "equity_prices": ("pyth", "aapl")}
    assert {(t.source, t.symbol) for t in ticks} == {expected[raw["topic"]]}


# --- every §3b frame ------------------------------------------------------------------------


def test_polybolt_update_with_source_and_dropped() -> None:
    frame = json.dumps({
        "v": 1, "channel": "price.crypto", "seq": 9, "ts": 1788886177000, "dropped": 4,
        "payload": {"symbol": "ETHUSD", "value": 2497.38, "full_accuracy_value": "2497.38586148",
                    "timestamp": 1788886177000, "source": "Pyth"}})
    gap, tick = polybolt.decode(frame)
    assert gap == PriceGap(feed="polybolt", channel="price.crypto", dropped=4,
                           timestamp=1788886177000, symbol="ethusd")
    assert isinstance(tick, PriceTick)
    assert (tick.source, tick.symbol, tick.kind, tick.seq) == ("pyth", "ethusd", "spot", 9)


def test_polybolt_snapshot_with_source_twap_and_empty() -> None:
    frame = json.dumps({
        "v": 1, "channel": "price.crypto.twap", "seq": 2, "ts": 5, "snapshot": True,
        "payload": {"symbol": "btcusd", "source": "chainlink", "window_seconds": 60,
                    "data": [{"timestamp": 1, "value": 1.5, "full_accuracy_value": "1.5"},
                             {"timestamp": 2, "value": 1.75}]}})
    ticks = polybolt.decode(frame)
    assert [(t.value, t.timestamp, t.source, t.kind) for t in _ticks(ticks)] == [
        (Decimal("1.5"), 1, "chainlink", "twap"), (Decimal("1.75"), 2, "chainlink", "twap")]
    empty = {"v": 1, "channel": "price.crypto", "seq": 1, "snapshot": True,
             "payload": {"symbol": "dogeusd", "data": []}}
    assert polybolt.decode(json.dumps(empty)) == []


@pytest.mark.parametrize(
    "op",
    [
        {"op": "authed", "rid": "a1"},
        {"op": "subscribed", "channel": "price.equity", "provider": "massive", "rid": "s2"},
        {"op": "unsubscribed", "channel": "price.crypto", "rid": "u1"},
        {"op": "pong", "rid": "p1"},
        {"op": "challenge", "nonce": "abc"},
        {"op": "error", "code": "auth_invalid", "rid": "a1"},
        {"op": "error", "code": "sub_limit", "channel": "price.crypto"},
        {"op": "something_new", "rid": "x"},
    ],
)
def test_polybolt_acks(op: dict[str, str]) -> None:
    (ack,) = polybolt.decode(json.dumps(op))
    assert isinstance(ack, FeedAck)
    assert (ack.op, ack.rid, ack.channel, ack.code, ack.provider) == (
        op["op"], op.get("rid", ""), op.get("channel", ""), op.get("code", ""),
        op.get("provider", ""))


def test_polybolt_equity_and_other_versions_and_channels() -> None:
    equity = {"v": 1, "channel": "price.equity", "seq": 1, "ts": 3,
              "payload": {"symbol": "AAPL", "value": 316.1, "timestamp": 3,
                          "market_status": "open", "is_carried_forward": False}}
    (tick,) = polybolt.decode(json.dumps(equity))
    assert isinstance(tick, PriceTick) and tick.symbol == "aapl" and tick.value == Decimal("316.1")
    assert polybolt.decode(json.dumps({**equity, "v": 2})) == []
    pm = {"v": 1, "channel": "price.polymarket", "seq": 1, "ts": 1, "snapshot": True,
          "payload": {"market": "0x9", "asset_id": "1", "best_bid": "0.5"}}
    assert polybolt.decode(json.dumps(pm)) == []
    two = polybolt.decode(json.dumps([{"op": "authed"}, equity]))
    assert [type(e) for e in two] == [FeedAck, PriceTick]


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1]",
        "{}",
        '{"channel":"price.crypto","payload":[]}',
        '{"channel":"price.crypto","payload":{"value":1,"timestamp":1}}',
        '{"channel":"price.crypto","payload":{"symbol":"btcusd","value":1}}',
        '{"channel":"price.crypto","payload":{"symbol":"btcusd","timestamp":1}}',
        '{"channel":"price.crypto","payload":{"symbol":"btcusd","timestamp":1,'
        '"full_accuracy_value":"1e400000"}}',
        '{"channel":"price.crypto","payload":{"symbol":"btcusd","timestamp":1,"value":1e300}}',
        '{"channel":"price.crypto","seq":"x","payload":{"symbol":"b","timestamp":1,"value":1}}',
    ],
)
def test_polybolt_malformed_is_a_feed_error(frame: str) -> None:
    events = polybolt.decode(frame)
    assert events and all(isinstance(e, FeedError) and e.feed == "polybolt" for e in events)


def test_one_bad_snapshot_point_spoils_only_itself() -> None:
    frame = json.dumps({"v": 1, "channel": "price.crypto", "seq": 1, "snapshot": True,
                        "payload": {"symbol": "btcusd", "data": [
                            {"timestamp": 1, "full_accuracy_value": "1.5"},
                            {"timestamp": 2, "full_accuracy_value": "NaN"},
                            {"timestamp": 3, "value": 2}]}})
    events = polybolt.decode(frame)
    assert [type(e) for e in events] == [PriceTick, FeedError, PriceTick]


# --- RTDS -------------------------------------------------------------------------------------


def test_rtds_topics_sources_and_symbols() -> None:
    frames = [
        {"topic": "crypto_prices", "type": "update", "timestamp": 1,
         "payload": {"symbol": "btcusdt", "timestamp": 10, "value": 118234.57}},
        {"topic": "crypto_prices_chainlink", "type": "update", "timestamp": 1,
         "payload": {"symbol": "eth/usd", "timestamp": 11, "value": 4312.08}},
        {"topic": "crypto_prices_twap_sixty", "type": "update", "timestamp": 1,
         "payload": {"symbol": "btc/usd", "timestamp": 12, "value": 1.5,
                     "full_accuracy_value": "1500000000000000000", "window_s": 60}},
    ]
    ticks = _ticks(rtds.decode(json.dumps(frames)))
    assert [(t.source, t.symbol, t.kind, t.value, t.timestamp) for t in ticks] == [
        ("binance", "btcusd", "spot", Decimal("118234.57"), 10),
        ("chainlink", "ethusd", "spot", Decimal("4312.08"), 11),
        ("chainlink", "btcusd", "twap", Decimal("1.5"), 12),
    ]


def test_rtds_heartbeats_other_topics_and_garbage() -> None:
    assert rtds.decode("PONG") == rtds.decode("pong") == rtds.decode("  ") == []
    comment = {"topic": "comments", "type": "comment_created", "payload": {"id": "1"}}
    assert rtds.decode(json.dumps(comment)) == []
    for bad in ("hello there", "{}", '{"topic":"crypto_prices","payload":{"symbol":"x"}}'):
        (err,) = rtds.decode(bad)
        assert isinstance(err, FeedError) and err.feed == "rtds"


def test_request_builders() -> None:
    assert json.loads(rtds.subscribe()) == {"action": "subscribe", "subscriptions": [
        {"topic": "crypto_prices", "type": "update"},
        {"topic": "crypto_prices_chainlink", "type": "*"}]}
    assert "filters" not in rtds.subscribe()
    assert json.loads(polybolt.auth("k", "s", "p", rid="a1")) == {
        "op": "auth", "rid": "a1", "auth": {"apiKey": "k", "secret": "s", "passphrase": "p"}}
    keys = polybolt.default_keys(("btcusd",), equities=("aapl",))
    assert json.loads(polybolt.subscribe(keys, rid="s1"))["subscriptions"] == [
        {"channel": "price.crypto", "filter": {"symbol": "btcusd"}},
        {"channel": "price.crypto.twap", "filter": {"symbol": "btcusd", "window_seconds": 60}},
        {"channel": "price.equity", "filter": {"symbol": "aapl"}},
    ]
    assert json.loads(polybolt.unsubscribe("price.crypto:btcusd", rid="u1")) == {
        "op": "unsubscribe", "rid": "u1", "channel": "price.crypto",
        "filter": {"symbol": "btcusd"}}
    assert json.loads(polybolt.ping("p1")) == {"op": "ping", "rid": "p1"}
    with pytest.raises(ValueError):
        polybolt.parse_key("price.nothing:btc")


# --- no input raises --------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["op", "v", "channel", "seq", "ts", "snapshot", "dropped", "payload",
                         "symbol", "value", "full_accuracy_value", "timestamp", "data", "source",
                         "topic", "type", "window_seconds", "window_s", "code", "rid"])
        | st.text(max_size=6), inner, max_size=6),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=_json_values)
def test_no_json_value_makes_a_codec_raise(value: object) -> None:
    text = json.dumps(value)
    for codec in (polybolt, rtds):
        events = codec.decode(text)
        assert isinstance(events, list)
        events = codec.decode(text.encode())
        assert isinstance(events, list)


@settings(max_examples=200, deadline=None)
@given(frame=st.text(max_size=80) | st.binary(max_size=80))
def test_no_text_or_bytes_makes_a_codec_raise(frame: str | bytes) -> None:
    for codec in (polybolt, rtds):
        assert isinstance(codec.decode(frame), list)
