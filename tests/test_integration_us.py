"""Polymarket US end to end against the embedded exchange on 127.0.0.1, with real sockets: the
dashboard with ``--venue us`` shows the US books and the account, a fill arrives as a toast and
in the tables, money hides on ``m``; after a reconnect the account is reconciled from the
snapshots and the signed REST reads and equals the exchange's; and the secret key is in
nothing pmdash writes (screen, logs, stdout/stderr, tail output)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.live.controller import FeedContext
from pmdash.live.us import UsMarketsController, UsPrivateController
from pmdash.net.us_auth import UsKey
from pmdash.registry import FEEDS
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.state.account import AccountState
from pmdash.state.market import MarketState
from pmdash.state.store import Store
from pmdash.tail import TailRun
from pmdash.units import SCALE
from pmdash.widgets.account import AccountTable
from pmdash.widgets.account_group import AccountGroup

SEED = bytes(range(7, 39))
SECRET = base64.b64encode(SEED).decode()
KEY = UsKey("it-key", SECRET)
SECRETS = {"polymarket_key_id": "it-key", "polymarket_secret_key": SECRET}
US_FEEDS = [FEEDS["us-markets"], FEEDS["us-private"]]


@pytest.fixture
async def sim() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(us_keys=[f"it-key:{KEY.public_key_b64}"], rate=40,
                              us_account_s=None) as serving:
        yield serving


@pytest.fixture(autouse=True)
def no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYMARKET_KEY_ID", raising=False)
    monkeypatch.delenv("POLYMARKET_SECRET_KEY", raising=False)


async def until(predicate: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"no {what} within {timeout:g} s") from None


def settings_for(sim: ServingExchange) -> Settings:
    return Settings(choices={"venue": "us"}, base_url=sim.base_url, secrets=dict(SECRETS))


async def test_venue_us_dashboard_a_fill_is_a_toast_and_in_the_tables(
    sim: ServingExchange, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_for(sim)
    enabled = [spec.id for spec in FEEDS.values() if spec.enabled(settings)]
    assert {"us-markets", "us-private"} <= set(enabled)
    assert "market" not in enabled and "user" not in enabled  # the CLOB's own feeds
    app = PmdashApp(Endpoints.from_base_url(sim.base_url), [], settings=settings)
    app.theme = "textual-dark"
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        market = app.store.slice(MarketState)
        await until(lambda: market.more_listed and any(
            market.books[s].has_snapshot for s in market.more_listed), "US book")
        await until(lambda: all(c.status().state == "live" for c in app.controllers.values()),
                    "live feeds")
        fills = app.query_one("#account-fills", AccountTable)
        toasts: list[str] = []
        for _ in range(40):  # the demo account's script fills within a round (7 steps)
            sim.us.account_step()
            await pilot.pause(0.05)
            toasts += [str(t.render()) for t in app.screen.query("Toast")]
            if fills.row_count and any("US order" in t and "filled" in t for t in toasts):
                break
        assert any("US order" in t and "filled" in t for t in toasts), toasts
        assert fills.row_count >= 1
        assert all(str(fills.get_row_at(i)[0]) == "US" for i in range(fills.row_count))
        await until(lambda: app.query_one("#account-positions", AccountTable).row_count,
                    "a position row")
        group = app.query_one(AccountGroup)
        await pilot.press("m")
        await pilot.pause(0.1)
        assert group.private
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "US cash •••" in screen
        # The US books show in the ladder and list: the first US market is selected.
        assert "US · " in screen
        await pilot.press("q")
    out, err = capsys.readouterr()
    written = "\n".join([screen, caplog.text, out, err,
                         *(repr(c.status()) for c in app.controllers.values())])
    for secret in (SECRET, SEED.hex()):
        assert secret not in written


async def test_a_reconnect_reconciles_the_account_with_the_exchange(
    sim: ServingExchange,
) -> None:
    store = Store([MarketState(), AccountState()])
    ctx = FeedContext(endpoints=Endpoints.from_base_url(sim.base_url), store=store,
                      settings=settings_for(sim),
                      credentials={"key_id": "it-key", "secret_key": SECRET})
    private = UsPrivateController.from_context(ctx)
    markets = UsMarketsController.from_context(ctx)
    tasks = [asyncio.ensure_future(c.run()) for c in (private, markets)]
    account = store.slice(AccountState).portfolio
    truth = sim.us.account
    try:
        await until(lambda: private.reconciled == 1 and private.status().state == "live",
                    "start-up reconciliation")
        for _ in range(10):
            sim.us.account_step()
        await until(lambda: {o.order_id for o in account.open_orders("us")}
                    == {o.id for o in truth.open_orders()}, "live orders")
        sim.faults.drop("/v1/ws/private")
        for _ in range(4):  # the account moves while the socket is down
            sim.us.account_step()
        await until(lambda: private.status().reconnects == 1 and private.reconciled == 2,
                    "reconnect and REST reconciliation")

        def equal() -> bool:
            held = {a: h.size for (v, a), h in account.positions.items() if v == "us" and h.size}
            real = {slug: p.shares for slug, p in truth.positions.items() if p.shares}
            cash = account.cash.get("us")
            return (
                {o.order_id for o in account.open_orders("us")}
                == {o.id for o in truth.open_orders()}
                and held == real
                and cash is not None and cash.cash == truth.cash
            )

        await until(equal, "the account equal to the exchange's")
        # Positions are marked to the US books' mids (unrealised P&L).
        private.housekeep(time.perf_counter())
        marked = [a for (v, a) in account.positions if v == "us" and a in account.marks]
        assert marked
        assert all(0 < account.marks[a] < SCALE for a in marked)
    finally:
        private.stop()
        markets.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 5.0)


async def test_tail_us_private_output_holds_no_secret(sim: ServingExchange) -> None:
    out = io.StringIO()
    ctx = FeedContext(endpoints=Endpoints.from_base_url(sim.base_url),
                      settings=settings_for(sim),
                      credentials={"key_id": "it-key", "secret_key": SECRET})
    run = TailRun(FEEDS["us-private"], ctx, options=argparse.Namespace(), max_events=6,
                  seconds=10.0, out=out)
    task = asyncio.ensure_future(run.run())
    for _ in range(50):
        if task.done():
            break
        sim.us.account_step()
        await asyncio.sleep(0.05)
    assert await asyncio.wait_for(task, 10.0) == 0
    text = out.getvalue()
    assert '"type":"order"' in text and '"feed":"us-private"' in text
    assert SECRET not in text and SEED.hex() not in text
