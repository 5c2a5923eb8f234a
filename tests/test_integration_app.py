"""The dashboard follows the exchange: markets announced with `new_market` are added to the list
and subscribed on the open socket; `market_resolved` marks a market resolved on screen; a lost
connection turns every book stale on screen at once, not at the next reconnect."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from conftest import dashboard_app, market_controller, market_group, market_state
from textual.pilot import Pilot
from waiting import until

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.net.policy import ClientPing
from pmdash.registry import FEEDS
from pmdash.selection import resolve_markets
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.state.following import KEEP_RESOLVED
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_header import MarketHeader
from pmdash.widgets.market_list import MarketList


def screen_text(widget: MarketHeader | BookLadder | MarketList) -> str:
    return "\n".join("".join(widget.render_line(y).text) for y in range(widget.size.height))


@contextlib.asynccontextmanager
async def live_dashboard(
    seed: int, markets: int
) -> AsyncIterator[tuple[ServingExchange, PmdashApp, Pilot[None]]]:
    """An exchange on loopback and the dashboard following all of it, every book live."""
    async with serve_exchange(seed=seed, rate=100, markets=markets, lifecycle_s=0) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        # The market feed alone: its panels at full width (the price column narrows them).
        markets = await resolve_markets(endpoints, Settings())
        app = PmdashApp(endpoints, markets, feeds=[FEEDS["market"]])
        async with app.run_test(size=(160, 45)) as pilot:
            await until(lambda: all(b.state == "live" for b in market_state(app).books.values()))
            yield running, app, pilot


async def test_new_market_is_followed_and_resolution_is_shown() -> None:
    async with live_dashboard(seed=5, markets=3) as (running, app, pilot):
        reconnects = market_controller(app).connection.status().reconnects

        fresh = running.exchange.add_market()
        await until(lambda: fresh.condition_id in market_group(app).market_order)
        await until(
            lambda: all(
                token in market_state(app).books and market_state(app).books[token].state == "live"
                for token in fresh.token_ids
            )
        )
        # Subscribed in place.
        assert market_controller(app).connection.status().reconnects == reconnects

        first = market_group(app).market_order[0]
        running.exchange.resolve(first)
        await until(lambda: first in market_state(app).resolved)
        await pilot.pause(0.2)
        assert "RESOLVED" in screen_text(app.query_one(MarketHeader))


async def test_explicit_selection_does_not_follow_new_markets() -> None:
    async with serve_exchange(seed=6, rate=50, markets=3, lifecycle_s=0) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        chosen = (await resolve_markets(endpoints, Settings()))[:1]
        settings = Settings(markets=[chosen[0].slug])
        app = PmdashApp(endpoints, chosen, settings=settings)
        async with app.run_test(size=(160, 45)):
            await until(lambda: all(b.state == "live" for b in market_state(app).books.values()))
            fresh = running.exchange.add_market()
            await until(lambda: fresh.condition_id in market_state(app).markets)  # announced...
            await asyncio.sleep(0.3)
            assert market_group(app).market_order == [chosen[0].condition_id]  # ...but not listed
            assert not set(fresh.token_ids) & set(market_state(app).books)


async def test_lost_connection_shows_every_book_stale_until_it_is_back() -> None:
    async with live_dashboard(seed=7, markets=2) as (running, app, pilot):
        books = market_state(app).books
        await pilot.pause(0.2)
        assert "stale" not in screen_text(app.query_one(MarketHeader))

        await running.server.stop()  # the exchange is gone: every reconnect is refused
        await until(lambda: market_controller(app).connection.state in ("connecting", "backoff"))
        assert {b.state for b in books.values()} == {"stale"}
        reasons = {b.stale_reason or "" for b in books.values()}
        assert all(r.startswith("connection lost: ") for r in reasons), reasons
        await pilot.pause(0.3)
        assert "STALE" in screen_text(app.query_one(BookLadder))
        assert "stale" in screen_text(app.query_one(MarketHeader))
        assert "STALE" in screen_text(app.query_one(MarketList))

        await until(lambda: market_controller(app).connection.retries >= 2)
        assert {b.state for b in books.values()} == {"stale"}  # still, while it retries


async def test_old_resolved_markets_leave_the_list_and_the_subscription() -> None:
    async with live_dashboard(seed=8, markets=KEEP_RESOLVED + 3) as (running, app, pilot):
        shown = market_group(app).market_order[0]
        others = market_group(app).market_order[1:]  # resolved in this order, oldest first
        for cid in [shown, *others]:
            running.exchange.resolve(cid)
            await until(lambda cid=cid: cid in market_state(app).resolved)

        kept = others[-KEEP_RESOLVED:]
        retired = others[: len(others) - KEEP_RESOLVED]
        await until(lambda: market_group(app).market_order == [shown, *kept])
        await pilot.pause(0.6)  # a list repaint (LIST_HZ)
        sessions = running.server.sessions.on("/ws/market")
        assert len(sessions) == 1
        subscribed: set[str] = sessions[0].assets  # type: ignore[attr-defined]
        for cid in retired:
            tokens = market_state(app).markets[cid].token_ids
            assert not set(tokens) & set(market_state(app).books)
            await until(lambda tokens=tokens: not set(tokens) & subscribed)
        for cid in [shown, *kept]:
            assert set(market_state(app).markets[cid].token_ids) <= set(market_state(app).books)
        rows = screen_text(app.query_one(MarketList))
        assert rows.count("RESOLVED") == KEEP_RESOLVED + 1
        assert market_group(app).selected == shown  # on screen, so kept though it resolved first

        await pilot.press("j")  # move off it: the next market event retires it too
        await until(lambda: market_group(app).selected != shown)
        running.exchange.add_market()
        await until(lambda: shown not in market_group(app).market_order)
        resolved = market_state(app).resolved
        assert len([c for c in market_group(app).market_order if c in resolved]) == KEEP_RESOLVED


async def test_a_resolved_market_is_final_and_no_reconnect_makes_it_stale() -> None:
    """Before, a resolved market stayed subscribed, so every reconnect marked its books stale
    for good: the exchange sends no snapshot for a closed market."""
    async with live_dashboard(seed=9, markets=3) as (running, app, pilot):
        shown = market_group(app).market_order[0]
        tokens = set(market_state(app).markets[shown].token_ids)
        running.exchange.resolve(shown)
        await until(lambda: all(market_state(app).books[t].state == "final" for t in tokens))
        session = running.server.sessions.on("/ws/market")[0]
        await until(lambda: not tokens & session.assets)  # type: ignore[attr-defined]

        assert running.faults.drop() == 1
        await until(lambda: market_controller(app).connection.status().reconnects >= 1)
        others = [b for t, b in market_state(app).books.items() if t not in tokens]
        await until(lambda: all(b.state == "live" for b in others))
        assert {market_state(app).books[t].state for t in tokens} == {"final"}
        fresh = running.server.sessions.on("/ws/market")[-1]
        assert not tokens & fresh.assets  # type: ignore[attr-defined]  # not asked for again
        await pilot.pause(0.3)
        ladder = screen_text(app.query_one(BookLadder))
        assert "RESOLVED — the book as it closed" in ladder and "STALE" not in ladder
        header = screen_text(app.query_one(MarketHeader))
        # "book final", or just "final" where a side column (live games) narrows the header.
        assert "final" in header.split() and "stale" not in header


async def test_what_the_socket_missed_while_down_is_caught_up_from_gamma() -> None:
    """A market resolved while the socket was down got no market_resolved and no snapshot on
    the new socket, so it said "STALE — reconnected: waiting for a fresh snapshot" for good;
    one listed meanwhile never appeared. After a reconnect the App asks Gamma (``catch_up``)."""
    async with live_dashboard(seed=12, markets=3) as (running, app, pilot):
        app.catch_up_after_s = 0.3
        gone = market_group(app).market_order[0]  # on screen
        tokens = set(market_state(app).markets[gone].token_ids)
        running.exchange.pause()  # nothing may announce either change on a socket
        assert running.faults.drop() == 1
        running.exchange.resolve(gone)
        new = running.exchange.add_market()
        running.exchange.resume()
        await until(lambda: gone in market_state(app).resolved)
        assert {market_state(app).books[t].state for t in tokens} == {"final"}
        await until(lambda: new.condition_id in market_group(app).market_order)
        books = market_state(app).books
        await until(lambda: all(t in books and books[t].state == "live"
                                for t in new.token_ids))
        await pilot.pause(0.3)
        ladder = screen_text(app.query_one(BookLadder))
        assert "RESOLVED — the book as it closed" in ladder and "STALE" not in ladder
        assert "RESOLVED" in screen_text(app.query_one(MarketList))


async def test_a_market_that_resolves_while_out_of_sync_says_so_and_settles() -> None:
    """Before, it showed "DESYNCED … requesting snapshot" for good: none comes once closed."""
    async with live_dashboard(seed=13, markets=2) as (running, app, pilot):
        shown = market_group(app).market_order[0]
        asset = market_group(app).selected_asset
        assert asset is not None
        market_state(app).books[asset].mark_desynced("best bid mismatch")
        running.exchange.resolve(shown)
        await until(lambda: market_state(app).books[asset].state == "final")
        await pilot.pause(0.3)
        ladder = screen_text(app.query_one(BookLadder))
        # Cut short where a side column (live games) leaves the ladder its 48 columns.
        assert "RESOLVED — out of sync when it closed (best b" in ladder
        assert "DESYNC" not in ladder


async def test_a_server_that_stops_answering_is_shown_stale_at_once_and_live_after() -> None:
    """Before, a silent server looked live until the watchdog dropped the socket (30 s)."""
    async with serve_exchange(seed=10, rate=100, markets=2, lifecycle_s=0) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        quick = ClientPing(interval=0.1, timeout=20.0, late=0.3)
        app = dashboard_app(
            await resolve_markets(endpoints, Settings()),
            offline=False,
            endpoints=endpoints,
            heartbeat=quick,
        )
        async with app.run_test(size=(160, 45)) as pilot:
            books = market_state(app).books
            await until(lambda: all(b.state == "live" for b in books.values()))
            running.faults.stall(1.5)
            await until(lambda: market_controller(app).connection.state == "stale")
            await pilot.pause(0.6)  # a flush and a list repaint
            ladder = screen_text(app.query_one(BookLadder))
            assert "STALE — no PONG or data for 0.3 s after a PING" in ladder
            assert "stale" in screen_text(app.query_one(MarketHeader))
            assert "STALE" in screen_text(app.query_one(MarketList))
            assert {b.state for b in books.values()} == {"live"}  # the books need no snapshot

            await until(lambda: market_controller(app).connection.state == "live")
            await pilot.pause(0.6)
            assert "STALE" not in screen_text(app.query_one(BookLadder))
            assert "STALE" not in screen_text(app.query_one(MarketList))
            status = market_controller(app).connection.status()
            assert status.reconnects == 0 and sum(b.heals for b in books.values()) == 0
