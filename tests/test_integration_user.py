"""The user channel end to end against the embedded exchange on loopback: the real connection
loop and policy, the codec, the signed REST reads and the Portfolio. A full lifecycle (also
across a reconnect with fills made while the socket was down) ends with the Portfolio equal to
the exchange's account; refused credentials stop at one attempt; a tampered signature is
refused; the secret and passphrase appear in nothing pmdash writes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from waiting import until

from pmdash.credentials import ClobCredentials
from pmdash.live.user import UserController
from pmdash.models import Event
from pmdash.net.account_rest import AccountRest
from pmdash.net.clob_auth import l2_headers
from pmdash.net.connection import Connection
from pmdash.net.http import HttpError, build_url, get_bytes
from pmdash.net.market import market_policy
from pmdash.net.policy import ClientPing
from pmdash.sim.account import SimAccount, demo_addresses
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.sim.user_channel import UserChannel
from pmdash.state.account import AccountState
from pmdash.state.store import Store

pytestmark = pytest.mark.timeout(60)

SECRET = "c2VjcmV0LW9mLXRoZS11c2VyLWNoYW5uZWwtdGVzdA=="
PASSPHRASE = "passphrase-that-must-never-be-written-7f3a"
CREDS = ClobCredentials("11111111-2222-3333-4444-555555555555", SECRET, PASSPHRASE)
FAST: dict[str, Any] = dict(
    heartbeat=ClientPing(interval=0.3, timeout=2.0),
    backoff_base=0.05, backoff_cap=0.3,
)


@pytest.fixture
async def running() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(paused=True, markets=4, clob_keys=[CREDS]) as serving:
        yield serving


def channel_of(running: ServingExchange) -> UserChannel:
    feed = running.server.feed("/ws/user")
    assert isinstance(feed, UserChannel)
    return feed


def rest_for(running: ServingExchange, creds: ClobCredentials = CREDS) -> AccountRest:
    signer, profile = demo_addresses(creds.api_key)
    return AccountRest(creds, address=signer, profile=profile, clob_base=running.base_url,
                       data_base=running.base_url, backoff_base=0.05, backoff_cap=0.2)


class Recorder:
    """The controller's tap: sees every batch of events before the Store."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.batches = 0

    def __call__(self, events: list[Event]) -> list[Event]:
        self.events.extend(events)
        self.batches += 1
        return events


def controller(running: ServingExchange, creds: ClobCredentials, rest: AccountRest,
               rec: Recorder, **options: Any) -> UserController:
    """The user feed's controller on a Store of its own, with the test's quick timings."""
    return UserController(Store([AccountState()]), running.urls()["user"], creds, rest,
                          tap=rec, **{**FAST, **options})


async def quiet(rec: Recorder, seconds: float = 0.3) -> None:
    """Until nothing new arrived for ``seconds``."""
    seen, since = rec.batches, time.monotonic()
    deadline = since + 10.0
    while time.monotonic() - since < seconds:
        await asyncio.sleep(0.02)
        if rec.batches != seen:
            seen, since = rec.batches, time.monotonic()
        assert time.monotonic() < deadline


def assert_portfolio_equals_account(sync: UserController, account: SimAccount) -> None:
    p = sync.portfolio
    got_open = {o.order_id: (o.size_matched, o.original_size, o.price, o.side)
                for o in p.open_orders("clob")}
    want_open = {o.id: (o.matched, o.original, o.price, o.side)
                 for o in account.open_orders()}
    assert got_open == want_open
    got_fills = {k[1]: (r.fill.status, r.fill.size, r.fill.price, r.fill.order_id)
                 for k, r in p.fills.items()}
    want_fills = {t.id: (t.status, t.size, t.price, t.order.id)
                  for t in account.trades.values()}
    assert got_fills == want_fills
    got_pos = {k[1]: (h.size, h.cost, h.realized) for k, h in p.positions.items() if h.size}
    want_pos = {a: (h.size, h.cost, h.realized) for a, h in account.holdings.items() if h.size}
    assert got_pos == want_pos
    assert p.cash["clob"].cash == account.cash


async def test_full_lifecycle_and_a_reconnect_end_equal_to_the_exchange(
    running: ServingExchange,
) -> None:
    channel = channel_of(running)
    account = channel.desk.account(CREDS.api_key)
    rec = Recorder()
    sync = controller(running, CREDS, rest_for(running), rec)
    task = asyncio.ensure_future(sync.run())
    try:
        await until(lambda: sync.loads >= 1 and sync.status().state == "live")
        for _ in range(40):
            channel.step()
            await asyncio.sleep(0.01)
        await quiet(rec)
        statuses = {t.status for t in account.trades.values()}
        assert {"CONFIRMED", "FAILED"} <= {s for t in account.trades.values()
                                           for s in t.history}, statuses
        assert any(o.status == "CANCELED" for o in account.orders.values())
        assert any(o.matched and o.status == "LIVE" for o in account.orders.values()) or any(
            len(o.trades) > 1 for o in account.orders.values())
        # Every status step of every fill came through the socket, in order.
        for trade in account.trades.values():
            assert sync.portfolio.fills[("clob", trade.id, trade.order.id)].history == tuple(
                trade.history)
        channel.desk.settle_all()
        await quiet(rec)
        assert_portfolio_equals_account(sync, account)

        # Down: the socket is cut and the account trades on before the client is back.
        assert running.faults.drop("/ws/user") == 1
        channel.step(25)  # synchronously: no reconnect can happen meanwhile
        missed = set(account.trades)
        await until(lambda: sync.loads >= 2 and sync.connection.status().reconnects == 1)
        await sync.wait_loaded()
        for _ in range(15):
            channel.step()
            await asyncio.sleep(0.01)
        channel.desk.settle_all()
        await quiet(rec)
        assert missed <= {k[1] for k in sync.portfolio.fills}
        assert_portfolio_equals_account(sync, account)
        assert sync.rest_error == ""
    finally:
        sync.stop()
        await asyncio.wait_for(task, 5)


async def test_a_fill_moves_the_public_book_and_prints_a_trade(
    running: ServingExchange,
) -> None:
    channel = channel_of(running)
    account = channel.desk.account(CREDS.api_key)
    assets = running.exchange.asset_ids()
    seen: list[Event] = []
    conn = Connection(market_policy(running.urls()["market"], assets),
                      lambda events, _: seen.extend(events))
    task = asyncio.ensure_future(conn.run())
    try:
        await until(lambda: any(type(e).__name__ == "BookSnapshot" for e in seen))
        while not account.trades:
            channel.step()
        trade = next(iter(account.trades.values()))
        await until(lambda: any(type(e).__name__ == "Trade"
                                and getattr(e, "asset_id", "") == trade.order.asset_id
                                and getattr(e, "price", 0) == trade.price
                                and getattr(e, "size", 0) == trade.size for e in seen))
        placed = [e for e in seen if type(e).__name__ == "BookDelta"]
        assert placed, "the order's placement and fill changed the public book"
    finally:
        conn.stop()
        await asyncio.wait_for(task, 5)


async def test_wrong_credentials_fail_once_and_other_feeds_run_on(
    running: ServingExchange, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    channel = channel_of(running)
    wrong = ClobCredentials(CREDS.api_key, SECRET, "wrong-" + PASSPHRASE)
    rec = Recorder()
    sync = controller(running, wrong, rest_for(running, wrong), rec)
    market_events: list[Event] = []
    market = Connection(market_policy(running.urls()["market"], running.exchange.asset_ids()),
                        lambda events, _: market_events.extend(events))
    tasks = [asyncio.ensure_future(sync.run()), asyncio.ensure_future(market.run())]
    try:
        await asyncio.wait_for(tasks[0], 5)  # the user feed ends by itself: refused
        await asyncio.sleep(1.0)  # several backoff caps: no second attempt comes
        assert channel.refused == 1
        status = sync.status()
        assert status.state == "failed"
        assert status.detail.startswith("authentication rejected")
        assert sync.guard.rejected
        assert market.state == "live"
    finally:
        market.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
    written = [msgspec.json.encode(e).decode() for e in rec.events]
    written += [repr(sync), repr(sync.rest), sync.rest_error, caplog.text]
    written += [msgspec.json.encode(e).decode() for e in market_events]
    blob = "\n".join(written)
    assert "authentication rejected" in blob
    for secret in (SECRET, PASSPHRASE, "wrong-" + PASSPHRASE):
        assert secret not in blob


async def test_a_failing_rest_read_says_why_and_is_retried(running: ServingExchange) -> None:
    wrong_rest = ClobCredentials(CREDS.api_key, SECRET, "stale-" + PASSPHRASE)
    rec = Recorder()
    rest = rest_for(running, wrong_rest)
    sync = controller(running, CREDS, rest, rec, reload_base=0.05, reload_cap=0.2)
    task = asyncio.ensure_future(sync.run())
    try:
        await until(lambda: "401" in sync.rest_error)
        assert "Unauthorized" in sync.rest_error and "/balance-allowance" in sync.rest_error
        calls = rest.calls
        await until(lambda: rest.calls > calls + 3)  # loaded again, with backoff
        assert sync.status().state == "live"
        assert "account REST" in sync.status().detail and "401" in sync.status().detail
        errors = [e for e in rec.events if type(e).__name__ == "FeedError"]
        assert errors and all(e.feed == "user-rest" for e in errors)  # type: ignore[attr-defined]
        blob = "\n".join(msgspec.json.encode(e).decode() for e in rec.events) + sync.rest_error
        assert PASSPHRASE not in blob and SECRET not in blob
    finally:
        sync.stop()
        await asyncio.wait_for(task, 5)


async def test_a_tampered_signature_is_refused(running: ServingExchange) -> None:
    signer, _ = demo_addresses(CREDS.api_key)
    url = build_url(running.base_url, "/balance-allowance", {"asset_type": "COLLATERAL"})
    good = l2_headers(CREDS, signer, "GET", "/balance-allowance")
    body = await get_bytes(url, headers=good)
    assert b"balance" in body
    sig = good["POLY_SIGNATURE"]
    tampered = {**good, "POLY_SIGNATURE": ("B" if sig[0] != "B" else "C") + sig[1:]}
    for headers in (tampered, {**good, "POLY_PASSPHRASE": "nope"},
                    {**good, "POLY_ADDRESS": "0x" + "0" * 40},
                    {k: v for k, v in good.items() if k != "POLY_SIGNATURE"}):
        with pytest.raises(HttpError) as info:
            await get_bytes(url, headers=headers)
        assert info.value.status == 401
        assert SECRET not in str(info.value) and PASSPHRASE not in str(info.value)
    with pytest.raises(HttpError) as info:
        await get_bytes(build_url(running.base_url, "/data/orders"), headers=good)
    assert info.value.status == 401  # signed for another path


async def test_rest_reads_page_through_and_count_their_calls(running: ServingExchange) -> None:
    channel = channel_of(running)
    account = channel.desk.account(CREDS.api_key)
    channel.step(60)
    rest = rest_for(running)
    orders = await rest.open_orders()
    assert {o.order_id for o in orders} == {o.id for o in account.open_orders()}
    fills = await rest.fills_since(0)
    assert {f.trade_id for f in fills} == set(account.trades)
    assert len(account.trades) > 3  # more than one page
    positions = await rest.positions()
    assert {p.asset_id: p.size for p in positions} == {
        a: h.size for a, h in account.holdings.items() if h.size}
    assert (await rest.balance()).cash == account.cash
