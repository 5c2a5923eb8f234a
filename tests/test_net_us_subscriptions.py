"""US subscriptions by requestId: split by 100, the same requestIds replayed on every new
socket, unsubscribe by requestId, resync re-sends the same request."""

from __future__ import annotations

import json
from typing import Any

from pmdash.feeds import us_markets, us_private
from pmdash.net.us import private_requests
from pmdash.net.us_subscriptions import FixedSubscriptions, SlugSubscriptions, UsRequest


def bodies(frames: list[str]) -> list[Any]:
    return [json.loads(f) for f in frames]


def test_slugs_split_by_100_per_type_and_replayed_with_their_ids() -> None:
    slugs = [f"s{i}" for i in range(150)]
    subs = SlugSubscriptions(slugs, (us_markets.MARKET_DATA, us_markets.TRADE))
    assert subs.wanted() == tuple(slugs)
    assert subs.add(["s151"]) == []  # closed: nothing sent now
    first = bodies(subs.open())
    assert [(b["subscribe"]["requestId"], b["subscribe"]["subscriptionType"],
             len(b["subscribe"]["marketSlugs"])) for b in first] == [
        ("md-1", us_markets.MARKET_DATA, 100), ("md-2", us_markets.MARKET_DATA, 50),
        ("md-3", us_markets.TRADE, 100), ("md-4", us_markets.TRADE, 50),
        ("md-5", us_markets.MARKET_DATA, 1), ("md-6", us_markets.TRADE, 1),
    ]
    subs.close()
    assert bodies(subs.open()) == first  # a reconnect: the very same requests


def test_add_remove_and_resync_on_an_open_socket() -> None:
    subs = SlugSubscriptions(["a", "b"], (us_markets.MARKET_DATA,))
    subs.open()
    assert bodies(subs.add(["b", "c"])) == [{"subscribe": {
        "requestId": "md-2", "subscriptionType": us_markets.MARKET_DATA, "marketSlugs": ["c"]}}]
    assert bodies(subs.remove(["a"])) == [
        {"unsubscribe": {"requestId": "md-1"}},
        {"subscribe": {"requestId": "md-3", "subscriptionType": us_markets.MARKET_DATA,
                       "marketSlugs": ["b"]}},
    ]
    assert subs.active_ids() == ("md-2", "md-3")
    assert bodies(subs.resync(["c"])) == [
        {"unsubscribe": {"requestId": "md-2"}},
        {"subscribe": {"requestId": "md-2", "subscriptionType": us_markets.MARKET_DATA,
                       "marketSlugs": ["c"]}},
    ]
    assert subs.remove(["zzz"]) == []
    subs.close()
    assert subs.resync(["c"]) == [] and subs.active_ids() == ()
    assert subs.wanted() == ("b", "c")


def test_private_requests_are_fixed_and_replayed() -> None:
    subs = FixedSubscriptions(private_requests())
    frames = bodies(subs.open())
    assert [b["subscribe"]["subscriptionType"] for b in frames] == [
        us_private.ORDER, us_private.ORDER_SNAPSHOT, us_private.POSITION,
        us_private.ACCOUNT_BALANCE]
    assert all("marketSlugs" not in b["subscribe"] for b in frames)
    assert subs.add(["x"]) == []
    assert bodies(subs.remove(["orders"])) == [{"unsubscribe": {"requestId": "orders"}}]
    subs.close()
    assert len(subs.open()) == 3


def test_a_request_frame_is_camel_case() -> None:
    request = UsRequest("p", us_private.POSITION, ("m1",))
    assert json.loads(request.frame()) == {"subscribe": {
        "requestId": "p", "subscriptionType": "SUBSCRIPTION_TYPE_POSITION", "marketSlugs": ["m1"]}}
