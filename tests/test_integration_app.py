"""The dashboard follows the exchange: markets announced with `new_market` are added to the list
and subscribed on the open socket; `market_resolved` marks a market resolved on screen; a lost
connection turns every book stale on screen at once, not at the next reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from textual.pilot import Pilot

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.selection import resolve_markets
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_header import MarketHeader
from pmdash.widgets.market_list import MarketList


def screen_text(widget: MarketHeader | BookLadder | MarketList) -> str:
    return "\n".join("".join(widget.render_line(y).text) for y in range(widget.size.height))


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {seconds} s"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def live_dashboard(
    seed: int, markets: int
) -> AsyncIterator[tuple[ServingExchange, PmdashApp, Pilot[None]]]:
    """An exchange on loopback and the dashboard following all of it, every book live."""
    async with serve_exchange(seed=seed, rate=100, markets=markets, lifecycle_s=0) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        app = PmdashApp(endpoints, await resolve_markets(endpoints, Settings()))
        async with app.run_test(size=(160, 45)) as pilot:
            await until(lambda: all(b.state == "live" for b in app.store.books.values()))
            yield running, app, pilot


async def test_new_market_is_followed_and_resolution_is_shown() -> None:
    async with live_dashboard(seed=5, markets=3) as (running, app, pilot):
        reconnects = app.connection.status().reconnects

        fresh = running.exchange.add_market()
        await until(lambda: fresh.condition_id in app.market_order)
        await until(
            lambda: all(
                token in app.store.books and app.store.books[token].state == "live"
                for token in fresh.token_ids
            )
        )
        assert app.connection.status().reconnects == reconnects  # subscribed in place

        first = app.market_order[0]
        running.exchange.resolve(first)
        await until(lambda: first in app.store.resolved)
        await pilot.pause(0.2)
        assert "RESOLVED" in screen_text(app.query_one(MarketHeader))


async def test_explicit_selection_does_not_follow_new_markets() -> None:
    async with serve_exchange(seed=6, rate=50, markets=3, lifecycle_s=0) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        chosen = (await resolve_markets(endpoints, Settings()))[:1]
        settings = Settings(markets=[chosen[0].slug])
        app = PmdashApp(endpoints, chosen, settings=settings)
        async with app.run_test(size=(160, 45)):
            await until(lambda: all(b.state == "live" for b in app.store.books.values()))
            fresh = running.exchange.add_market()
            await until(lambda: fresh.condition_id in app.store.markets)  # announced...
            await asyncio.sleep(0.3)
            assert app.market_order == [chosen[0].condition_id]  # ...but not listed
            assert not set(fresh.token_ids) & set(app.store.books)


async def test_lost_connection_shows_every_book_stale_until_it_is_back() -> None:
    async with live_dashboard(seed=7, markets=2) as (running, app, pilot):
        books = app.store.books
        await pilot.pause(0.2)
        assert "stale" not in screen_text(app.query_one(MarketHeader))

        await running.server.stop()  # the exchange is gone: every reconnect is refused
        await until(lambda: app.connection.state in ("connecting", "backoff"))
        assert {b.state for b in books.values()} == {"stale"}
        reasons = {b.stale_reason or "" for b in books.values()}
        assert all(r.startswith("connection lost: ") for r in reasons), reasons
        await pilot.pause(0.3)
        assert "STALE" in screen_text(app.query_one(BookLadder))
        assert "stale" in screen_text(app.query_one(MarketHeader))
        assert "STALE" in screen_text(app.query_one(MarketList))

        await until(lambda: app.connection.status().reconnects >= 2)
        assert {b.state for b in books.values()} == {"stale"}  # still, while it retries
