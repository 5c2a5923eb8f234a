"""The connection loop's close-code rules (``FeedPolicy.close_rules``) and ``Retry-After``.

Against a real loopback WebSocket server (tests/wsserver.py); intervals shrunk, every wait
bounded.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from pmdash.net.connection import Connection
from pmdash.net.policy import CloseRule
from tests.test_net_connection import Recorder, fast_policy, running
from tests.wsserver import WsServer


class RetryAfterServer(WsServer):
    """Refuses the first ``refusals`` handshakes with ``status`` and ``Retry-After: wait``."""

    def __init__(self, status: int, wait: int, refusals: int = 1) -> None:
        super().__init__()
        self.status = status
        self.wait = wait
        self.refusals = refusals
        self.times: list[float] = []

    async def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        self.times.append(time.monotonic())
        await super()._process_request(conn, request)
        if len(self.times) <= self.refusals:
            response = conn.respond(HTTPStatus(self.status), "busy\n")
            response.headers["Retry-After"] = str(self.wait)
            return response
        return None


async def test_a_close_code_ruled_final_ends_the_run_without_a_retry() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        rules = {4001: CloseRule(retry=False, reason="authentication failed")}
        conn = Connection(fast_policy(srv.url, close_rules=rules), rec)
        task = asyncio.ensure_future(conn.run())
        first = await srv.wait_connection(0)
        await first.close(4001, "auth")
        await asyncio.wait_for(task, 3.0)
        status = conn.status()
        assert status.state == "failed"
        assert status.detail.startswith("authentication failed")
        assert "4001" in status.detail
        await asyncio.sleep(0.3)  # longer than the backoff cap: nothing more comes
        assert srv.handshakes == 1


async def test_a_close_code_ruled_retry_reconnects_after_its_own_delay() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        rules = {4003: CloseRule(retry=True, delay_min=0.3, delay_max=0.4, reason="draining")}
        policy = replace(fast_policy(srv.url, close_rules=rules), backoff_base=5.0,
                         backoff_cap=10.0, jitter="none")
        conn = Connection(policy, rec)
        async with running(conn):
            first = await srv.wait_connection(0)
            closed_at = time.monotonic()
            await first.close(4003, "draining")
            await srv.wait_connection(1, timeout=3.0)  # the backoff would have waited 5 s
            waited = time.monotonic() - closed_at
            assert 0.25 <= waited < 2.0, waited


async def test_a_close_code_without_a_rule_backs_off_as_before() -> None:
    async with WsServer() as srv:
        rec = Recorder()
        rules = {4001: CloseRule(retry=False)}
        conn = Connection(fast_policy(srv.url, close_rules=rules), rec)
        async with running(conn):
            first = await srv.wait_connection(0)
            await first.close(4002, "slow")
            await srv.wait_connection(1, timeout=3.0)
            assert "backoff" in rec.states()


async def test_retry_after_of_a_503_is_waited_at_least() -> None:
    async with RetryAfterServer(503, wait=1) as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec)  # its backoff alone: at most 0.2 s
        async with running(conn):
            await srv.wait_connection(0, timeout=4.0)
            assert srv.times[1] - srv.times[0] >= 0.95
            backoff = [s for s in rec.statuses() if s.state == "backoff"]
            assert "Retry-After 1 s" in backoff[0].detail


async def test_retry_after_of_a_429_is_waited_at_least() -> None:
    async with RetryAfterServer(429, wait=1) as srv:
        rec = Recorder()
        conn = Connection(fast_policy(srv.url), rec)
        async with running(conn):
            await srv.wait_connection(0, timeout=4.0)
            assert srv.times[1] - srv.times[0] >= 0.95
