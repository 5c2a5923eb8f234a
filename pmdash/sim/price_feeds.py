"""The embedded exchange's two reference-price feeds, wired onto a ``SimServer`` together:
one ``PriceEngine`` behind PolyBolt (``/live/ws``) and RTDS (``/rtds``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pmdash.credentials import ClobCredentials
from pmdash.sim.credentials import CredentialRegistry
from pmdash.sim.polybolt import PolyBoltFeed
from pmdash.sim.prices import PriceEngine
from pmdash.sim.rtds import RtdsFeed
from pmdash.sim.server import SimServer


@dataclass
class PriceFeeds:
    engine: PriceEngine
    credentials: CredentialRegistry
    polybolt: PolyBoltFeed
    rtds: RtdsFeed

    async def start(self) -> None:
        await self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()


def add_price_feeds(
    server: SimServer,
    *,
    seed: int = 0,
    clob_keys: Iterable[ClobCredentials] = (),
    interval: float = 1.0,
    ping_interval: float = 25.0,
) -> PriceFeeds:
    """Add PolyBolt and RTDS to ``server`` (their histories already two minutes long); start
    the price ticks with ``start()``."""
    engine = PriceEngine(seed=seed, interval=interval, clock=server.exchange.clock)
    engine.warm_up()
    credentials = CredentialRegistry(clob_keys)
    polybolt = PolyBoltFeed(engine, credentials, server.sessions, max_queue=server.max_queue,
                            ping_interval=ping_interval)
    rtds = RtdsFeed(engine, server.sessions, max_queue=server.max_queue)
    server.add_feed(polybolt)
    server.add_feed(rtds)
    return PriceFeeds(engine, credentials, polybolt, rtds)
