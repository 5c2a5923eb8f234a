"""The embedded exchange's market channel, over real WebSockets on 127.0.0.1, with a raw
``websockets`` client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pmdash.feeds.clob_rest import book_hash
from pmdash.models import Level
from pmdash.sim.exchange import Exchange
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.units import parse_price, parse_size

TS = 1_790_000_000_000


def fixed_clock() -> int:
    return TS


@pytest.fixture
async def running() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(seed=42, markets=6, paused=True, lifecycle_s=0) as r:
        yield r


class NaiveBooks:
    """Applies frames the simplest correct way (PROTOCOLS §1.5) and records mismatches of
    its touch against each price_change's best_bid/best_ask."""

    def __init__(self) -> None:
        self.bids: dict[str, dict[int, int]] = {}
        self.asks: dict[str, dict[int, int]] = {}
        self.ticks: dict[str, int] = {}
        self.events: list[dict[str, Any]] = []
        self.mismatches: list[tuple[str, Any, Any]] = []

    def apply(self, frame: str) -> None:
        data = json.loads(frame)
        for ev in data if isinstance(data, list) else [data]:
            self.events.append(ev)
            kind = ev.get("event_type")
            if kind == "book":
                asset = ev["asset_id"]
                self.bids[asset] = {parse_price(x["price"]): parse_size(x["size"])
                                    for x in ev["bids"]}
                self.asks[asset] = {parse_price(x["price"]): parse_size(x["size"])
                                    for x in ev["asks"]}
                self.ticks[asset] = parse_price(ev["tick_size"])
            elif kind == "price_change":
                touched = set()
                for ch in ev["price_changes"]:
                    asset = ch["asset_id"]
                    if asset not in self.bids:
                        continue
                    side = self.bids if ch["side"] == "BUY" else self.asks
                    price, size = parse_price(ch["price"]), parse_size(ch["size"])
                    if size == 0:
                        side[asset].pop(price, None)
                    else:
                        side[asset][price] = size
                    touched.add((asset, ch["best_bid"], ch["best_ask"]))
                for asset, best_bid, best_ask in touched:
                    mine = self.touch(asset)
                    if mine != (parse_price(best_bid), parse_price(best_ask)):
                        self.mismatches.append((asset, mine, (best_bid, best_ask)))
            elif kind == "tick_size_change" and ev["asset_id"] in self.ticks:
                self.ticks[ev["asset_id"]] = parse_price(ev["new_tick_size"])

    def touch(self, asset: str) -> tuple[int | None, int | None]:
        bids, asks = self.bids[asset], self.asks[asset]
        return (max(bids) if bids else None, min(asks) if asks else None)

    def book(self, asset: str) -> tuple[list[Level], list[Level]]:
        return (sorted(self.bids[asset].items(), reverse=True),
                sorted(self.asks[asset].items()))


async def open_market(running: ServingExchange, assets: list[str],
                      **extra: Any) -> tuple[ClientConnection, Any]:
    ws = await connect(running.urls()["market"], max_size=2**24)
    await ws.send(json.dumps({"type": "market", "assets_ids": assets, **extra}))
    first = json.loads(await asyncio.wait_for(ws.recv(), 5)) if assets else None
    return ws, first


async def sync(ws: ClientConnection, books: NaiveBooks | None = None) -> list[str]:
    """Frames up to the PONG answering a fresh PING (the PONG is queued behind them)."""
    await ws.send("PING")
    frames: list[str] = []
    async with asyncio.timeout(10):
        while (frame := await ws.recv()) != "PONG":
            frames.append(frame)
            if books is not None:
                books.apply(frame)
    return frames


def all_assets(ex: Exchange) -> list[str]:
    return ex.asset_ids()


async def test_initial_dump_is_one_array_with_a_verified_book_per_asset(
        running: ServingExchange) -> None:
    ex = running.exchange
    markets = ex.markets()
    assets = [markets[0].token_ids[0], markets[0].token_ids[1], markets[1].token_ids[1]]
    ws, first = await open_market(running, assets)
    async with ws:
        assert isinstance(first, list) and [b["asset_id"] for b in first] == assets
        for book in first:
            assert book["event_type"] == "book"
            assert book["hash"] == book_hash(book) and len(book["hash"]) == 40
            assert book["market"] == ex.market_of(book["asset_id"]).condition_id
            assert book["tick_size"] == "0.01" and book["last_trade_price"] == ""
            assert book["timestamp"].isdigit() and len(book["timestamp"]) == 13
            assert all(isinstance(x["price"], str) and isinstance(x["size"], str)
                       for x in book["bids"] + book["asks"])
            bids = [(parse_price(x["price"]), parse_size(x["size"])) for x in book["bids"]]
            asks = [(parse_price(x["price"]), parse_size(x["size"])) for x in book["asks"]]
            # Wire order: bids ascending, asks descending (best last), as the real server.
            assert (bids[::-1], asks[::-1]) == ex.book(book["asset_id"])


async def test_unknown_tokens_get_a_bare_empty_array(running: ServingExchange) -> None:
    ws = await connect(running.urls()["market"])
    async with ws:
        await ws.send(json.dumps({"type": "MARKET", "assets_ids": ["12345", "678"]}))
        assert await asyncio.wait_for(ws.recv(), 5) == "[]"
        assert await sync(ws) == []


async def test_ping_before_subscription_closes_1008(running: ServingExchange) -> None:
    ws = await connect(running.urls()["market"])
    await ws.send("PING")
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1008
    assert ws.close_reason == "invalid subscription payload"


async def test_bad_first_message_closes_1008(running: ServingExchange) -> None:
    ws = await connect(running.urls()["market"])
    await ws.send(json.dumps({"type": "user", "assets_ids": []}))
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1008


async def test_ping_is_answered_with_text_pong(running: ServingExchange) -> None:
    ws, _ = await open_market(running, all_assets(running.exchange)[:2])
    async with ws:
        await ws.send("PING")
        assert await asyncio.wait_for(ws.recv(), 5) == "PONG"


async def test_naive_client_equals_ground_truth_after_pause(
        running: ServingExchange) -> None:
    ex = running.exchange
    assets = all_assets(ex)
    books = NaiveBooks()
    ws, first = await open_market(running, assets)
    async with ws:
        books.apply(json.dumps(first))
        ex.rate = 3000.0
        ex.resume()
        await asyncio.sleep(0.6)
        ex.pause()
        await sync(ws, books)
        assert ex.messages > 500
        for asset in assets:
            assert books.book(asset) == ex.book(asset), asset
            assert books.ticks[asset] == ex.tick_size(asset)
        assert books.mismatches == []
        kinds = {e["event_type"] for e in books.events}
        assert {"book", "price_change", "last_trade_price"} <= kinds


async def test_wire_best_prices_match_truth_at_each_step(running: ServingExchange) -> None:
    ex = running.exchange
    assets = all_assets(ex)
    books = NaiveBooks()
    ws, first = await open_market(running, assets)
    async with ws:
        books.apply(json.dumps(first))
        for _ in range(150):
            ex.step(1)
            for frame in await sync(ws, books):
                data = json.loads(frame)
                if data["event_type"] == "price_change":
                    for entry in data["price_changes"]:
                        bids, asks = ex.book(entry["asset_id"])
                        assert parse_price(entry["best_bid"]) == (bids[0][0] if bids else None)
                        assert parse_price(entry["best_ask"]) == (asks[0][0] if asks else None)
        assert books.mismatches == []


async def test_connections_get_only_their_assets(running: ServingExchange) -> None:
    ex = running.exchange
    m1, m2 = ex.markets()[1], ex.markets()[2]
    ws_a, _ = await open_market(running, [m1.token_ids[0]])
    ws_b, _ = await open_market(running, [m2.token_ids[1]])
    async with ws_a, ws_b:
        ex.step(400)
        frames_a = [json.loads(f) for f in await sync(ws_a)]
        frames_b = [json.loads(f) for f in await sync(ws_b)]
        for frames, market, token in ((frames_a, m1, m1.token_ids[0]),
                                      (frames_b, m2, m2.token_ids[1])):
            assert frames
            for ev in frames:
                assert ev["market"] == market.condition_id
                if ev["event_type"] == "price_change":
                    assert {c["asset_id"] for c in ev["price_changes"]} == set(market.token_ids)
                else:
                    assert ev["asset_id"] == token
                assert ev["event_type"] != "best_bid_ask"  # custom features are off


async def test_dynamic_subscribe_unsubscribe_and_duplicate(running: ServingExchange) -> None:
    ex = running.exchange
    m1, m2 = ex.markets()[1], ex.markets()[2]
    x, y = m1.token_ids[0], m2.token_ids[0]
    ws, first = await open_market(running, [x])
    async with ws:
        assert [b["asset_id"] for b in first] == [x]
        await ws.send(json.dumps({"operation": "subscribe", "assets_ids": [y]}))
        dump = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert isinstance(dump, list) and [b["asset_id"] for b in dump] == [y]
        # A subscribe naming an active asset is rejected: an error frame, no dump.
        await ws.send(json.dumps({"operation": "subscribe", "assets_ids": [y]}))
        error = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert error["event_type"] == "error" and error["assets_ids"] == [y]
        assert "duplicate" in error["error"]
        await ws.send(json.dumps({"operation": "unsubscribe", "assets_ids": [x]}))
        await sync(ws)
        ex.step(400)
        markets = {json.loads(f)["market"] for f in await sync(ws)}
        assert markets == {m2.condition_id}


async def test_custom_features_best_bid_ask_new_market_resolved(
        running: ServingExchange) -> None:
    ex = running.exchange
    market = ex.markets()[1]
    custom, _ = await open_market(running, list(market.token_ids), custom_feature_enabled=True)
    plain, _ = await open_market(running, list(market.token_ids))
    async with custom, plain:
        ex.step(200)
        got = [json.loads(f) for f in await sync(custom)]
        bbas = [e for e in got if e["event_type"] == "best_bid_ask"]
        assert bbas
        last = {e["asset_id"]: e for e in bbas}
        for asset, e in last.items():
            bids, asks = ex.book(asset)
            assert (parse_price(e["best_bid"]), parse_price(e["best_ask"])) == \
                (bids[0][0], asks[0][0])
            assert parse_price(e["spread"]) == asks[0][0] - bids[0][0]
        assert all(json.loads(f)["event_type"] != "best_bid_ask" for f in await sync(plain))

        info = ex.add_market()
        announced = json.loads(await asyncio.wait_for(custom.recv(), 5))
        assert announced["event_type"] == "new_market"
        assert announced["assets_ids"] == list(info.token_ids)
        assert announced["market"] == info.condition_id
        assert await sync(plain) == []  # new_market only to custom-feature connections
        assert set(info.token_ids) <= set(ex.asset_ids())

        ex.resolve(market.condition_id)
        resolved = json.loads(await asyncio.wait_for(custom.recv(), 5))
        assert resolved["event_type"] == "market_resolved"
        assert resolved["winning_asset_id"] in market.token_ids
        ex.step(300)
        assert await sync(custom) == []  # a resolved market stops trading
        await custom.send(json.dumps({"operation": "subscribe",
                                      "assets_ids": [info.token_ids[0]]}))
        dump = json.loads(await asyncio.wait_for(custom.recv(), 5))
        assert [b["asset_id"] for b in dump] == [info.token_ids[0]]


async def test_closed_tokens_get_empty_array(running: ServingExchange) -> None:
    ex = running.exchange
    market = ex.markets()[2]
    ex.resolve(market.condition_id)
    ws, first = await open_market(running, list(market.token_ids))
    async with ws:
        assert first == []


async def test_same_seed_same_frames_on_the_wire() -> None:
    async def frames(seed: int) -> list[str]:
        async with serve_exchange(seed=seed, paused=True, lifecycle_s=0,
                                  clock=fixed_clock) as r:
            ws, first = await open_market(r, r.exchange.asset_ids())
            async with ws:
                r.exchange.step(300)
                return [json.dumps(first), *await sync(ws)]

    a, b, c = await frames(7), await frames(7), await frames(8)
    assert len(a) > 300
    assert a == b
    assert a != c


async def test_slow_consumer_is_cut_off_without_stalling_others() -> None:
    async with serve_exchange(seed=3, paused=True, lifecycle_s=0, max_queue=1000) as r:
        ex = r.exchange
        fast, _ = await open_market(r, ex.asset_ids())
        slow, _ = await open_market(r, ex.asset_ids())
        async with fast, slow:
            await sync(slow)
            slow_session = r.faults.sessions()[1]
            # A client that stops reading: its socket buffers fill, then its queue.
            slow.transport.pause_reading()
            for _ in range(300):
                ex.step(300)  # ~450 frames: under the queue bound while a client keeps up
                assert len(await sync(fast)) > 0  # the fast client is never held up
                if slow_session.closing:
                    break
            assert slow_session.closing
            slow.transport.resume_reading()
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(10):
                    while True:
                        await slow.recv()
            assert slow.close_code == 1013
