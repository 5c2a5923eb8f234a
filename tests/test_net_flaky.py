"""A flaky network against the embedded exchange: the exchange drops the market connection at a
steady pace for a while, then stops. Every connection delivers its books before it is dropped,
so none of them should grow the backoff: once the network is fine the feed is back at once.

The issue's shape is a drop every second for 20 s with the default 1 s backoff base and the
feed live within 2 s of the last drop; the test runs it at half the time scale (every 0.5 s for
10 s, 0.5 s base, live within 1 s): the same number of drops, in the same ratio to the backoff.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass

import pytest

from pmdash.net.policy import ClientPing
from pmdash.sim.runner import serve_exchange
from tests.test_integration_market import Client, assert_books_equal_truth, settle, until

pytestmark = pytest.mark.timeout(60)


@dataclass(frozen=True)
class Flaky:
    """One flaky spell, every time in seconds."""

    every: float = 1.0
    """A drop this often."""
    lasting: float = 20.0
    """For this long, then no more drops."""
    live_within: float = 2.0
    """The feed must be live again (data flowing) this soon after the last drop."""
    backoff_base: float = 1.0

    def scaled(self, factor: float) -> Flaky:
        return Flaky(*(value * factor for value in dataclasses.astuple(self)))


ISSUE = Flaky()
RUN = ISSUE.scaled(0.5)


async def test_live_again_within_the_base_delay_after_a_flaky_spell() -> None:
    async with serve_exchange(seed=5, rate=200, markets=3, lifecycle_s=0) as exchange:
        client = Client(
            exchange.urls()["market"],
            exchange.exchange.asset_ids(),
            # The real backoff (full jitter, 60 s cap) on the run's time scale; heartbeats
            # slow enough to stay out of the way.
            heartbeat=ClientPing(interval=5.0, timeout=30.0),
            silence_timeout=30.0,
            backoff_base=RUN.backoff_base,
            backoff_cap=60.0,
            jitter="full",
        )
        task = asyncio.create_task(client.connection.run())
        try:
            await until(client.all_live)
            drops = 0
            start = time.monotonic()
            while time.monotonic() - start < RUN.lasting:
                await asyncio.sleep(RUN.every)
                drops += exchange.faults.drop()
            last_drop = time.monotonic()

            def flowing() -> bool:
                status = client.connection.status()
                age = status.last_frame_age_s
                return (
                    status.state == "live"
                    and age is not None
                    and age < (time.monotonic() - last_drop)
                )

            await until(flowing, seconds=RUN.live_within)
            back_after = time.monotonic() - last_drop
            assert back_after <= RUN.live_within
            await settle(exchange, client)
            assert_books_equal_truth(exchange, client)
            connections = 1 + client.connection.status().reconnects
            assert drops >= RUN.lasting / RUN.every - 2  # the spell really was flaky
            assert connections <= drops + 2
        finally:
            client.connection.stop()
            await asyncio.wait_for(task, 5)
