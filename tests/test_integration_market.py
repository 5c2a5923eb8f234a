"""The market feed end to end against the embedded exchange on loopback: the real connection
loop, codec and store, with faults injected by the exchange. Every scenario ends with the
client's books equal to the exchange's ground truth."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import pytest
from conftest import market_store
from waiting import until

from pmdash.models import Event, FeedError
from pmdash.net.connection import Connection
from pmdash.net.market import market_policy
from pmdash.net.policy import ClientPing
from pmdash.sim.runner import ServingExchange, serve_exchange

pytestmark = pytest.mark.timeout(60)


class Client:
    """What the App does with the market feed, minus the screen: connection -> store -> heal."""

    def __init__(self, url: str, assets: list[str], **policy: object) -> None:
        self.store = market_store()
        self.store.watch(assets)
        fast = {
            "heartbeat": ClientPing(interval=0.2, timeout=1.0),
            "silence_timeout": 1.0,
            "backoff_base": 0.05,
            "backoff_cap": 0.3,
            **policy,
        }
        self.connection = Connection(
            dataclasses.replace(market_policy(url, assets), **fast),
            on_events=self.on_events,
            on_reconnect=lambda: self.store.mark_feed_stale("reconnected"),
        )
        self.errors: list[FeedError] = []
        self.frames_seen = 0

    def on_events(self, events: list[Event], arrival: float) -> None:
        self.frames_seen += 1
        self.errors.extend(e for e in events if isinstance(e, FeedError))
        self.store.apply(events, arrival)
        heals = self.store.take_heals()
        if heals:
            self.connection.resync(heals)

    def all_live(self) -> bool:
        return all(book.state == "live" for book in self.store.books.values())


async def settle(running: ServingExchange, client: Client) -> None:
    """Pause the exchange, let every in-flight frame and heal arrive, then wait for quiet."""
    running.exchange.pause()
    await until(client.all_live)
    quiet_since, seen = time.monotonic(), client.frames_seen
    deadline = time.monotonic() + 10
    while time.monotonic() - quiet_since < 0.4:
        await asyncio.sleep(0.05)
        if client.frames_seen != seen:
            quiet_since, seen = time.monotonic(), client.frames_seen
        assert time.monotonic() < deadline, "the feed never went quiet"
    await until(client.all_live)


def assert_books_equal_truth(running: ServingExchange, client: Client) -> None:
    assets = running.exchange.asset_ids()
    assert assets
    for asset in assets:
        bids, asks = running.exchange.book(asset)
        book = client.store.books[asset]
        assert book.state == "live", (asset, book.state, book.desync_reason)
        assert book.levels("BUY") == list(bids), asset
        assert book.levels("SELL") == list(asks), asset
        assert book.tick == running.exchange.tick_size(asset)
        assert not book.crossed


@pytest.fixture
async def exchange() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(seed=21, rate=300, markets=4, lifecycle_s=0) as running:
        yield running


@pytest.fixture
async def client(exchange: ServingExchange) -> AsyncIterator[Client]:
    client = Client(exchange.urls()["market"], exchange.exchange.asset_ids())
    task = asyncio.create_task(client.connection.run())
    await until(client.all_live)
    yield client
    client.connection.stop()
    await asyncio.wait_for(task, 5)


async def test_streams_and_matches_ground_truth(exchange: ServingExchange, client: Client) -> None:
    await asyncio.sleep(1.0)
    assert client.connection.status().frames > 20
    await settle(exchange, client)
    assert_books_equal_truth(exchange, client)
    assert client.connection.status().reconnects == 0
    assert client.errors == []


async def test_server_drop_mid_stream_reconnects_and_rebuilds(
    exchange: ServingExchange, client: Client
) -> None:
    await asyncio.sleep(0.5)
    assert exchange.faults.drop() == 1
    await until(lambda: client.connection.status().reconnects >= 1)
    # Changes keep flowing while the client is away; it must not show stale books as live.
    await until(lambda: client.connection.state == "live")
    await asyncio.sleep(0.5)
    await settle(exchange, client)
    assert_books_equal_truth(exchange, client)


async def test_desync_is_detected_healed_and_counted(
    exchange: ServingExchange, client: Client
) -> None:
    await asyncio.sleep(0.3)
    lied_about = exchange.faults.desync()
    assert lied_about is not None
    await until(lambda: client.store.books[lied_about].heals >= 1)
    await settle(exchange, client)
    assert_books_equal_truth(exchange, client)
    assert client.connection.status().reconnects == 0


async def test_corrupt_frames_are_counted_and_books_rebuilt(
    exchange: ServingExchange, client: Client
) -> None:
    await asyncio.sleep(0.3)
    exchange.faults.garbage("non_json")
    exchange.faults.garbage("bad_field")
    await until(lambda: client.connection.status().decode_errors >= 2)
    assert len(client.errors) >= 2
    assert all(e.message for e in client.errors)
    # A frame that could not be read may have carried a change: the books it could have
    # touched are rebuilt from fresh snapshots, not trusted.
    await until(lambda: sum(b.heals for b in client.store.books.values()) >= 1)
    await settle(exchange, client)
    assert_books_equal_truth(exchange, client)
    assert client.connection.status().reconnects == 0


async def test_silent_server_trips_the_watchdog_and_recovers(
    exchange: ServingExchange, client: Client
) -> None:
    await asyncio.sleep(0.3)
    exchange.faults.stall(3.0)
    await until(lambda: client.connection.status().reconnects >= 1, seconds=6)
    await until(lambda: client.connection.state == "live", seconds=10)
    await settle(exchange, client)
    assert_books_equal_truth(exchange, client)


async def test_missing_pongs_reconnect(exchange: ServingExchange, client: Client) -> None:
    exchange.faults.stop_heartbeats(seconds=2.0)
    await until(lambda: client.connection.status().reconnects >= 1, seconds=6)
    await until(lambda: client.connection.state == "live", seconds=10)
    await settle(exchange, client)
    assert_books_equal_truth(exchange, client)


async def test_dynamic_subscribe_gets_a_snapshot_without_reconnecting(
    exchange: ServingExchange,
) -> None:
    assets = exchange.exchange.asset_ids()
    first, rest = assets[:2], assets[2:]
    client = Client(exchange.urls()["market"], first)
    task = asyncio.create_task(client.connection.run())
    try:
        await until(client.all_live)
        client.store.watch(rest)
        client.connection.subscribe(rest)
        await until(client.all_live)
        assert set(client.store.books) == set(assets)
        await settle(exchange, client)
        assert_books_equal_truth(exchange, client)
        assert client.connection.status().reconnects == 0
    finally:
        client.connection.stop()
        await asyncio.wait_for(task, 5)
