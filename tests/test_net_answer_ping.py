"""``AnswerPing``: the client answers the server's text ping, and a server that stops pinging
(while still sending data) is dropped as stale and reconnected."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace

from websockets.exceptions import ConnectionClosed

from pmdash.models import Event, FeedStatus, GameScore
from pmdash.net.connection import Connection
from pmdash.net.policy import AnswerPing
from pmdash.net.sports import sports_policy
from tests.wsserver import WsServer

GAME = json.dumps({"gameId": 1, "leagueAbbreviation": "nba", "status": "InProgress",
                   "score": "1-0", "live": True, "ended": False})


@contextlib.asynccontextmanager
async def running(conn: Connection) -> AsyncIterator[None]:
    task = asyncio.ensure_future(conn.run())
    try:
        yield
    finally:
        conn.stop()
        await asyncio.wait_for(task, 3.0)


def fast(url: str, timeout: float) -> Connection:
    policy = replace(sports_policy(url, ping_timeout=timeout), backoff_base=0.05,
                     backoff_cap=0.1, close_timeout=0.5)
    events: list[Event] = []
    conn = Connection(policy, lambda batch, _arrival: events.extend(batch))
    conn.events = events  # type: ignore[attr-defined]
    return conn


async def test_pings_keep_the_socket_and_each_is_answered() -> None:
    async with WsServer("/sports") as srv:
        conn = fast(srv.url, timeout=0.4)
        async with running(conn):
            sc = await srv.wait_connection(0)
            for _ in range(8):  # 0.8 s: twice the timeout, kept alive by the pings
                await sc.send("ping")
                await sc.send(GAME)
                await asyncio.sleep(0.1)
            await srv.wait_until(lambda: sc.texts().count("pong") == 8)
            assert conn.state == "live"
            assert len(srv.connections) == 1
        games = [e for e in conn.events if isinstance(e, GameScore)]  # type: ignore[attr-defined]
        assert len(games) == 8
        assert conn.status().frames == 8  # pings are heartbeats, not data


async def test_data_without_pings_is_stale_and_reconnects() -> None:
    async with WsServer("/sports") as srv:
        conn = fast(srv.url, timeout=0.3)
        async with running(conn):
            sc = await srv.wait_connection(0)
            for _ in range(6):  # data keeps flowing, pings do not, until the client leaves
                if sc.closed:
                    break
                with contextlib.suppress(ConnectionClosed):
                    await sc.send(GAME)
                await asyncio.sleep(0.1)
            await srv.wait_connection(1)
        states = [e for e in conn.events if isinstance(e, FeedStatus)]  # type: ignore[attr-defined]
        stale = [s for s in states if s.state == "stale"]
        assert stale and "no ping from the server for 0.3 s" in stale[0].detail
        assert conn.status().reconnects >= 1


async def test_no_timeout_means_pings_are_not_required() -> None:
    async with WsServer("/sports") as srv:
        policy = replace(sports_policy(srv.url), heartbeat=AnswerPing(timeout=None))
        conn = Connection(policy, lambda batch, _arrival: None)
        async with running(conn):
            await srv.wait_connection(0)
            await asyncio.sleep(0.4)
            assert conn.state == "live" and len(srv.connections) == 1
