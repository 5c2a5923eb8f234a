"""A feed worker that dies says so: its status turns red (failed) with the error's text, the
screen keeps working and the other feed workers run on. Against the embedded exchange on
loopback; the market feed's loop is made to crash by a backoff that raises (a bug of ours,
not the network), the moment the exchange drops the connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.models import Event
from pmdash.net.backoff import Backoff
from pmdash.net.connection import Connection
from pmdash.net.market import market_policy
from pmdash.selection import resolve_markets
from pmdash.sim.runner import serve_exchange
from pmdash.widgets.status_bar import FeedStatusBar

pytestmark = pytest.mark.timeout(60)


class ExplodingBackoff(Backoff):
    def next_delay(self) -> float:
        raise RuntimeError("backoff exploded")


class TwoFeedApp(PmdashApp):
    """The dashboard with its market feed's loop doomed, and a second feed worker beside it
    (as the other feeds will be), counting what it receives."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = self.connection.policy
        self.connection = Connection(
            policy,
            on_events=self._on_events,
            on_reconnect=self._on_reconnect,
            on_lost=self._on_feed_lost,
            backoff=ExplodingBackoff(policy.backoff_base, policy.backoff_cap),
        )
        self.other_events = 0
        self.other = Connection(
            market_policy(policy.url, list(self.store.books) or self.connection.wanted()),
            on_events=self._count_other,
        )

    def _count_other(self, events: list[Event], arrival: float) -> None:
        self.other_events += len(events)

    def start_feeds(self) -> None:
        super().start_feeds()
        self.run_worker(self.other.run(), name="feed:other", group="feeds", exit_on_error=False)


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {seconds} s"
        await asyncio.sleep(0.05)


def bar_text(app: PmdashApp) -> str:
    bar = app.query_one(FeedStatusBar)
    return "\n".join("".join(bar.render_line(y).text) for y in range(bar.size.height))


async def test_a_dead_feed_worker_turns_its_status_red_and_the_rest_runs_on() -> None:
    async with serve_exchange(seed=9, rate=100, markets=2, lifecycle_s=0) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        app = TwoFeedApp(endpoints, await resolve_markets(endpoints, Settings()))
        async with app.run_test(size=(160, 45)) as pilot:
            await until(lambda: app.connection.state == "live" and app.other.state == "live")
            await until(lambda: app.other_events > 0)
            running.faults.drop()  # both sockets; the market feed's loop then crashes
            await until(lambda: app.connection.state == "failed")
            status = app.connection.status()
            assert status.detail == "feed worker died: RuntimeError: backoff exploded"
            await pilot.pause(0.3)
            assert "failed" in bar_text(app)
            assert "backoff exploded" in bar_text(app)
            # The other feed reconnects and keeps delivering; the App is still up.
            await until(lambda: app.other.state == "live")
            seen = app.other_events
            await until(lambda: app.other_events > seen)
            assert app.is_running
            await pilot.press("question_mark")  # the screen still takes keys
            await pilot.pause(0.1)
            assert app.screen.id != "_default"
