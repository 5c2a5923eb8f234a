"""A feed worker that dies says so: its status turns red (failed) with the error's text, the
screen keeps working and the other feeds run on. Against the embedded exchange on loopback: a
second feed's controller crashes (a bug of ours, not the network) while the market feed streams
beside it."""

from __future__ import annotations

import asyncio

import pytest
from conftest import dashboard_app, market_controller
from waiting import until

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.live.controller import FeedContext
from pmdash.models import FeedStatus
from pmdash.registry import FeedSpec
from pmdash.selection import resolve_markets
from pmdash.sim.runner import serve_exchange
from pmdash.widgets.status_bar import FeedStatusBar

pytestmark = pytest.mark.timeout(60)


class DoomedController:
    """Goes live, then its loop raises: the App must notice and say why."""

    feed = "doomed"

    def __init__(self, ctx: FeedContext) -> None:
        self._status = FeedStatus(feed=self.feed, state="connecting")

    async def run(self) -> None:
        self._status = FeedStatus(feed=self.feed, state="live")
        await asyncio.sleep(0.5)
        raise RuntimeError("backoff exploded")

    def stop(self) -> None:
        return None

    def status(self) -> FeedStatus:
        return self._status

    def mark_failed(self, reason: str) -> None:
        self._status = FeedStatus(feed=self.feed, state="failed", detail=reason)

    def housekeep(self, now: float) -> None:
        return None


DOOMED = FeedSpec(
    id="doomed",
    title="Doomed",
    path="/doomed",
    url=lambda endpoints: "ws://127.0.0.1:9/doomed",
    slices=lambda settings: [],
    controller=DoomedController,
)


def bar_text(app: PmdashApp) -> str:
    bar = app.query_one(FeedStatusBar)
    return "\n".join("".join(bar.render_line(y).text) for y in range(bar.size.height))


async def test_a_dead_feed_worker_turns_its_status_red_and_the_rest_runs_on() -> None:
    async with serve_exchange(seed=9, rate=100, markets=2, lifecycle_s=0) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        markets = await resolve_markets(endpoints, Settings())
        app = dashboard_app(markets, offline=False, endpoints=endpoints, more_feeds=[DOOMED])
        async with app.run_test(size=(160, 45)) as pilot:
            doomed = app.controllers["doomed"]
            market = market_controller(app)
            await until(lambda: doomed.status().state == "failed")
            status = doomed.status()
            assert status.detail == "feed worker died: RuntimeError: backoff exploded"
            await pilot.pause(0.3)
            assert "failed" in bar_text(app)
            assert "backoff exploded" in bar_text(app)
            # The market feed keeps delivering; the App is still up and takes keys.
            await until(lambda: market.connection.state == "live")
            seen = market.connection.status().frames
            await until(lambda: market.connection.status().frames > seen)
            assert app.is_running
            await pilot.press("question_mark")
            await pilot.pause(0.1)
            assert app.screen.id != "_default"
