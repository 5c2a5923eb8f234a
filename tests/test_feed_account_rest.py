"""REST account bodies: balance (both shapes), pages of orders and trades, Data API positions."""

from __future__ import annotations

import json

import pytest
from realfixtures import real_json

from pmdash.feeds import account_rest as rest
from pmdash.feeds.user import Identity
from pmdash.models import Balance, FeedError, Fill, OrderEvent, Position

ME = Identity.of(["3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"],
                 ["0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8"])


@pytest.mark.parametrize("body, cash", [
    ('{"balance":"20000000","allowances":{"0xabc":"1"}}', 20_000_000),
    ('{"balance":"250.500000","allowance":"0"}', 250_500_000),
    ('{"balance":12.25}', 12_250_000),
    ('{"balance":7}', 7),
])
def test_balance_shapes(body: str, cash: int) -> None:
    result = rest.decode_balance(body)
    assert isinstance(result, Balance)
    assert (result.venue, result.cash) == ("clob", cash)


@pytest.mark.parametrize("body", ['{"allowance":"1"}', '{"balance":"x"}', "[]", "nope",
                                  '{"balance":true}'])
def test_bad_balance_is_an_error(body: str) -> None:
    assert isinstance(rest.decode_balance(body), FeedError)


def test_orders_page_and_cursor() -> None:
    item = {"id": "0xo", "status": "ORDER_STATUS_LIVE", "owner": "k", "market": "0xm",
            "asset_id": "A", "side": "BUY", "outcome": "Yes", "original_size": "10.0",
            "size_matched": "2", "price": "0.45", "associate_trades": None,
            "created_at": 1790909000, "expiration": "0", "order_type": "GTC"}
    body = json.dumps({"limit": 1, "count": 1, "next_cursor": "MQ==", "data": [item, 5]})
    events, cursor = rest.decode_orders(body)
    assert cursor == "MQ=="
    first, second = events
    assert isinstance(first, OrderEvent) and isinstance(second, FeedError)
    assert (first.status, first.kind, first.size_matched, first.timestamp) == (
        "LIVE", "SNAPSHOT", 2_000_000, 1_790_909_000_000)
    assert rest.decode_orders(json.dumps({"data": [], "next_cursor": "LTE="}))[1] == "LTE="


def test_trades_page_reads_your_fills() -> None:
    trade = real_json("clob_user", "py_user_trade_rest_shape.json")
    maker = real_json("clob_user", "py_user_trade4.json")
    body = json.dumps({"data": [trade, maker], "next_cursor": "LTE="})
    events, cursor = rest.decode_trades(body, ME)
    assert cursor == "LTE="
    assert [type(e) for e in events] == [Fill, Fill, Fill]
    assert [e.role for e in events if isinstance(e, Fill)] == ["taker", "maker", "maker"]


def test_positions() -> None:
    body = json.dumps([{"proxyWallet": "0xp", "asset": "A", "conditionId": "0xm", "size": 12.5,
                        "avgPrice": 0.42, "initialValue": 5.25, "realizedPnl": -1.5,
                        "curPrice": 0.5, "title": "Will it?", "outcome": "Yes"},
                       {"asset": "B"}])
    good, bad = rest.decode_positions(body)
    assert good == Position(feed="user", venue="clob", asset_id="A", market="0xm",
                            outcome="Yes", title="Will it?", size=12_500_000,
                            avg_price=420_000, cost=5_250_000, realized_pnl=-1_500_000,
                            timestamp=0)
    assert isinstance(bad, FeedError)
    assert isinstance(rest.decode_positions("{}")[0], FeedError)
