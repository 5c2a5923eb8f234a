"""The embedded exchange's Polymarket US side: heartbeats, the requests it takes and refuses,
and a demo account whose money adds up."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable

import pytest

from pmdash.feeds import us_private
from pmdash.models import Balance, Event, Fill, OrderEvent, Position
from pmdash.net.connection import Connection
from pmdash.net.us import MARKETS_PATH, PRIVATE_PATH, us_markets_policy
from pmdash.net.us_auth import UsKey
from pmdash.net.wsclient import WsClient, connect
from pmdash.sim.exchange import Exchange
from pmdash.sim.runner import serve_exchange, sim_main
from pmdash.sim.server import SimServer
from pmdash.sim.us import UsVenue, demo_us_key, install_us
from pmdash.sim.us_account import MAX_RESTING, SCALE, Quote, UsAccount
from pmdash.sim.us_keys import UsKeySpecError

KEY = UsKey("k", base64.b64encode(bytes(range(50, 82))).decode())


@pytest.fixture
async def venue() -> AsyncIterator[tuple[SimServer, UsVenue]]:
    exchange = Exchange(seed=3, rate=0, markets=3)
    exchange.pause()
    server = SimServer(exchange)
    us = install_us(server, [f"k:{KEY.public_key_b64}"], heartbeat_s=0.1, account_s=None)
    await server.start()
    try:
        yield server, us
    finally:
        await server.stop()


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def open_socket(server: SimServer, feed: str, path: str) -> tuple[WsClient, list[str]]:
    ws = await connect(server.urls()[feed], headers=KEY.headers("GET", path))
    got: list[str] = []
    ws.start(lambda m: got.append(m if isinstance(m, str) else m.decode()))
    return ws, got


def slugs(us: UsVenue) -> list[str]:
    return ["us-" + m.slug for m in us.us_markets()]


async def test_heartbeats_flow_and_are_not_counted_as_data(
    venue: tuple[SimServer, UsVenue],
) -> None:
    server, us = venue
    ws, got = await open_socket(server, "us-private", PRIVATE_PATH)
    await until(lambda: got.count('{"heartbeat":{}}') >= 3)
    await ws.close()

    events: list[Event] = []
    conn = Connection(us_markets_policy(server.urls()["us-markets"], KEY, slugs(us)[:1]),
                      lambda evs, arrival: events.extend(evs))
    task = asyncio.ensure_future(conn.run())
    try:
        await until(lambda: conn.status().frames == 1)  # the first marketData
        await asyncio.sleep(0.45)  # four heartbeats or so
        status = conn.status()
        assert status.state == "live" and status.frames == 1
    finally:
        conn.stop()
        await asyncio.wait_for(task, 5.0)


async def test_requests_taken_and_refused(venue: tuple[SimServer, UsVenue]) -> None:
    server, us = venue
    ws, got = await open_socket(server, "us-markets", MARKETS_PATH)
    try:
        one = slugs(us)[0]
        # The older doc generation's snake_case keys and integer enums are taken too.
        ws.send(json.dumps({"subscribe": {"request_id": "old", "subscription_type": 2,
                                          "market_slugs": [one]}}))
        ws.send(json.dumps({"subscribe": {"requestId": "big",
                                          "subscriptionType": "SUBSCRIPTION_TYPE_MARKET_DATA",
                                          "marketSlugs": [f"s{i}" for i in range(101)]}}))
        ws.send(json.dumps({"unsubscribe": {"requestId": "never"}}))
        ws.send(json.dumps({"subscribe": {"requestId": "t",
                                          "subscriptionType": "SUBSCRIPTION_TYPE_NOPE",
                                          "marketSlugs": [one]}}))
        ws.send("garbage")
        await until(lambda: len([f for f in got if "heartbeat" not in f]) >= 5)
        frames = [json.loads(f) for f in got if "heartbeat" not in f]
        assert frames[0]["requestId"] == "old"
        assert frames[0]["marketDataLite"]["marketSlug"] == one
        errors = [f.get("error", "") for f in frames[1:]]
        assert "at most 100" in errors[0]
        assert "unknown requestId" in errors[1]
        assert "invalid subscriptionType" in errors[2]
        assert "not JSON" in errors[3]
        assert us.subscriptions("us-markets") == [
            {"old": "SUBSCRIPTION_TYPE_MARKET_DATA_LITE"}]
        ws.send(json.dumps({"unsubscribe": {"requestId": "old"}}))
        await until(lambda: us.subscriptions("us-markets") == [{}])
    finally:
        await ws.close()


async def test_private_frames_follow_the_account(venue: tuple[SimServer, UsVenue]) -> None:
    server, us = venue
    ws, got = await open_socket(server, "us-private", PRIVATE_PATH)
    try:
        for rid, kind in (("o", us_private.ORDER), ("p", us_private.POSITION),
                          ("b", us_private.ACCOUNT_BALANCE)):
            ws.send(us_private.subscribe(rid, kind))
        await until(lambda: len(us.subscriptions("us-private")[0]) == 3)
        for _ in range(21):
            us.account_step()
        ws.send(us_private.subscribe("s", us_private.ORDER_SNAPSHOT))
        await until(lambda: any('"eof":true' in f for f in got))
        events = [e for f in got for e in us_private.decode(f)]
        snapshot = [e.order_id for e in events if isinstance(e, OrderEvent)
                    and e.kind == "SNAPSHOT"]
        assert snapshot == [o.id for o in us.account.open_orders()]
        assert len([f for f in got if "orderSubscriptionSnapshot" in f]) >= 2  # multi-frame
        last_balance = [e for e in events if isinstance(e, Balance)][-1]
        assert last_balance.cash == us.account.cash
        assert last_balance.open_orders == us.account.held()
        positions = {e.asset_id: e.size for e in events if isinstance(e, Position)}
        assert positions == {s: p.shares for s, p in us.account.positions.items()}
        fills = [e for e in events if isinstance(e, Fill)]
        assert fills and all(f.venue == "us" for f in fills)
    finally:
        await ws.close()


def test_demo_account_money_adds_up_and_prices_come_from_the_book() -> None:
    account = UsAccount()
    kinds: set[str] = set()
    for step in range(70):
        bid = 400_000 + (step % 5) * 10_000
        quote = Quote(f"us-m{step // 7 % 3}", "M", bid, bid + 20_000)
        for update in account.step(quote, 1_790_000_000_000 + step):
            if update.kind == "order":
                execution = update.payload["execution"]
                kinds.add(execution["type"])
                if execution["type"] == "EXECUTION_TYPE_NEW":
                    price = int(float(execution["order"]["price"]["value"]) * SCALE + 0.5)
                    assert price in (bid, bid + 20_000, bid - 50_000)
        held = account.held()
        assert account.cash >= 0 and 0 <= held <= account.cash
        spent = sum(p.cost for p in account.positions.values())
        realized = sum(p.realized for p in account.positions.values())
        assert account.cash + spent == 1_000 * SCALE + realized
        assert len(account.open_orders()) <= MAX_RESTING + 1  # + the one being filled
        assert all(p.shares >= 0 for p in account.positions.values())
    assert kinds == {f"EXECUTION_TYPE_{k}" for k in
                     ("NEW", "PARTIAL_FILL", "FILL", "CANCELED", "REJECTED")}


def test_install_refuses_a_malformed_key_without_echoing_it() -> None:
    server = SimServer(Exchange(seed=1, rate=0, markets=1))
    with pytest.raises(UsKeySpecError) as caught:
        install_us(server, ["k:c2VjcmV0LXNoYXBlZC12YWx1ZQ=="])
    assert "c2VjcmV0" not in str(caught.value)


def test_sim_main_refuses_a_malformed_us_key_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert sim_main(us_keys=["demo:bm90LWEta2V5LXZhbHVl"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pmdash sim: --us-key") and "bm90LWEta2V5" not in err


async def test_the_demo_key_pair_is_accepted() -> None:
    key, spec = demo_us_key()
    async with serve_exchange(us_keys=[spec], rate=0, us_account_s=None) as serving:
        ws = await connect(serving.urls()["us-private"], headers=key.headers("GET", PRIVATE_PATH))
        await ws.close()
    assert key.public_key_b64 in spec and repr(key).count("hidden") == 1
