"""REST of the embedded exchange (CLOB /book, Gamma /markets, /public-search) over real HTTP
on 127.0.0.1, served from a background-thread exchange."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from pmdash.feeds.clob_rest import book_hash
from pmdash.sim.runner import RunningExchange, start_exchange
from pmdash.units import parse_price, parse_size


@pytest.fixture(scope="module")
def running() -> Iterator[RunningExchange]:
    with start_exchange(seed=17, markets=6, paused=True, lifecycle_s=0) as r:
        r.exchange.step(300)
        yield r


def get(running: RunningExchange, path: str) -> tuple[int, str, Any]:
    try:
        with urllib.request.urlopen(running.base_url + path, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], json.loads(err.read())


def test_book_body_hash_and_order(running: RunningExchange) -> None:
    market = running.exchange.markets()[0]
    for token in market.token_ids:
        status, ctype, body = get(running, f"/book?token_id={token}")
        assert (status, ctype) == (200, "application/json")
        assert body["hash"] == book_hash(body)
        assert body["asset_id"] == token and body["market"] == market.condition_id
        assert body["timestamp"].isdigit() and body["tick_size"] in ("0.01", "0.001")
        assert body["min_order_size"] == "5" and body["neg_risk"] is False
        bids = [(parse_price(x["price"]), parse_size(x["size"])) for x in body["bids"]]
        asks = [(parse_price(x["price"]), parse_size(x["size"])) for x in body["asks"]]
        assert (bids[::-1], asks[::-1]) == running.exchange.book(token)


def test_book_404_for_unknown_and_closed_tokens(running: RunningExchange) -> None:
    expected = {"error": "No orderbook exists for the requested token id"}
    assert get(running, "/book?token_id=123") == (404, "application/json", expected)
    assert get(running, "/book")[0] == 404
    with start_exchange(seed=1, markets=3, paused=True, lifecycle_s=0) as other:
        market = other.exchange.markets()[1]
        other.exchange.resolve(market.condition_id)
        assert get(other, f"/book?token_id={market.token_ids[0]}")[2] == expected


def test_gamma_markets_decode_and_align(running: RunningExchange) -> None:
    status, ctype, markets = get(running, "/markets")
    assert (status, ctype) == (200, "application/json")
    truth = {m.condition_id: m for m in running.exchange.markets()}
    assert len(markets) == len(truth)
    for m in markets:
        info = truth[m["conditionId"]]
        assert re.fullmatch(r"0x[0-9a-f]{64}", m["conditionId"])
        for key in ("clobTokenIds", "outcomes", "outcomePrices"):
            assert isinstance(m[key], str)
        tokens, outcomes = json.loads(m["clobTokenIds"]), json.loads(m["outcomes"])
        prices = json.loads(m["outcomePrices"])
        assert tuple(tokens) == info.token_ids and tuple(outcomes) == info.outcomes
        assert len(prices) == 2 and sum(parse_price(p) for p in prices) == 1_000_000
        assert (m["question"], m["slug"], m["id"]) == (info.question, info.slug, info.gamma_id)
        assert m["orderPriceMinTickSize"] in (0.01, 0.001)
        assert m["active"] is True and m["closed"] is False and m["enableOrderBook"] is True
        bids, asks = running.exchange.book(tokens[0])
        assert m["bestBid"] == bids[0][0] / 1e6 and m["bestAsk"] == asks[0][0] / 1e6


def test_gamma_market_filters(running: RunningExchange) -> None:
    markets = running.exchange.markets()
    slug = markets[2].slug
    status, _, one = get(running, f"/markets/slug/{slug}")
    assert status == 200 and one["slug"] == slug
    assert get(running, "/markets/slug/no-such-market")[0] == 404
    assert [m["slug"] for m in get(running, f"/markets?slug={slug}")[2]] == [slug]
    assert len(get(running, "/markets?limit=2")[2]) == 2
    assert len(get(running, "/markets?active=true&closed=false")[2]) == len(markets)
    assert get(running, "/markets?closed=true")[2] == []
    token = markets[3].token_ids[1]
    assert [m["conditionId"] for m in get(running, f"/markets?clob_token_ids={token}")[2]] \
        == [markets[3].condition_id]
    assert get(running, "/markets?limit=x")[0] == 400


def test_public_search_shape(running: RunningExchange) -> None:
    market = running.exchange.markets()[1]
    word = max(re.findall(r"[A-Za-z]{4,}", market.question), key=len)
    status, _, body = get(running, f"/public-search?q={word}")
    assert status == 200
    assert set(body) == {"events", "tags", "profiles", "pagination"}
    assert body["tags"] == [] and body["profiles"] == []
    assert set(body["pagination"]) == {"hasMore", "totalResults"}
    found = [m for e in body["events"] for m in e["markets"]]
    assert market.condition_id in {m["conditionId"] for m in found}
    for event in body["events"]:
        assert {"id", "slug", "title", "markets"} <= set(event)
    assert get(running, "/public-search?q=zzzqqqxxx")[2]["events"] == []
    assert get(running, "/public-search")[0] == 400


def test_health_unknown_path_and_truth(running: RunningExchange) -> None:
    status, _, health = get(running, "/health")
    assert status == 200 and health["status"] == "ok"
    assert health["feeds"] == {"market": "/ws/market", "polybolt": "/live/ws", "rtds": "/rtds",
                               "user": "/ws/user", "sports": "/sports",
                               "us-markets": "/v1/ws/markets", "us-private": "/v1/ws/private"}
    assert get(running, "/nope") == (404, "application/json", {"error": "not found"})
    token = running.exchange.markets()[0].token_ids[0]
    _, _, truth = get(running, f"/sim/truth?asset_id={token}")
    bids, _ = running.exchange.book(token)
    assert [(parse_price(p), parse_size(s)) for p, s in truth["bids"]] == bids


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("/sim/step?n=100000000", "n"),
        ("/sim/step?n=abc", "n"),
        ("/sim/step?n=-1", "n"),
        ("/sim/fault/drop?session=abc", "session"),
        ("/sim/fault/stall?seconds=inf", "seconds"),
        ("/sim/fault/stall?seconds=nan", "seconds"),
        ("/sim/fault/heartbeats?seconds=x", "seconds"),
        ("/sim/fault/duplicate?count=x", "count"),
        ("/sim/fault/reorder?count=99999999", "count"),
    ],
)
def test_control_refuses_bad_numbers_with_400(
    running: RunningExchange, query: str, named: str
) -> None:
    """Not a 500 (a handler crash), and never a step count that blocks the exchange's loop."""
    before = running.exchange.messages
    status, ctype, body = get(running, query)
    assert (status, ctype) == (400, "application/json")
    assert body["error"].startswith(named + " ")
    assert running.exchange.messages == before


def test_control_step_within_its_cap(running: RunningExchange) -> None:
    before = running.exchange.messages
    status, _, body = get(running, "/sim/step?n=3")
    assert status == 200 and body["messages"] > 0
    assert running.exchange.messages == before + body["messages"]
    assert get(running, "/sim/step?n=10001")[0] == 400
