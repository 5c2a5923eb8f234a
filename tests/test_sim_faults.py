"""Fault injection of the embedded exchange, seen by a raw ``websockets`` client on
127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

from pmdash.sim.faults import GARBAGE_TEXT
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.units import parse_price, parse_size


@pytest.fixture
async def running() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(seed=5, markets=4, paused=True, lifecycle_s=0) as r:
        yield r


async def open_market(running: ServingExchange, assets: list[str]) -> tuple[ClientConnection,
                                                                              Any]:
    ws = await connect(running.urls()["market"])
    await ws.send(json.dumps({"type": "market", "assets_ids": assets}))
    return ws, json.loads(await asyncio.wait_for(ws.recv(), 5))


async def sync(ws: ClientConnection) -> list[str]:
    await ws.send("PING")
    frames: list[str] = []
    async with asyncio.timeout(10):
        while (frame := await ws.recv()) != "PONG":
            frames.append(frame)
    return frames


async def test_drop_aborts_tcp_mid_stream(running: ServingExchange) -> None:
    ws, _ = await open_market(running, running.exchange.asset_ids())
    other = await connect(running.base_url.replace("http", "ws") + "/ws/market")
    await other.send(json.dumps({"type": "market", "assets_ids": []}))
    await asyncio.sleep(0.05)
    assert running.faults.drop() == 2
    with pytest.raises(ConnectionClosedError) as caught:
        async with asyncio.timeout(5):
            while True:
                await ws.recv()
    assert caught.value.rcvd is None  # no close frame: the TCP side just went away
    assert ws.close_code == 1006
    # The server keeps serving new connections.
    again, first = await open_market(running, running.exchange.asset_ids()[:1])
    async with again:
        assert len(first) == 1


async def test_stall_sends_nothing_and_answers_no_ping(running: ServingExchange) -> None:
    ws, _ = await open_market(running, running.exchange.asset_ids())
    async with ws:
        assert running.faults.stall(0.6) == 1
        running.exchange.step(50)
        await ws.send("PING")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.4)
        await asyncio.sleep(0.3)
        frames = await sync(ws)  # after the stall: the queued data, then ONE pong
        assert len(frames) > 50
        assert "PONG" not in frames
        assert await sync(ws) == []


async def test_stopped_heartbeats_keep_data_flowing(running: ServingExchange) -> None:
    ws, _ = await open_market(running, running.exchange.asset_ids())
    async with ws:
        assert running.faults.stop_heartbeats() == 1
        await ws.send("PING")
        running.exchange.step(20)
        frames = []
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.4):
                while True:
                    frames.append(await ws.recv())
        assert len(frames) > 20 and "PONG" not in frames
        running.faults.resume_heartbeats()
        assert await sync(ws) == []


async def test_stop_heartbeats_for_seconds_then_answers(running: ServingExchange) -> None:
    ws, _ = await open_market(running, running.exchange.asset_ids())
    async with ws:
        running.faults.stop_heartbeats(seconds=0.3)
        await ws.send("PING")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.2)
        await asyncio.sleep(0.2)
        assert await sync(ws) == []


async def test_garbage_frames_then_the_stream_goes_on(running: ServingExchange) -> None:
    ws, _ = await open_market(running, running.exchange.asset_ids())
    async with ws:
        assert running.faults.garbage("non_json") == 1
        assert running.faults.garbage("bad_field") == 1
        frames = await sync(ws)
        assert frames[0] == GARBAGE_TEXT
        with pytest.raises(ValueError):
            json.loads(frames[0])
        bad = json.loads(frames[1])
        assert bad["event_type"] == "price_change"
        with pytest.raises(ValueError):
            parse_price(bad["price_changes"][0]["price"])
        running.exchange.step(10)
        assert len(await sync(ws)) >= 10


async def test_duplicate_next_frames(running: ServingExchange) -> None:
    ws, _ = await open_market(running, running.exchange.asset_ids())
    async with ws:
        running.faults.duplicate(2)
        running.exchange.step(5)
        frames = await sync(ws)
        assert frames[0] == frames[1] and frames[2] == frames[3]
        assert frames[1] != frames[2]
        assert len(set(frames[3:])) == len(frames[3:])


async def test_reorder_swaps_the_next_pair(running: ServingExchange) -> None:
    assets = running.exchange.asset_ids()
    ref, _ = await open_market(running, assets)
    ws, _ = await open_market(running, assets)
    async with ref, ws:
        target = running.faults.sessions()[1].id
        assert running.faults.reorder(1, session_id=target) == 1
        running.exchange.step(5)
        expected, got = await sync(ref), await sync(ws)
        assert len(expected) >= 3
        assert got == [expected[1], expected[0], *expected[2:]]


async def test_desync_lies_about_the_touch_only_to_one_client(
        running: ServingExchange) -> None:
    ex = running.exchange
    assets = ex.asset_ids()
    ws, dump = await open_market(running, assets)
    other, _ = await open_market(running, assets)
    async with ws, other:
        books = {b["asset_id"]: b for b in dump}
        truth_before = {a: ex.book(a) for a in assets}
        asset = running.faults.desync()
        assert asset in assets
        frames = await sync(ws)
        assert await sync(other) == []
        assert len(frames) == 1
        lie = json.loads(frames[0])["price_changes"][0]
        assert lie["asset_id"] == asset
        # Apply it as a naive client would: the touch no longer matches best_bid/best_ask.
        bids = {parse_price(x["price"]): parse_size(x["size"]) for x in books[asset]["bids"]}
        asks = {parse_price(x["price"]): parse_size(x["size"]) for x in books[asset]["asks"]}
        side = bids if lie["side"] == "BUY" else asks
        assert parse_size(lie["size"]) == 0
        side.pop(parse_price(lie["price"]))
        claimed = (parse_price(lie["best_bid"]), parse_price(lie["best_ask"]))
        assert (max(bids), min(asks)) != claimed
        truth_bids, truth_asks = ex.book(asset)
        assert claimed == (truth_bids[0][0], truth_asks[0][0])
        assert {a: ex.book(a) for a in assets} == truth_before  # the exchange did nothing
        # Re-requesting a snapshot (unsubscribe + subscribe) gives the truth back.
        await ws.send(json.dumps({"operation": "unsubscribe", "assets_ids": [asset]}))
        await ws.send(json.dumps({"operation": "subscribe", "assets_ids": [asset]}))
        fresh = json.loads(await asyncio.wait_for(ws.recv(), 5))[0]
        assert [(parse_price(x["price"]), parse_size(x["size"]))
                for x in reversed(fresh["bids"])] == truth_bids


async def test_faults_over_the_http_control_api(running: ServingExchange) -> None:
    import urllib.request

    ws, _ = await open_market(running, running.exchange.asset_ids())

    def get(path: str) -> dict[str, Any]:
        with urllib.request.urlopen(running.base_url + path, timeout=5) as resp:
            return json.loads(resp.read())

    loop = asyncio.get_running_loop()
    async with ws:
        reply = await loop.run_in_executor(None, get, "/sim/fault/duplicate?count=1")
        assert reply == {"ok": True, "fault": "duplicate", "result": 1}
        step = await loop.run_in_executor(None, get, "/sim/step?n=5")
        assert step["messages"] > 0
        frames = await sync(ws)
        assert frames[0] == frames[1]
        await loop.run_in_executor(None, get, "/sim/fault/drop")
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
