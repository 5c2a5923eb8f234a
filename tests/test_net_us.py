"""Polymarket US over real loopback sockets against the embedded exchange: signed upgrades
accepted, tampered ones refused with 401 and not retried, books equal to the exchange's, a
reconnect restoring every requestId, 429 honouring Retry-After, and the secret key in nothing
pmdash writes."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable

import pytest
from nacl.signing import SigningKey

from pmdash.models import BookSnapshot, Event, FeedError, FeedStatus, OrderEvent
from pmdash.net.connection import Connection
from pmdash.net.http import HttpError
from pmdash.net.us import MARKETS_PATH, PRIVATE_PATH, us_markets_policy, us_private_policy
from pmdash.net.us_auth import UsKey
from pmdash.net.us_rest import (
    fetch_balances,
    fetch_book,
    fetch_open_orders,
    fetch_positions,
    market_by_slug,
    search,
)
from pmdash.net.wsclient import HandshakeRejected, connect
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.sim.us_keys import UsKeySpecError, parse_us_key

SEED = bytes(range(100, 132))
SECRET = base64.b64encode(SEED).decode()
KEY = UsKey("key-1", SECRET)
OTHER = UsKey("key-2", base64.b64encode(bytes(32)).decode())


@pytest.fixture
async def sim() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(us_keys=[f"key-1:{KEY.public_key_b64}"], rate=40,
                              us_account_s=None) as serving:
        yield serving


def holds(serving: ServingExchange, feed: str, count: int) -> Callable[[], bool]:
    """One socket open on ``feed``, holding ``count`` subscriptions."""
    return lambda: [len(s) for s in serving.us.subscriptions(feed)] == [count]


def slugs_of(serving: ServingExchange, n: int) -> list[str]:
    return ["us-" + m.slug for m in serving.exchange.sim_markets() if not m.closed][:n]


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, events: list[Event], arrival: float) -> None:
        self.events.extend(events)

    def of(self, kind: type) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def written(self) -> str:
        return "\n".join(repr(e) for e in self.events)


# --- handshake -------------------------------------------------------------------------------


async def test_exchange_accepts_pmdash_headers_and_refuses_tampered_ones(
    sim: ServingExchange,
) -> None:
    url = sim.urls()["us-markets"]
    ws = await connect(url, headers=KEY.headers("GET", MARKETS_PATH))
    await ws.close()
    now = int(time.time() * 1000)
    tampered = {
        "wrong key": OTHER.headers("GET", MARKETS_PATH),
        "unknown key id": {**KEY.headers("GET", MARKETS_PATH), "X-PM-Access-Key": "key-9"},
        "wrong path signed": KEY.headers("GET", PRIVATE_PATH),
        "stale timestamp": KEY.headers("GET", MARKETS_PATH, now_ms=now - 31_000),
        "future timestamp": KEY.headers("GET", MARKETS_PATH, now_ms=now + 31_000),
        "no signature": {"X-PM-Access-Key": "key-1", "X-PM-Timestamp": str(now)},
    }
    for why, headers in tampered.items():
        with pytest.raises(HandshakeRejected) as caught:
            await connect(url, headers=headers)
        assert caught.value.status == 401, why
    ws = await connect(sim.urls()["us-private"], headers=KEY.headers("GET", PRIVATE_PATH))
    await ws.close()


def test_us_key_spec_parsing_refuses_without_echoing() -> None:
    public = base64.b64encode(bytes(SigningKey(SEED).verify_key)).decode()
    assert parse_us_key(f"key-1:{public}") == ("key-1", bytes(SigningKey(SEED).verify_key))
    for bad in ("no-colon", f":{public}", "key-1:", "key-1:!!notbase64!!",
                f"key-1:{base64.b64encode(b'short').decode()}"):
        with pytest.raises(UsKeySpecError) as caught:
            parse_us_key(bad)
        secretish = bad.partition(":")[2]
        assert not secretish or secretish not in str(caught.value)


async def test_rejected_key_is_authentication_rejected_and_not_retried(
    sim: ServingExchange,
) -> None:
    got = Recorder()
    conn = Connection(us_markets_policy(sim.urls()["us-markets"], OTHER, slugs_of(sim, 1)), got)
    await asyncio.wait_for(conn.run(), 5.0)  # ends by itself: no retry loop
    status = conn.status()
    assert status.state == "failed"
    assert status.detail == "authentication rejected: HTTP 401 Unauthorized: unknown API key"
    assert len([s for s in got.of(FeedStatus) if s.state == "connecting"]) == 1


# --- data ------------------------------------------------------------------------------------


async def test_books_equal_the_exchange_and_requests_survive_a_reconnect(
    sim: ServingExchange,
) -> None:
    slugs = slugs_of(sim, 3)
    got = Recorder()
    conn = Connection(us_markets_policy(sim.urls()["us-markets"], KEY, slugs), got)
    task = asyncio.ensure_future(conn.run())
    try:
        await until(holds(sim, "us-markets", 2))
        first = sim.us.subscriptions("us-markets")[0]
        assert first == {"md-1": "SUBSCRIPTION_TYPE_MARKET_DATA",
                         "md-2": "SUBSCRIPTION_TYPE_TRADE"}
        await until(lambda: {e.asset_id for e in got.of(BookSnapshot)} == set(slugs))
        sim.exchange.pause()
        await asyncio.sleep(0.2)  # what was in flight arrives
        for slug in slugs:
            last = [e for e in got.of(BookSnapshot) if e.asset_id == slug][-1]
            bids, asks = sim.us.book(slug)
            assert (list(last.bids), list(last.asks)) == (bids, asks)
        sim.exchange.resume()

        assert sim.faults.drop("/v1/ws/markets") == 1
        await until(lambda: conn.status().reconnects == 1 and conn.state == "live")
        await until(holds(sim, "us-markets", 2))
        assert sim.us.subscriptions("us-markets")[0] == first  # the same requestIds again
        before = len(got.of(BookSnapshot))
        await until(lambda: len(got.of(BookSnapshot)) > before)

        conn.subscribe([slugs_of(sim, 4)[3]])
        await until(lambda: len(sim.us.subscriptions("us-markets")[0]) == 4)
        conn.unsubscribe([slugs[0]])
        # md-1 and md-2 (which held it) end; their other slugs come back as md-5 and md-6.
        await until(lambda: set(sim.us.subscriptions("us-markets")[0]) == {
            "md-3", "md-4", "md-5", "md-6"})
        assert not got.of(FeedError)
    finally:
        conn.stop()
        await asyncio.wait_for(task, 5.0)


async def test_private_feed_every_kind_and_snapshot_after_reconnect(
    sim: ServingExchange,
) -> None:
    got = Recorder()
    conn = Connection(us_private_policy(sim.urls()["us-private"], KEY), got)
    task = asyncio.ensure_future(conn.run())
    try:
        await until(holds(sim, "us-private", 3))  # orders, positions, balances (not the snapshot)
        for _ in range(14):  # two full rounds of the demo account's script
            sim.us.account_step()
        await until(lambda: {type(e).__name__ for e in got.events} >= {
            "OrderEvent", "Fill", "Position", "Balance"})
        await until(lambda: {e.kind for e in got.of(OrderEvent)} >= {
            "NEW", "PARTIAL_FILL", "FILL", "CANCELED", "REJECTED"})
        resting = {o.id for o in sim.us.account.open_orders()}
        assert resting
        sim.faults.drop("/v1/ws/private")
        await until(lambda: conn.status().reconnects == 1 and conn.state == "live")
        await until(lambda: {e.order_id for e in got.of(OrderEvent)
                             if e.kind == "SNAPSHOT"} == resting)
        assert not got.of(FeedError)
        assert SECRET not in got.written()
    finally:
        conn.stop()
        await asyncio.wait_for(task, 5.0)


# --- REST ------------------------------------------------------------------------------------


async def test_signed_positions_and_public_lookups(sim: ServingExchange) -> None:
    for _ in range(3):
        sim.us.account_step()
    base = sim.base_url
    positions = await fetch_positions(base, KEY)
    assert [(p.asset_id, p.size) for p in positions] == [
        (slug, pos.shares) for slug, pos in sim.us.account.positions.items()]
    assert positions and positions[0].size == 10_000_000
    sim.us.account_step()  # one more move: a SELL rests (or nothing), the account has orders
    orders = await fetch_open_orders(base, KEY)
    assert [o.order_id for o in orders] == [o.id for o in sim.us.account.open_orders()]
    assert all(o.venue == "us" and o.kind == "SNAPSHOT" for o in orders)
    [balance] = await fetch_balances(base, KEY)
    assert (balance.cash, balance.open_orders) == (sim.us.account.cash, sim.us.account.held())
    with pytest.raises(HttpError) as caught:
        await fetch_positions(base, OTHER)
    assert caught.value.status == 401
    slug = slugs_of(sim, 1)[0]
    market = await market_by_slug(base, slug)
    assert market.slug == slug and market.token_ids == (slug,)
    found = await search(base, market.question.split()[0])
    assert slug in [m.slug for m in found]
    book = await fetch_book(base, slug)
    assert isinstance(book, BookSnapshot) and book.asset_id == slug
    assert isinstance(await fetch_book(base, "us-no-such-market"), FeedError)


# --- Retry-After -----------------------------------------------------------------------------


async def test_429_backs_off_for_at_least_retry_after() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\n"
                     b"Content-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    got = Recorder()
    conn = Connection(us_markets_policy(f"ws://127.0.0.1:{port}/v1/ws/markets", KEY, ["x"]), got)
    task = asyncio.ensure_future(conn.run())
    try:
        await until(lambda: conn.state == "backoff")
        status = conn.status()
        assert status.backoff_until is not None and status.backoff_until - time.time() > 2.5
        assert "HTTP 429" in status.detail and "Retry-After 3 s" in status.detail
    finally:
        conn.stop()
        await asyncio.wait_for(task, 5.0)
        server.close()
        await server.wait_closed()


# --- the secret stays secret -----------------------------------------------------------------


async def test_the_secret_key_is_in_nothing_written(sim: ServingExchange) -> None:
    """A session with a known key, a refused one and a broken header factory: every status,
    event and error text is searched for the secret (base64 and hex)."""
    written: list[str] = []
    good = Recorder()
    conn = Connection(us_private_policy(sim.urls()["us-private"], KEY), good)
    task = asyncio.ensure_future(conn.run())
    await until(holds(sim, "us-private", 3))  # orders, positions, balances (not the snapshot)
    for _ in range(7):
        sim.us.account_step()
    await until(lambda: len(good.of(OrderEvent)) >= 3)
    conn.stop()
    await asyncio.wait_for(task, 5.0)
    written.append(good.written())
    written.append(repr(conn.status()))

    wrong = UsKey("key-1", base64.b64encode(bytes(range(1, 33))).decode())
    bad = Recorder()
    refused = Connection(us_markets_policy(sim.urls()["us-markets"], wrong, ["x"]), bad)
    await asyncio.wait_for(refused.run(), 5.0)
    written += [bad.written(), repr(refused.status()), repr(wrong), str(KEY)]
    try:
        await fetch_positions(sim.base_url, wrong)
    except HttpError as exc:
        written.append(str(exc))
    text = "\n".join(written)
    for secret in (SECRET, SEED.hex(), base64.b64encode(bytes(range(1, 33))).decode()):
        assert secret not in text
    assert "authentication rejected" in text


async def test_a_403_with_a_plain_text_reason_is_shown_with_it() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 11\r\n\r\nkey revoked")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    conn = Connection(us_private_policy(f"ws://127.0.0.1:{port}/v1/ws/private", KEY),
                      Recorder())
    try:
        await asyncio.wait_for(conn.run(), 5.0)
        assert conn.status().state == "failed"
        assert conn.status().detail == "authentication rejected: HTTP 403 Forbidden: key revoked"
    finally:
        server.close()
        await server.wait_closed()
