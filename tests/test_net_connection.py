"""The generic connection loop against a real loopback WebSocket server (tests/wsserver.py).

Intervals are shrunk to tens of milliseconds through the policy; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from typing import Any

import pytest

from pmdash.feeds import market as codec
from pmdash.models import BookSnapshot, Event, FeedError, FeedStatus
from pmdash.net.connection import Connection
from pmdash.net.market import MAX_SIZE, market_policy, market_subscriptions
from pmdash.net.policy import AnswerPing, ClientPing, FeedPolicy
from pmdash.widgets.status_bar import feed_texts
from tests.wsserver import WsServer

A, B, C, D = "1001", "1002", "1003", "1004"
MARKET = "0xabc"


def book_frame(asset: str, *, timestamp: int = 1_700_000_000_000, levels: int = 1) -> str:
    bids = [{"price": "0.48", "size": "10"}]
    if levels > 1:
        bids = [{"price": f"0.{i:06d}", "size": "1"} for i in range(1, levels + 1)]
    return json.dumps(
        {
            "event_type": "book",
            "asset_id": asset,
            "market": MARKET,
            "bids": bids,
            "asks": [{"price": "0.52", "size": "5"}],
            "timestamp": str(timestamp),
            "hash": "h",
        }
    )


def fast_policy(url: str, ids: Iterable[str] = (A, B), **changes: Any) -> FeedPolicy:
    """The market policy with every interval shrunk for tests."""
    base = replace(
        market_policy(url, ids),
        heartbeat=ClientPing(interval=0.05, timeout=0.5),
        silence_timeout=0.5,
        backoff_base=0.05,
        backoff_cap=0.2,
        close_timeout=0.5,
        open_timeout=2.0,
    )
    return replace(base, **changes)


class Recorder:
    """Collects what the connection hands to ``on_events``."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.arrivals: list[float] = []
        self.reconnect_calls = 0
        self.hooks: list[str] = []
        """``lost: <reason>`` and ``reconnect``, in call order."""
        self.fail_on: type | None = None

    def __call__(self, events: list[Event], arrival: float) -> None:
        self.events.extend(events)
        self.arrivals.append(arrival)
        if self.fail_on is not None and any(isinstance(e, self.fail_on) for e in events):
            raise RuntimeError("handler exploded")

    def on_reconnect(self) -> None:
        self.reconnect_calls += 1
        self.hooks.append("reconnect")

    def on_lost(self, reason: str) -> None:
        self.hooks.append(f"lost: {reason}")

    def statuses(self) -> list[FeedStatus]:
        return [e for e in self.events if isinstance(e, FeedStatus)]

    def states(self) -> list[str]:
        return [s.state for s in self.statuses()]

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async def poll() -> None:
            while not predicate():
                await asyncio.sleep(0.005)

        await asyncio.wait_for(poll(), timeout)


@contextlib.asynccontextmanager
async def running(conn: Connection) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``conn`` in a task; stop it and check it ends promptly on the way out."""
    task = asyncio.ensure_future(conn.run())
    try:
        yield task
    finally:
        conn.stop()
        await asyncio.wait_for(task, 3.0)


def is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    it = iter(seen)
    return all(state in it for state in wanted)


async def test_subscription_sent_before_first_ping_with_full_set() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url, [A, B, C]), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await srv.wait_until(lambda: sc.texts().count("PING") >= 2)
        first = json.loads(sc.texts()[0])
        assert first == {
            "type": "market",
            "assets_ids": [A, B, C],
            "custom_feature_enabled": True,
            "initial_dump": True,
        }
        assert set(sc.texts()[1:]) == {"PING"}
        assert sc.path == "/ws/market"


async def test_ping_cadence_follows_interval() -> None:
    interval = 0.08
    async with WsServer() as srv:
        conn = Connection(fast_policy(srv.url, heartbeat=ClientPing(interval=interval)), Recorder())
        async with running(conn):
            sc = await srv.wait_connection(0)
            await srv.wait_until(lambda: sc.texts().count("PING") >= 6)
    times = [t for m, t in zip(sc.texts(), sc.received_at, strict=True) if m == "PING"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Never faster than the interval allows (the loop's own rule: at least half of it).
    assert min(gaps) >= interval * 0.5 - 0.01
    assert sum(gaps) / len(gaps) >= interval * 0.8


async def test_pong_timeout_reconnects_and_resubscribes() -> None:
    async with WsServer(answer_ping=False) as srv:
        rec = Recorder()
        policy = fast_policy(
            srv.url, heartbeat=ClientPing(interval=0.05, timeout=0.3), silence_timeout=None
        )
        conn = Connection(policy, rec, on_reconnect=rec.on_reconnect)
        async with running(conn):
            second = await srv.wait_connection(1)
            await srv.wait_frames(second, 1)
        stale = [s for s in rec.statuses() if s.state == "stale"]
        assert stale and "no PONG" in stale[0].detail
        assert json.loads(second.data_frames()[0])["assets_ids"] == [A, B]
        assert conn.status().reconnects >= 1
        assert rec.reconnect_calls >= 1


async def test_a_late_pong_shows_stale_on_the_same_socket_until_it_comes() -> None:
    """A server that stops answering is shown at once (``late``), not only when the watchdog
    drops the socket (``timeout``); a reply that does come makes the feed live again."""
    async with WsServer(answer_ping=False) as srv:
        rec = Recorder()
        ping = ClientPing(interval=0.05, timeout=10.0, late=0.2)
        conn = Connection(fast_policy(srv.url, heartbeat=ping, silence_timeout=None), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "stale")
            assert conn.status().detail == "no PONG or data for 0.2 s after a PING"
            srv.answer_ping = True
            await sc.send("PONG")
            await rec.wait(lambda: conn.state == "live")
            await asyncio.sleep(0.4)  # pings answered from here on: it stays live
            assert conn.state == "live"
        states = [s.state for s in rec.statuses()]
        assert states[:3] == ["connecting", "live", "stale"] and "live" in states[3:]
        assert len(srv.connections) == 1 and conn.status().reconnects == 0


async def test_a_quiet_server_is_probed_so_a_stall_shows_before_the_next_interval() -> None:
    """PINGs go every 10 s, so a stall used to go unseen for up to interval + late (15 s),
    with the books on screen shown live. After ``probe`` s with nothing from the server a PING
    goes at once; with nothing back for ``late`` s more the feed is stale; then any frame, data
    as much as a PONG, shows the server is back (the stall's data was only delayed)."""
    async with WsServer(answer_ping=False) as srv:
        rec = Recorder()
        ping = ClientPing(interval=30.0, timeout=30.0, probe=0.2, late=0.2)
        conn = Connection(fast_policy(srv.url, heartbeat=ping, silence_timeout=None), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            started = time.perf_counter()
            await rec.wait(lambda: conn.state == "stale")
            assert time.perf_counter() - started < 5.0  # the interval (30 s) would be far later
            assert conn.status().detail == "no PONG or data for 0.2 s after a PING"
            assert sc.texts().count("PING") == 1  # one probe; none more while it is unanswered
            await sc.send(book_frame(A))  # data, not a PONG
            await rec.wait(lambda: conn.state == "live")
        assert len(srv.connections) == 1 and conn.status().reconnects == 0


async def test_a_server_back_for_one_frame_then_quiet_again_is_probed_again() -> None:
    """After a quiet spell ends with one frame, the next probe counts from that frame; the
    keeper used to sleep until the next regular PING (the interval), so a server that went
    quiet again showed live for up to interval + late."""
    async with WsServer(answer_ping=False) as srv:
        rec = Recorder()
        ping = ClientPing(interval=30.0, timeout=30.0, probe=0.2, late=0.2)
        conn = Connection(fast_policy(srv.url, heartbeat=ping, silence_timeout=None), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "stale")
            await sc.send(book_frame(A))
            await rec.wait(lambda: conn.state == "live")
            await rec.wait(lambda: conn.state == "stale", timeout=5.0)  # not 30 s
            assert sc.texts().count("PING") == 2  # one probe per quiet spell
        states = [s.state for s in rec.statuses()]
        assert states[:5] == ["connecting", "live", "stale", "live", "stale"]


async def test_a_server_streaming_data_is_live_though_its_pongs_are_late() -> None:
    """Data arriving is the server answering: the feed is not shown stale for a missing
    PONG while frames flow (the ``timeout`` still drops a socket that never answers)."""
    async with WsServer(answer_ping=False) as srv:
        rec = Recorder()
        ping = ClientPing(interval=0.05, timeout=30.0, probe=0.05, late=0.15)
        conn = Connection(fast_policy(srv.url, heartbeat=ping, silence_timeout=None), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await srv.wait_until(lambda: sc.texts().count("PING") >= 2)
            end = time.perf_counter() + 0.8
            while time.perf_counter() < end:
                await sc.send(book_frame(A))
                await asyncio.sleep(0.03)
            assert conn.state == "live"
        assert "stale" not in [s.state for s in rec.statuses()]


async def test_an_answering_quiet_server_is_probed_a_bounded_number_of_times() -> None:
    """A quiet market is not a stalled one: probes are answered and the feed stays live, and
    a probe goes only after ``probe`` s of quiet (not in a loop)."""
    async with WsServer() as srv:
        rec = Recorder()
        ping = ClientPing(interval=30.0, timeout=30.0, probe=0.1, late=0.5)
        conn = Connection(fast_policy(srv.url, heartbeat=ping, silence_timeout=None), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await asyncio.sleep(1.0)
            pings = sc.texts().count("PING")
            assert conn.state == "live"
        # One per 0.1 s of quiet after each reply (plus its round trip); not one per ``late``
        # (the keeper used to sleep until then after a reply), nor a loop.
        assert 5 <= pings <= 11
        assert "stale" not in [s.state for s in rec.statuses()]


async def test_silence_watchdog_reconnects() -> None:
    async with WsServer() as srv:
        srv.stalled = True  # reads, never answers
        rec = Recorder()
        policy = fast_policy(srv.url, heartbeat=None, silence_timeout=0.3)
        conn = Connection(policy, rec)
        async with running(conn):
            await srv.wait_connection(1)
        stale = [s for s in rec.statuses() if s.state == "stale"]
        assert stale and "no frame for 0.3 s" in stale[0].detail


async def test_answered_pings_keep_a_quiet_socket_alive() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        policy = fast_policy(
            srv.url, heartbeat=ClientPing(interval=0.05, timeout=0.25), silence_timeout=0.25
        )
        conn = Connection(policy, rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            # Many timeout periods pass with nothing but PING/PONG on the wire.
            await srv.wait_until(lambda: sc.texts().count("PING") >= 20)
            assert conn.status().state == "live"
        assert len(srv.connections) == 1
        assert conn.status().reconnects == 0
        assert "stale" not in rec.states()


async def test_server_close_reconnects_with_full_set_including_dynamic_adds() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url, [A, B]), rec, on_reconnect=rec.on_reconnect)
        async with running(conn):
            first = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            conn.subscribe([C])
            frames = await srv.wait_frames(first, 2)
            assert json.loads(frames[1]) == {
                "operation": "subscribe",
                "assets_ids": [C],
                "custom_feature_enabled": True,
            }
            assert rec.reconnect_calls == 0
            await first.close(1011, "test restart")
            second = await srv.wait_connection(1)
            frames2 = await srv.wait_frames(second, 1)
            await rec.wait(lambda: rec.states().count("live") >= 2)
        assert json.loads(frames2[0])["assets_ids"] == [A, B, C]
        assert rec.reconnect_calls == 1
        assert is_subsequence(["connecting", "live", "backoff", "connecting", "live"], rec.states())
        backoff = next(s for s in rec.statuses() if s.state == "backoff")
        assert backoff.backoff_until is not None and backoff.backoff_until >= time.time() - 5
        assert "1011" in backoff.detail
        assert backoff.reconnects == 0  # a retry scheduled is not a reconnection
        assert [s.reconnects for s in rec.statuses() if s.state == "live"] == [0, 1]
        assert conn.status().reconnects == 1


async def test_dynamic_changes_send_only_differences_and_never_reconnect() -> None:
    async with WsServer() as srv:
        conn = Connection(fast_policy(srv.url, [A, B]), Recorder())
        async with running(conn):
            sc = await srv.wait_connection(0)
            await srv.wait_frames(sc, 1)
            conn.subscribe([B, C, C])  # B is active already; C named twice
            conn.subscribe([A])  # nothing new: sends nothing
            conn.unsubscribe([D])  # never subscribed: sends nothing
            conn.unsubscribe([B])
            conn.resync([A, D])  # D is not active: only A is re-requested
            frames = await srv.wait_frames(sc, 5)
            assert [json.loads(f) for f in frames[1:]] == [
                {"operation": "subscribe", "assets_ids": [C], "custom_feature_enabled": True},
                {"operation": "unsubscribe", "assets_ids": [B]},
                {"operation": "unsubscribe", "assets_ids": [A]},
                {"operation": "subscribe", "assets_ids": [A], "custom_feature_enabled": True},
            ]
            assert conn.wanted() == (A, C)
            # A sentinel change after a pause: nothing else was queued in between.
            conn.subscribe([D])
            frames = await srv.wait_frames(sc, 6)
            assert json.loads(frames[5])["assets_ids"] == [D]
        assert len(srv.connections) == 1
        assert conn.status().reconnects == 0


async def test_changes_while_disconnected_shape_the_next_subscription() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(
            fast_policy(srv.url, [A, B], backoff_base=0.3, backoff_cap=0.3, jitter="none"), rec
        )
        conn.subscribe([C])  # before run(): only the set changes
        async with running(conn):
            first = await srv.wait_connection(0)
            frames = await srv.wait_frames(first, 1)
            assert json.loads(frames[0])["assets_ids"] == [A, B, C]
            first.drop()
            await rec.wait(lambda: conn.state == "backoff")
            conn.unsubscribe([A])
            conn.subscribe([D])
            conn.resync([B])
            second = await srv.wait_connection(1)
            await srv.wait_frames(second, 1)
            await rec.wait(lambda: rec.states().count("live") >= 2)
            await srv.wait_until(lambda: "PING" in second.texts())
        assert first.data_frames() == frames[:1]
        data = second.data_frames()
        assert len(data) == 1, data  # the full set, and no stale operation frames
        assert json.loads(data[0])["assets_ids"] == [B, C, D]


async def test_garbage_frames_are_counted_and_the_connection_stays_up() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            await sc.send("not json at all")
            await sc.send('{"event_type": "book", "asset_id": ')
            await sc.send(book_frame(A))
            await rec.wait(lambda: len(rec.of(BookSnapshot)) == 1)
            status = conn.status()
        assert status.decode_errors == 2
        assert status.state == "live"
        assert len(rec.of(FeedError)) == 2
        assert len(srv.connections) == 1


async def test_on_events_exception_does_not_stop_the_loop() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        rec.fail_on = BookSnapshot
        conn = Connection(fast_policy(srv.url), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            await sc.send(book_frame(A))
            await sc.send(book_frame(B))
            await rec.wait(lambda: len(rec.of(BookSnapshot)) == 2)
            status = conn.status()
        assert status.state == "live"
        assert "on_events raised 2 time(s)" in status.detail
        assert "handler exploded" in status.detail
        assert len(srv.connections) == 1


async def test_large_frame_accepted() -> None:
    frame = book_frame(A, levels=60_000)
    assert len(frame) > 2**21  # over 2 MiB: twice websockets' default limit
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec)
        assert conn.policy.max_size == MAX_SIZE
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            await sc.send(frame)
            await rec.wait(lambda: len(rec.of(BookSnapshot)) == 1)
        assert len(rec.of(BookSnapshot)[0].bids) == 60_000
        assert len(srv.connections) == 1


async def test_status_counts_rate_and_latency() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            old = int(time.time() * 1000) - 5_000
            for i in range(20):
                await sc.send(book_frame(A, timestamp=old + i))
            await rec.wait(lambda: len(rec.of(BookSnapshot)) == 20)
            status = conn.status()
        assert status.frames >= 20
        assert status.frames_per_s > 0
        assert status.last_frame_age_s is not None and status.last_frame_age_s >= 0
        assert status.latency_ms is not None and status.latency_ms >= 4_900
        # Measured at arrival: a feed gone quiet keeps its latency (its age grows instead).
        await asyncio.sleep(0.3)
        assert conn.status().latency_ms == status.latency_ms
        assert status.url == srv.url and status.feed == "market"
        # Frames reach on_events with their arrival stamp, in order.
        assert rec.arrivals == sorted(rec.arrivals)


async def test_a_timestamp_far_in_the_future_does_not_stick_as_the_latency() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            await sc.send(book_frame(A, timestamp=9_223_372_036_854_775_807))
            now = int(time.time() * 1000)
            await sc.send(book_frame(A, timestamp=now - 2_000))
            await rec.wait(lambda: len(rec.of(BookSnapshot)) == 2)
            latency = conn.status().latency_ms
        assert latency is not None and 1_900 <= latency < 60_000


async def test_answer_ping_heartbeat() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url, heartbeat=AnswerPing()), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            await sc.send("ping")
            await srv.wait_until(lambda: "pong" in sc.texts())
            assert "PING" not in sc.texts()
        assert conn.status().decode_errors == 0  # the heartbeat never reaches the codec


async def test_headers_factory_called_on_every_connect() -> None:
    calls: list[int] = []

    def headers() -> dict[str, str]:
        calls.append(1)
        return {"X-Attempt": str(len(calls))}

    async with WsServer() as srv:
        conn = Connection(fast_policy(srv.url, headers=headers), Recorder())
        async with running(conn):
            first = await srv.wait_connection(0)
            await srv.wait_frames(first, 1)
            first.drop()
            second = await srv.wait_connection(1)
        assert first.headers["X-Attempt"] == "1"
        assert second.headers["X-Attempt"] == "2"


async def test_handshake_rejection_is_a_permanent_failure() -> None:
    async with WsServer() as srv:
        srv.reject_status = 403
        rec = Recorder()
        conn = Connection(fast_policy(srv.url, retry_after_failure=False), rec)
        await asyncio.wait_for(conn.run(), 3.0)
        status = conn.status()
        assert status.state == "failed"
        assert "HTTP 403" in status.detail
        assert srv.handshakes == 1


async def test_handshake_rejection_keeps_retrying_at_the_cap_when_allowed() -> None:
    async with WsServer() as srv:
        srv.reject_status = 401
        rec = Recorder()
        conn = Connection(fast_policy(srv.url, backoff_cap=0.1), rec)
        async with running(conn):
            await srv.wait_until(lambda: srv.handshakes >= 2)
            failed = [s for s in rec.statuses() if s.state == "failed"]
            assert failed and "HTTP 401" in failed[0].detail
            assert failed[0].backoff_until is not None
            srv.reject_status = None  # the server heals: the loop comes back by itself
            await rec.wait(lambda: conn.state == "live")


async def test_server_error_status_is_transient() -> None:
    async with WsServer() as srv:
        srv.reject_status = 503
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec)
        async with running(conn):
            await srv.wait_until(lambda: srv.handshakes >= 2)
        assert "failed" not in rec.states()
        assert "backoff" in rec.states()


async def test_invalid_url_fails_and_returns() -> None:
    rec = Recorder()
    conn = Connection(fast_policy("http://127.0.0.1:1/not-a-websocket"), rec)
    await asyncio.wait_for(conn.run(), 2.0)
    assert conn.status().state == "failed"
    assert "invalid URL" in conn.status().detail


async def test_refused_connection_backs_off_and_stop_ends_run_promptly() -> None:
    async with WsServer() as srv:
        url = srv.url
    # The server is gone: nothing listens on that port any more.
    rec = Recorder()
    conn = Connection(fast_policy(url, backoff_base=0.05, backoff_cap=5.0, jitter="none"), rec)
    task = asyncio.ensure_future(conn.run())
    await rec.wait(lambda: conn.retries >= 3)
    assert conn.state in ("backoff", "connecting")
    assert "failed" not in rec.states()
    assert conn.status().reconnects == 0  # attempts, however many, are not reconnections
    connecting = [s.detail for s in rec.statuses() if s.state == "connecting"]
    # Each retry names why the last attempt ended (not only its number).
    assert any(
        d.startswith("retry 2 after: connect failed: ConnectionRefusedError") for d in connecting
    )
    conn.stop()
    await asyncio.wait_for(task, 1.0)
    assert conn.state == "stopped"


async def test_stop_closes_a_live_socket_cleanly() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec)
        task = asyncio.ensure_future(conn.run())
        sc = await srv.wait_connection(0)
        await rec.wait(lambda: conn.state == "live")
        conn.stop()
        await asyncio.wait_for(task, 1.0)
        await srv.wait_until(lambda: sc.closed)
        assert sc.ws.close_code == 1000
        assert rec.states()[-1] == "stopped"


async def test_run_twice_at_once_is_refused() -> None:
    async with WsServer() as srv:
        conn = Connection(fast_policy(srv.url), Recorder())
        async with running(conn):
            await srv.wait_connection(0)
            with pytest.raises(RuntimeError):
                await conn.run()


def test_market_policy_defaults() -> None:
    policy = market_policy("wss://example.invalid/ws/market", [A, B], custom_features=False)
    assert policy.feed == "market"
    assert policy.heartbeat == ClientPing(interval=10.0, text="PING", reply="PONG", timeout=30.0)
    assert policy.silence_timeout == 30.0
    assert policy.max_size == 16 * 2**20
    assert policy.backoff_base == 1.0 and policy.backoff_cap == 60.0
    assert json.loads(policy.subscriptions.open()[0]) == {
        "type": "market",
        "assets_ids": [A, B],
        "custom_feature_enabled": False,
        "initial_dump": True,
    }
    assert policy.decode is codec.decode


def test_market_subscriptions_track_the_active_set() -> None:
    subs = market_subscriptions([A])
    assert subs.add([B]) == []  # closed: only the wanted set changes
    assert json.loads(subs.open()[0])["assets_ids"] == [A, B]
    assert subs.add([A, B]) == []
    assert [json.loads(f) for f in subs.add([C, C])] == [
        {"operation": "subscribe", "assets_ids": [C], "custom_feature_enabled": True}
    ]
    assert [json.loads(f) for f in subs.remove([A, D])] == [
        {"operation": "unsubscribe", "assets_ids": [A]}
    ]
    assert subs.resync([D]) == []
    assert len(subs.resync([B])) == 2
    subs.close()
    assert subs.active() == () and subs.wanted() == (B, C)
    assert subs.remove([B]) == [] and subs.wanted() == (C,)
    assert json.loads(subs.open()[0])["assets_ids"] == [C]


async def test_stop_before_run_returns_at_once() -> None:
    rec = Recorder()
    conn = Connection(fast_policy("ws://127.0.0.1:9/ws/market"), rec)
    conn.stop()
    await asyncio.wait_for(conn.run(), 1.0)
    assert rec.states() == ["stopped"]


async def test_lost_socket_is_reported_at_once_and_before_the_reconnect() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        # A near-zero backoff is the worst case: the reconnect hook can fire before the
        # server's close() returns, so every wait below must tolerate later hooks.
        policy = fast_policy(srv.url, backoff_base=0.0005, backoff_cap=0.0005, jitter="none")
        conn = Connection(policy, rec, on_reconnect=rec.on_reconnect, on_lost=rec.on_lost)
        async with running(conn):
            first = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            assert rec.hooks == []
            await first.close(1011, "test restart")
            await rec.wait(lambda: len(rec.hooks) >= 1)
            assert rec.hooks[0].startswith("lost: ") and "1011" in rec.hooks[0]
            second = await srv.wait_connection(1)
            await srv.wait_frames(second, 1)
            await rec.wait(lambda: rec.states().count("live") >= 2)
            second.drop()
            await srv.wait_connection(2)
            await rec.wait(lambda: len(rec.hooks) >= 4)
        assert [h.split(":")[0] for h in rec.hooks] == ["lost", "reconnect", "lost", "reconnect"]
        assert len(rec.hooks) == 4  # stop() ended the third socket: not a loss to report


async def test_on_lost_exception_is_counted_not_fatal() -> None:
    def explode(reason: str) -> None:
        raise ValueError("cannot mark books stale")

    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec, on_lost=explode)
        async with running(conn):
            (await srv.wait_connection(0)).drop()
            second = await srv.wait_connection(1)
            await srv.wait_frames(second, 1)
            await rec.wait(lambda: rec.states().count("live") >= 2)
            assert "cannot mark books stale" in conn.status().detail


async def test_on_reconnect_exception_is_counted_not_fatal() -> None:
    def explode() -> None:
        raise ValueError("cannot mark books")

    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec, on_reconnect=explode)
        async with running(conn):
            first = await srv.wait_connection(0)
            await srv.wait_frames(first, 1)
            first.drop()
            second = await srv.wait_connection(1)
            await srv.wait_frames(second, 1)  # still resubscribed after the hook failed
            await rec.wait(lambda: rec.states().count("live") >= 2)
            assert "cannot mark books" in conn.status().detail


async def test_a_server_that_only_answers_pings_shows_its_data_growing_old() -> None:
    """Found in review: PONGs counted as frames, so a paused server that still answered PINGs
    showed a rate and an age under a second for as long as it stayed paused. Now the rate, the
    count and the age are of data frames; the PONGs still keep the socket (and its state)
    live, past the silence watchdog."""
    async with WsServer() as srv:
        rec = Recorder()
        policy = fast_policy(srv.url, rate_window=0.4)  # PING every 0.05 s, silence 0.5 s
        conn = Connection(policy, rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            for _ in range(3):
                await sc.send(book_frame(A))
            await rec.wait(lambda: len(rec.of(BookSnapshot)) == 3)
            pings = sc.texts().count("PING")
            await asyncio.sleep(1.0)  # twice the silence timeout: only PONGs meanwhile
            status = conn.status()
            assert sc.texts().count("PING") >= pings + 5  # and each was answered
        assert status.state == "live"
        assert len(srv.connections) == 1 and status.reconnects == 0
        assert status.frames == 3
        assert status.frames_per_s == 0
        assert status.last_frame_age_s is not None and status.last_frame_age_s >= 0.9


async def test_server_pings_answered_are_not_data_frames() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url, heartbeat=AnswerPing()), rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            for _ in range(5):
                await sc.send("ping")
            await srv.wait_until(lambda: sc.texts().count("pong") == 5)
            status = conn.status()
            assert (status.frames, status.frames_per_s, status.last_frame_age_s) == (0, 0, None)
            await sc.send(book_frame(A))
            await rec.wait(lambda: conn.status().frames == 1)
            status = conn.status()
        assert status.frames_per_s > 0
        assert status.last_frame_age_s is not None and status.last_frame_age_s < 5


async def test_the_age_of_the_last_data_frame_stays_known_while_backing_off() -> None:
    """During an outage the status still says how old the data on screen is, and the status
    bar shows it (before, the bar showed no age outside live and stale)."""
    async with WsServer() as srv:
        rec = Recorder()
        policy = fast_policy(srv.url, backoff_base=5.0, backoff_cap=5.0, jitter="none")
        conn = Connection(policy, rec)
        async with running(conn):
            sc = await srv.wait_connection(0)
            await sc.send(book_frame(A))
            await rec.wait(lambda: len(rec.of(BookSnapshot)) == 1)
            await sc.close(1011, "test restart")
            await rec.wait(lambda: conn.state == "backoff")
            await asyncio.sleep(0.2)
            status = conn.status()
        assert status.state == "backoff" and status.frames == 1
        assert status.last_frame_age_s is not None and status.last_frame_age_s >= 0.2
        texts = [text for text, _ in feed_texts(status, time.time())]
        assert texts[0] == "backoff" and texts[1].startswith("age 0.")
        assert texts[2].startswith("retry in ")


async def test_reconnects_count_sockets_opened_not_attempts() -> None:
    """Found in review: one outage with one reconnection read "↻5", as every attempt was
    counted. Attempts that fail are ``retries`` (back to 0 once a socket opens)."""
    async with WsServer() as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url, backoff_cap=0.05), rec)
        async with running(conn):
            first = await srv.wait_connection(0)
            await rec.wait(lambda: conn.state == "live")
            srv.reject_status = 503
            await first.close(1011, "test restart")
            await srv.wait_until(lambda: srv.handshakes >= 4)
            assert conn.status().reconnects == 0 and conn.retries >= 3
            srv.reject_status = None
            await rec.wait(lambda: rec.states().count("live") >= 2)
            assert conn.retries == 0
            second = srv.connections[1]
            second.drop()
            await srv.wait_connection(2)
            await rec.wait(lambda: rec.states().count("live") >= 3)
            status = conn.status()
        assert srv.handshakes >= 5 and len(srv.connections) == 3
        assert status.reconnects == 2
        assert [s.reconnects for s in rec.statuses() if s.state == "live"] == [0, 1, 2]
