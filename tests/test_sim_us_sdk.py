"""Polymarket's own ``polymarket-us`` SDK reads the embedded exchange (on 127.0.0.1 only):
with a registered key it gets ``marketData``, ``trade`` and private frames, and REST answers;
with an unregistered key the upgrade is refused."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from polymarket_us import PolymarketUS
from websockets.exceptions import InvalidStatus

from pmdash.net.us_auth import UsKey
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.units import to_decimal_str

SECRET = base64.b64encode(bytes(range(7, 39))).decode()
KEY = UsKey("sdk-key", SECRET)


@pytest.fixture
async def sim() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(us_keys=[f"sdk-key:{KEY.public_key_b64}"], rate=0,
                              us_account_s=None, paused=True) as serving:
        yield serving


def client(serving: ServingExchange, key_id: str = "sdk-key") -> PolymarketUS:
    base = serving.base_url
    assert base.startswith("http://127.0.0.1:")
    return PolymarketUS(key_id=key_id, secret_key=SECRET, gateway_base_url=base,
                        api_base_url=base, max_retries=0)


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_sdk_markets_socket_gets_market_data_and_trades(sim: ServingExchange) -> None:
    slugs = ["us-" + m.slug for m in sim.exchange.sim_markets()]
    ws = client(sim).ws.markets()
    books: list[dict[str, Any]] = []
    trades: list[dict[str, Any]] = []
    errors: list[Any] = []
    ws.on("market_data", books.append)
    ws.on("trade", trades.append)
    ws.on("error", errors.append)
    await ws.connect()
    try:
        await ws.subscribe_market_data("md-1", slugs)
        await ws.subscribe_trades("tr-1", slugs)
        await until(lambda: len(books) == len(slugs))
        assert {b["marketData"]["marketSlug"] for b in books} == set(slugs)
        first = books[0]["marketData"]
        bids, offers = sim.us.book(first["marketSlug"])
        assert [(b["px"]["value"], b["qty"]) for b in first["bids"]] == [
            (to_decimal_str(p), to_decimal_str(s)) for p, s in bids]
        assert len(first["offers"]) == len(offers)
        for _ in range(400):  # bounded: the flow trades within a few hundred steps
            sim.exchange.step(5)
            await asyncio.sleep(0)
            if trades:
                break
        await until(lambda: bool(trades))
        trade = trades[0]
        assert trade["requestId"] == "tr-1"
        assert trade["trade"]["marketSlug"] in slugs
        assert trade["trade"]["taker"]["side"] in ("ORDER_SIDE_BUY", "ORDER_SIDE_SELL")
        await ws.subscribe_market_data("md-bad", ["no-such-market"])
        await until(lambda: bool(errors))
        assert "market not found" in str(errors[0])
    finally:
        await ws.close()


async def test_sdk_private_socket_gets_every_frame_kind(sim: ServingExchange) -> None:
    ws = client(sim).ws.private()
    seen: dict[str, list[dict[str, Any]]] = {}
    for name in ("order_snapshot", "order_update", "position_update",
                 "account_balance_snapshot", "account_balance_update", "error"):
        ws.on(name, lambda msg=None, n=name: seen.setdefault(n, []).append(msg))
    await ws.connect()
    try:
        await ws.subscribe_orders("orders")
        await ws.subscribe_positions("positions")
        await ws.subscribe_account_balance("balances")
        await until(lambda: "account_balance_snapshot" in seen)
        for _ in range(7):
            sim.us.account_step()
        await ws.subscribe("snap", "SUBSCRIPTION_TYPE_ORDER_SNAPSHOT")
        await until(lambda: {"order_snapshot", "order_update", "position_update",
                             "account_balance_update"} <= set(seen))
        kinds = {m["orderSubscriptionUpdate"]["execution"]["type"] for m in seen["order_update"]}
        assert kinds >= {"EXECUTION_TYPE_NEW", "EXECUTION_TYPE_PARTIAL_FILL",
                         "EXECUTION_TYPE_FILL", "EXECUTION_TYPE_CANCELED",
                         "EXECUTION_TYPE_REJECTED"}
        snapshot = seen["order_snapshot"]
        assert snapshot[-1]["orderSubscriptionSnapshot"]["eof"] is True
        listed = [o["id"] for m in snapshot for o in m["orderSubscriptionSnapshot"]["orders"]]
        assert listed == [o.id for o in sim.us.account.open_orders()]
        assert "error" not in seen
    finally:
        await ws.close()


async def test_sdk_rest_reads(sim: ServingExchange) -> None:
    for _ in range(3):
        sim.us.account_step()
    sdk = client(sim)
    slug = "us-" + sim.exchange.sim_markets()[0].slug
    positions = await asyncio.to_thread(sdk.portfolio.positions)
    assert set(positions["positions"]) == set(sim.us.account.positions)
    market = await asyncio.to_thread(sdk.markets.retrieve_by_slug, slug)
    assert market["market"]["slug"] == slug
    book = await asyncio.to_thread(sdk.markets.book, slug)
    assert book["marketData"]["marketSlug"] == slug


async def test_sdk_with_an_unregistered_key_is_refused(sim: ServingExchange) -> None:
    for make in (lambda: client(sim, "stranger").ws.markets(),
                 lambda: client(sim, "stranger").ws.private()):
        ws = make()
        with pytest.raises(InvalidStatus) as caught:
            await ws.connect()
        assert caught.value.response.status_code == 401
