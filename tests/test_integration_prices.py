"""The reference-price feeds end to end over loopback: the embedded exchange's PolyBolt and RTDS,
the generic ``Connection`` with each feed's policy, the codecs and the ``PriceBoard``.

Every wait is bounded in time; intervals are shortened where the test is about timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from pmdash.credentials import ClobCredentials
from pmdash.models import Event, FeedAck, FeedStatus, PriceTick
from pmdash.net.connection import Connection
from pmdash.net.policy import CloseRule
from pmdash.net.polybolt import polybolt_policy
from pmdash.net.rtds import rtds_policy
from pmdash.sim.credentials import new_credentials
from pmdash.sim.polybolt import PATH as BOLT_PATH
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.state.prices import RTDS_SILENT, PriceBoard

GOOD = new_credentials()
WRONG = ClobCredentials(GOOD.api_key, "d3JvbmctYnV0LWxvb2tzLWZpbmU", "wrong-passphrase-0000")
KEYS = ["price.crypto:btcusd", "price.crypto.twap:btcusd:60", "price.crypto:ethusd"]


@contextlib.asynccontextmanager
async def exchange(**kw: object) -> AsyncIterator[ServingExchange]:
    async with serve_exchange(rate=5, markets=2, lifecycle_s=0, clob_keys=[GOOD],
                              price_interval=0.05, **kw) as serving:  # type: ignore[arg-type]
        yield serving


class Client:
    """A connection feeding a board, recording every event it was handed."""

    def __init__(self, policy_conn: Connection | None = None, **board_kw: object) -> None:
        self.events: list[Event] = []
        self.board = PriceBoard(**board_kw)  # type: ignore[arg-type]
        self.conn = policy_conn

    def __call__(self, events: list[Event], arrival: float) -> None:
        self.events.extend(events)
        self.board.apply_all(events)

    def of(self, kind: type) -> list[object]:
        return [e for e in self.events if isinstance(e, kind)]

    def written(self) -> str:
        """Everything pmdash could show or log about this feed."""
        parts = [repr(e) for e in self.events]
        parts += self.board.notices()
        if self.conn is not None:
            parts.append(repr(self.conn.status()))
            parts.append(repr(self.conn.policy))
        return "\n".join(parts)


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


@contextlib.asynccontextmanager
async def running(conn: Connection) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.ensure_future(conn.run())
    try:
        yield task
    finally:
        conn.stop()
        await asyncio.wait_for(task, 5.0)


def bolt(url: str, client: Client, creds: ClobCredentials = GOOD, **kw: object) -> Connection:
    policy = polybolt_policy(url, creds, KEYS)
    changes: dict[str, object] = {"backoff_base": 0.05, "backoff_cap": 0.2, **kw}
    policy = replace(policy, **changes)  # type: ignore[arg-type]
    conn = Connection(policy, client)
    client.conn = conn
    return conn


async def test_accepted_credentials_bring_snapshots_then_updates() -> None:
    async with exchange() as ex:
        client = Client()
        conn = bolt(ex.urls()["polybolt"], client)
        async with running(conn):
            await wait_for(lambda: len([t for t in client.of(PriceTick)
                                        if not t.snapshot]) >= 6)  # type: ignore[attr-defined]
        acks = client.of(FeedAck)
        assert [a.op for a in acks][:1] == ["authed"]  # type: ignore[attr-defined]
        assert {a.channel for a in acks if a.op == "subscribed"} == {  # type: ignore[attr-defined]
            "price.crypto", "price.crypto.twap"}
        spot = client.board.primary("btcusd")
        twap = client.board.secondary("btcusd")
        assert spot is not None and twap is not None
        assert (spot.source, twap.source, twap.kind) == ("pyth", "chainlink", "twap")
        assert len(spot.points) >= 120  # the two-minute snapshot, then updates
        truth = ex.prices.engine.history("pyth", "spot", "btcusd")
        held = dict(spot.points)
        assert all(held[ts] == value for ts, value in truth if ts in held)  # exact values
        assert client.board.basis("btcusd") is not None


async def test_a_wrong_secret_is_said_plainly_once_without_a_retry_storm_or_the_secret() -> None:
    async with exchange() as ex:
        refused, other = Client(), Client(feeds=("rtds",))
        conn = bolt(ex.urls()["polybolt"], refused, WRONG)
        rtds = Connection(replace(rtds_policy(ex.urls()["rtds"]), backoff_base=0.05), other)
        async with running(conn), running(rtds):
            await wait_for(lambda: bool(refused.board.notices()))
            await wait_for(lambda: len(other.of(PriceTick)) >= 10)  # another feed is unaffected
            await asyncio.sleep(0.5)
            (notice,) = refused.board.notices()
            assert "auth_invalid" in notice and "CLOB_SECRET" in notice
            assert ex.prices.polybolt.auth_attempts == 1  # one auth, no loop
            assert refused.of(PriceTick) == []
            codes = {a.code for a in refused.of(FeedAck) if a.op == "error"}  # type: ignore[attr-defined]
            assert codes == {"auth_invalid", "auth_required"}
        written = refused.written()
        assert WRONG.secret not in written and WRONG.passphrase not in written
        assert GOOD.secret not in written


async def test_a_close_4001_ends_the_feed_as_failed_naming_the_settings() -> None:
    async with exchange() as ex:
        ex.prices.polybolt.auth_failure = "close"
        client = Client()
        conn = bolt(ex.urls()["polybolt"], client, WRONG)
        await asyncio.wait_for(conn.run(), 5.0)  # ends by itself: no retry with the same keys
        status = conn.status()
        assert status.state == "failed"
        assert "CLOB_API_KEY" in status.detail and "4001" in status.detail
        await asyncio.sleep(0.3)
        assert ex.prices.polybolt.auth_attempts == 1
        assert WRONG.secret not in client.written()
        assert WRONG.passphrase not in client.written()


async def test_a_reconnect_authenticates_resubscribes_and_takes_fresh_snapshots() -> None:
    async with exchange() as ex:
        client = Client()
        conn = bolt(ex.urls()["polybolt"], client)
        async with running(conn):
            await wait_for(lambda: len(client.of(PriceTick)) > 250)
            first_count = len(client.events)
            assert ex.faults.drop(BOLT_PATH) == 1
            await wait_for(lambda: conn.status().reconnects == 1)
            await wait_for(lambda: any(isinstance(e, PriceTick) and e.snapshot
                                       for e in client.events[first_count:]))
            await wait_for(lambda: sum(1 for e in client.events[first_count:]
                                       if isinstance(e, PriceTick) and not e.snapshot) >= 6)
        after = client.events[first_count:]
        assert [a.op for a in after if isinstance(a, FeedAck)][:1] == ["authed"]
        snaps = [t for t in after if isinstance(t, PriceTick) and t.snapshot]
        assert {t.channel for t in snaps} == {"price.crypto", "price.crypto.twap"}
        assert {t.seq for t in snaps if t.channel == "price.crypto.twap"} == {1}  # seq restarted
        for series in client.board.series("btcusd"):
            stamps = [ts for ts, _ in series.points]
            assert stamps == sorted(set(stamps))  # merged without duplicates
            assert not [g for g in series.gaps if g.reason == "seq"]  # a restart is not a loss
        assert ex.prices.polybolt.auth_attempts == 2


async def test_dropped_frames_reach_the_board_as_a_gap() -> None:
    async with exchange() as ex:
        client = Client()
        conn = bolt(ex.urls()["polybolt"], client)
        async with running(conn):
            await wait_for(lambda: len(client.of(PriceTick)) > 250)
            ex.prices.polybolt.drop_frames(4, "price.crypto.twap")
            twap = client.board.secondary("btcusd")
            assert twap is not None
            await wait_for(lambda: any(g.reason == "dropped" for g in twap.gaps))
        (gap,) = [g for g in twap.gaps if g.reason == "dropped"]
        assert gap.dropped >= 1


async def test_history_stays_bounded_while_prices_stream() -> None:
    async with exchange() as ex:
        client = Client(max_points=40)
        conn = bolt(ex.urls()["polybolt"], client)
        async with running(conn):
            await wait_for(lambda: len(client.of(PriceTick)) > 400)
        for symbol in client.board.symbols():
            for series in client.board.series(symbol):
                assert len(series.points) <= 40


async def test_rtds_sends_ping_at_its_interval_and_streams_both_sources() -> None:
    async with exchange() as ex:
        client = Client(feeds=("rtds",))
        conn = Connection(replace(rtds_policy(ex.urls()["rtds"], ping_interval=0.1),
                                  backoff_base=0.05), client)
        async with running(conn):
            await wait_for(lambda: conn.state == "live")
            start, before = time.monotonic(), ex.prices.rtds.pings
            await asyncio.sleep(1.0)
            pings = ex.prices.rtds.pings - before
            elapsed = time.monotonic() - start
        assert elapsed / 0.1 - 3 <= pings <= elapsed / 0.1 + 1, pings
        sources = {t.source for t in client.of(PriceTick)}  # type: ignore[attr-defined]
        assert sources == {"binance", "chainlink"}
        assert client.of(FeedStatus)  # the PONGs are heartbeats, not decode errors
        assert conn.status().decode_errors == 0


async def test_a_retired_rtds_is_reported_not_shown_healthy() -> None:
    async with exchange() as ex:
        ex.prices.rtds.retired = True
        client = Client(feeds=("rtds",), quiet_ms=500)
        conn = Connection(replace(rtds_policy(ex.urls()["rtds"], ping_interval=0.1),
                                  backoff_base=0.05), client)
        async with running(conn):
            await wait_for(lambda: conn.state == "live")
            await wait_for(lambda: client.board.notices() == [RTDS_SILENT], timeout=3.0)
            assert conn.state == "live"  # the socket is fine: it answers PING


async def test_a_draining_server_is_left_for_a_reconnect_after_its_rule_delay() -> None:
    async with exchange() as ex:
        client = Client()
        rules = {4003: CloseRule(retry=True, delay_min=0.0, delay_max=0.2, reason="draining")}
        conn = bolt(ex.urls()["polybolt"], client, close_rules=rules, backoff_base=5.0,
                    backoff_cap=10.0)
        async with running(conn):
            await wait_for(lambda: len(client.of(PriceTick)) > 200)
            assert await ex.prices.polybolt.close_all(4003, "draining") == 1
            await wait_for(lambda: conn.status().reconnects == 1, timeout=3.0)
            await wait_for(lambda: conn.state == "live")
