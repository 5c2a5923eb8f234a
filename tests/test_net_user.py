"""The user policy and its refusal guard against a scriptable loopback server: the first
message carries the credentials and markets; an error frame or a close right after it stops
the feed at one attempt with "authentication rejected"; a socket that delivered data is lost
like any other and reconnects with the full subscription."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

from pmdash.credentials import ClobCredentials
from pmdash.feeds.user import Identity
from pmdash.models import Event, FeedStatus
from pmdash.net.policy import ClientPing
from pmdash.net.user import user_connection, user_policy
from tests.wsserver import WsServer

pytestmark = pytest.mark.timeout(30)
CREDS = ClobCredentials("k-1", "c2VjcmV0", "phrase-xyz")
FAST = dict(heartbeat=ClientPing(interval=0.2, timeout=2.0), backoff_base=0.05,
            backoff_cap=0.2, close_timeout=0.5)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.02)


def statuses(events: list[Event]) -> list[FeedStatus]:
    return [e for e in events if isinstance(e, FeedStatus)]


@pytest.mark.parametrize("refusal", ["error_frame", "close"])
async def test_a_refusal_stops_at_one_attempt(refusal: str) -> None:
    async with WsServer() as srv:
        events: list[Event] = []
        policy = user_policy(srv.url, CREDS, Identity.of(["k-1"]), ["0xm"], **FAST)
        conn, guard = user_connection(policy, lambda batch, _: events.extend(batch))
        task = asyncio.ensure_future(conn.run())
        server_side = await srv.wait_connection(0)
        await until(lambda: len(server_side.received) >= 1)
        first = json.loads(server_side.texts()[0])
        assert first == {"type": "user", "markets": ["0xm"],
                         "auth": {"apiKey": "k-1", "secret": "c2VjcmV0",
                                  "passphrase": "phrase-xyz"}}
        if refusal == "error_frame":
            await server_side.send('{"event_type":"error","error":"invalid auth"}')
        else:
            await server_side.close(1008, "invalid auth")
        await asyncio.wait_for(task, 5)
        await asyncio.sleep(0.5)  # more than the backoff cap: no second attempt
        assert srv.handshakes == 1
        assert guard.rejected
        last = statuses(events)[-1]
        assert last.state == "failed" and last.detail.startswith("authentication rejected")
        assert "phrase-xyz" not in json.dumps([s.detail for s in statuses(events)])


async def test_a_socket_that_delivered_data_reconnects_and_resubscribes() -> None:
    async with WsServer() as srv:
        events: list[Event] = []
        policy = user_policy(srv.url, CREDS, Identity.of(["k-1"]), ["0xm"], **FAST)
        conn, guard = user_connection(policy, lambda batch, _: events.extend(batch))
        task = asyncio.ensure_future(conn.run())
        try:
            first = await srv.wait_connection(0)
            await first.send(json.dumps({
                "event_type": "order", "type": "PLACEMENT", "id": "0xo", "market": "0xm",
                "asset_id": "A", "side": "BUY", "price": "0.5", "original_size": "10",
                "size_matched": "0", "status": "LIVE", "timestamp": "1790909100"}))
            await until(lambda: any(type(e).__name__ == "OrderEvent" for e in events))
            conn.subscribe(["0xn"])
            await until(lambda: len(first.data_frames()) >= 2)
            assert json.loads(first.data_frames()[1]) == {"operation": "subscribe",
                                                          "markets": ["0xn"]}
            first.drop()
            second = await srv.wait_connection(1)
            await until(lambda: len(second.received) >= 1)
            again = json.loads(second.texts()[0])
            assert again["markets"] == ["0xm", "0xn"] and again["auth"]["apiKey"] == "k-1"
            assert not guard.rejected
        finally:
            conn.stop()
            await asyncio.wait_for(task, 5)
