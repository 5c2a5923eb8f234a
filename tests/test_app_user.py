"""The ``user`` feed in the dashboard: the account panel in the right-hand column (snapshot), a
fill from the embedded exchange that toasts and moves a position marked to the live book's mid
(Pilot, real loopback sockets), ``m`` hiding money, and a session with known CLOB secrets whose
screen, status and logs never hold them (``tail``'s output: tests/test_tail_user.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from conftest import dashboard_app
from textual.pilot import Pilot

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.credentials import ClobCredentials
from pmdash.endpoints import Endpoints
from pmdash.live.controller import Controller, FeedContext
from pmdash.live.user import UserController
from pmdash.models import Balance, BookSnapshot, FeedStatus, Fill, MarketInfo, OrderEvent, Position
from pmdash.registry import FEEDS, FeedSpec
from pmdash.selection import resolve_markets
from pmdash.sim.account import demo_addresses
from pmdash.sim.runner import serve_exchange
from pmdash.sim.user_channel import UserChannel
from pmdash.specs.credentials import demo_credentials
from pmdash.state.account import AccountState
from pmdash.state.market import MarketState
from pmdash.units import fmt_price, fmt_size
from pmdash.widgets.account import AccountTable
from pmdash.widgets.account_data import HIDDEN
from pmdash.widgets.account_group import AccountGroup

SECRET = "c2VjcmV0LWtub3duLXRvLXRoaXMtdGVzdC1vbmx5LTRiMWQ="
PASSPHRASE = "passphrase-known-to-this-test-only-9e2c"
CREDS = ClobCredentials("aaaaaaaa-1111-2222-3333-bbbbbbbbbbbb", SECRET, PASSPHRASE)
SIZE = (160, 45)
NOW_MS = 1_767_364_200_000
YES, NO = "1" * 77, "2" * 77
FED = MarketInfo(
    condition_id="0x" + "a" * 64, question="Will the Fed cut rates in December?",
    slug="fed-cut-december", token_ids=(YES, NO), outcomes=("Yes", "No"),
)


async def until(pilot: Pilot[int], condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {seconds} s"
        await pilot.pause(0.05)


def account_group(app: PmdashApp) -> AccountGroup:
    return next(g for g in app.groups if isinstance(g, AccountGroup))


def table(app: PmdashApp, name: str) -> AccountTable:
    return app.query_one(f"#account-{name}", AccountTable)


def toasts(app: PmdashApp) -> list[str]:
    return [str(t.render()) for t in app.screen.query("Toast")]


def user_settings(creds: ClobCredentials = CREDS) -> Settings:
    """Settings whose ``given`` credentials are ``creds`` and the exchange's addresses for it
    (what ``--demo`` does with its own key)."""
    settings = Settings()
    settings.given = demo_credentials(creds)
    return settings


# --- the panel in the dashboard, fixed data ---------------------------------------------------


class OfflineUser(UserController):
    """The user feed's controller with no socket and no REST: the test's events are the
    account."""

    async def run(self) -> None:
        return None

    def status(self) -> FeedStatus:
        return FeedStatus(feed="user", state="live")


def offline_user() -> FeedSpec:
    def controller(ctx: FeedContext) -> Controller:
        return OfflineUser.from_context(ctx)

    return replace(FEEDS["user"], controller=controller)


def _account_events() -> list[object]:
    fed = FED.condition_id
    return [
        BookSnapshot(feed="market", asset_id=YES, market=fed, bids=((440_000, 90_000_000),),
                     asks=((470_000, 60_000_000),), timestamp=NOW_MS, tick_size=10_000),
        BookSnapshot(feed="market", asset_id=NO, market=fed, bids=((530_000, 60_000_000),),
                     asks=((560_000, 90_000_000),), timestamp=NOW_MS, tick_size=10_000),
        Balance(feed="user", venue="clob", cash=1_234_560_000, timestamp=NOW_MS),
        Position(feed="user", venue="clob", asset_id=YES, market=fed, size=100_000_000,
                 avg_price=420_000, timestamp=NOW_MS),
        OrderEvent(feed="user", venue="clob", order_id="0xo1", market=fed, asset_id=YES,
                   side="BUY", price=410_000, original_size=50_000_000,
                   size_matched=10_000_000, status="LIVE", kind="UPDATE", timestamp=NOW_MS),
        Fill(feed="user", venue="clob", trade_id="t1", order_id="0xo1", market=fed,
             asset_id=YES, side="BUY", price=410_000, size=10_000_000, status="MINED",
             role="maker", timestamp=NOW_MS),
    ]


def account_dashboard() -> PmdashApp:
    return dashboard_app([FED], settings=user_settings(), events=_account_events(),  # type: ignore[arg-type]
                         more_feeds=[offline_user()])


def test_account_panel_in_the_dashboard(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """At 160x45 the right-hand column holds the Account group: "CLOB cash $1,234.56", the
    open order ("Will the Fed cu…" BUY 0.41 50.00), the maker fill (BUY 0.41 10.00), the
    position of 100.00 shares at avg 0.42, cost $42.00 (names cut to 16 characters so side,
    price and size fit; the rest scrolls sideways); a toast "CLOB order partly filled: BUY
    10.00 @ 0.41 (MINED)"; the status bar lists the user feed beside the market feed."""

    async def settle(pilot: Pilot[int]) -> None:
        await pilot.pause(0.3)

    assert snap_compare(account_dashboard(), terminal_size=SIZE, run_before=settle)


async def test_the_account_group_shows_the_portfolio_by_name_and_m_hides_money() -> None:
    app = account_dashboard()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: table(app, "positions").row_count == 1)
        row = table(app, "positions").get_row(f"clob:{YES}")
        assert row[1].startswith("Will the Fed c")  # by name, not by token id
        await until(pilot, lambda: table(app, "positions").get_row(f"clob:{YES}")[5] == "0.455")
        assert table(app, "positions").get_row(f"clob:{YES}")[6] == "$3.50"  # 100 x (0.455-0.42)
        await pilot.press("m")
        await until(pilot, lambda: HIDDEN in str(app.query_one("#account-cash").render()))
        assert table(app, "positions").get_row(f"clob:{YES}")[6] == HIDDEN
        assert table(app, "positions").get_row(f"clob:{YES}")[2] == "100.00"  # sizes stay
        await pilot.press("m")
        await until(pilot, lambda: "$1,234.56" in str(app.query_one("#account-cash").render()))


async def test_narrow_the_account_is_one_key_away() -> None:
    app = account_dashboard()
    async with app.run_test(size=(80, 24)) as pilot:
        group = account_group(app)
        await pilot.pause(0.1)
        assert group.region.area == 0  # the right-hand column is hidden at 80 columns
        await pilot.press("a")
        await until(pilot, lambda: group.region.width > 70)
        await until(pilot, lambda: table(app, "orders").row_count == 1)
        await pilot.press("a")
        await until(pilot, lambda: group.region.area == 0)


# --- against the embedded exchange -------------------------------------------------------------


async def test_a_fill_toasts_and_moves_a_position_marked_to_the_live_mid() -> None:
    async with serve_exchange(seed=4, paused=True, markets=3, clob_keys=[CREDS]) as running:
        channel = running.server.feed("/ws/user")
        assert isinstance(channel, UserChannel)
        account = channel.desk.account(CREDS.api_key)
        endpoints = Endpoints.from_base_url(running.base_url)
        markets = await resolve_markets(endpoints, Settings())
        app = PmdashApp(endpoints, markets, settings=user_settings())
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            user = app.controllers["user"]
            assert isinstance(user, UserController)
            books = app.store.slice(MarketState).books
            await until(pilot, lambda: user.status().state == "live" and user.loads >= 1
                        and bool(books) and all(b.state == "live" for b in books.values()))
            for _ in range(60):  # bounded: the desk fills within a few steps
                channel.step()
                await pilot.pause(0.02)
                if any(t.status != "FAILED" for t in account.trades.values()):
                    break
            await until(pilot, lambda: any("filled" in t for t in toasts(app)))
            channel.desk.settle_all()
            held = {a: h.size for a, h in account.holdings.items() if h.size}
            assert held, "the demo account holds nothing after its fills settled"
            positions = table(app, "positions")
            await until(pilot, lambda: all(
                f"clob:{a}" in positions.rows
                and positions.get_row(f"clob:{a}")[2] == fmt_size(size)
                for a, size in held.items()))
            asset = next(iter(held))
            mid = books[asset].mid

            def marked() -> bool:
                return positions.get_row(f"clob:{asset}")[5] == fmt_price(mid)

            await until(pilot, marked)
            names = {t: m.question for m in markets for t in m.token_ids}
            assert positions.get_row(f"clob:{asset}")[1][:10] == names[asset][:10]
            portfolio = app.store.slice(AccountState).portfolio
            assert portfolio.cash["clob"].cash == account.cash


async def test_known_secrets_reach_no_screen_status_or_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """From the environment, as a user sets them: a session that trades, then one whose
    passphrase the exchange refuses. Neither screen (every exported screen, toasts included),
    status, nor log holds the secret or the passphrase."""
    caplog.set_level(logging.DEBUG)
    signer, profile = demo_addresses(CREDS.api_key)
    monkeypatch.setenv("CLOB_API_KEY", CREDS.api_key)
    monkeypatch.setenv("CLOB_SECRET", SECRET)
    monkeypatch.setenv("POLYMARKET_PROFILE_ADDRESS", profile)
    monkeypatch.setenv("POLYMARKET_SIGNER_ADDRESS", signer)
    written: list[str] = []
    async with serve_exchange(seed=9, markets=2, clob_keys=[CREDS]) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        markets = await resolve_markets(endpoints, Settings())
        channel = running.server.feed("/ws/user")
        assert isinstance(channel, UserChannel)
        for passphrase in (PASSPHRASE, "wrong-" + PASSPHRASE):
            monkeypatch.setenv("CLOB_PASS_PHRASE", passphrase)
            app = PmdashApp(endpoints, markets)  # the registry's feeds, credentials from env
            assert "user" in app.controllers
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                user = app.controllers["user"]

                def state(user: Controller = user) -> str:
                    return user.status().state

                if passphrase == PASSPHRASE:
                    await until(pilot, lambda: state() == "live")
                    for _ in range(12):
                        channel.step()
                        await pilot.pause(0.05)
                else:
                    await until(pilot, lambda: state() == "failed")
                    assert "authentication rejected" in user.status().detail
                await pilot.pause(0.3)
                written.append(app.export_screenshot())
                written.extend(toasts(app))
                written.extend(repr(s) for s in app.feed_statuses())
                written.append(repr(user))
                written.append(repr(app.settings))
    written.append(caplog.text)
    blob = "\n".join(written)
    assert "authentication rejected" in blob
    assert "CLOB" in blob  # the account was on screen
    for secret in (SECRET, PASSPHRASE):
        assert secret not in blob
    await asyncio.sleep(0)
