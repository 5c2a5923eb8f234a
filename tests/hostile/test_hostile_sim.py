"""``pmdash sim`` is a server too: hostile clients against it. Subscriptions of ids it does
not know are kept only up to a cap (peak memory of the sim process), and JSON nested deeper
than the parser goes is answered as unreadable, as any other unreadable message is, on every
socket that reads JSON from its clients (market, user, PolyBolt, RTDS, Polymarket US)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pmdash.credentials import ClobCredentials
from pmdash.net.us import MARKETS_PATH
from pmdash.net.us_auth import UsKey
from pmdash.sim.market_channel import INVALID_SUBSCRIPTION
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.sim.us import demo_us_key
from pmdash.sim.user_channel import INVALID_AUTH
from tests.hostile.scripted import vm_hwm_kb

NESTED = "[" * 200_000 + "]" * 200_000
NESTED_SMALL = "[" * 20_000 + "]" * 20_000
"""Deeper than ``json.loads`` recurses, within PolyBolt's 64 KiB frame limit."""
CREDS = ClobCredentials(
    "11111111-2222-3333-4444-555555555555",
    "c2VjcmV0LW9mLXRoZS1ob3N0aWxlLXRlc3Q=",
    "passphrase-of-the-hostile-test-0000",
)


@pytest.fixture
async def running() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(seed=7, markets=4, paused=True, lifecycle_s=0) as serving:
        yield serving


async def test_deeply_nested_json_first_is_refused_like_any_bad_subscription(
    running: ServingExchange,
) -> None:
    async with connect(running.urls()["market"], max_size=None) as ws:
        await ws.send(NESTED)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, INVALID_SUBSCRIPTION)


async def test_deeply_nested_json_later_gets_an_error_frame_and_the_socket_stays(
    running: ServingExchange,
) -> None:
    async with connect(running.urls()["market"], max_size=None) as ws:
        await ws.send(json.dumps({"type": "market", "assets_ids": []}))
        await ws.send(NESTED)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply == {"event_type": "error", "error": "invalid message: not JSON"}
        await ws.send("PING")
        assert await asyncio.wait_for(ws.recv(), 5) == "PONG"


def test_a_million_unknown_ids_do_not_grow_the_sim() -> None:
    """Before, every id was kept: a million took the sim to 390 MB (4 million to 1.6 GB);
    now about 65 MB."""
    env = {**os.environ, "PMDASH_CONFIG": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmdash", "sim", "--rate", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())
        market_url = urls["market"]

        async def flood() -> None:
            async with connect(market_url, max_size=None) as ws:
                await ws.send(json.dumps({"type": "market", "assets_ids": ["0"]}))
                for chunk in range(5):
                    ids = [f"{chunk}-{i}" for i in range(200_000)]
                    await ws.send(json.dumps({"operation": "subscribe", "assets_ids": ids}))
                await ws.send("PING")
                while await asyncio.wait_for(ws.recv(), 30) != "PONG":
                    pass

        asyncio.run(flood())
        peak_mb = vm_hwm_kb(proc.pid) / 1024
    finally:
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=10)
    assert status in (0, 130)
    assert peak_mb < 150, peak_mb


async def _reply(ws: ClientConnection, wanted: Callable[[Any], bool]) -> Any:
    """The first message ``wanted`` takes, among at most 50 within 5 s (feeds push data)."""
    async with asyncio.timeout(5):
        for _ in range(50):
            message = json.loads(await ws.recv())
            if wanted(message):
                return message
    raise AssertionError("no such reply")


@pytest.fixture
async def every_feed() -> AsyncIterator[tuple[ServingExchange, UsKey]]:
    key, spec = demo_us_key()
    async with serve_exchange(seed=7, markets=4, paused=True, lifecycle_s=0, clob_keys=[CREDS],
                              us_keys=[spec], us_account_s=None) as serving:
        yield serving, key


async def test_deeply_nested_json_on_every_socket_is_answered_as_unreadable(
    every_feed: tuple[ServingExchange, UsKey],
) -> None:
    """Before, ``json.loads`` raised RecursionError out of each handler: close 1011."""
    serving, key = every_feed
    urls = serving.urls()
    async with connect(urls["rtds"], max_size=None) as ws:
        await ws.send(NESTED)
        assert await _reply(ws, lambda m: "message" in m) == {"message": "invalid request"}
    async with connect(urls["polybolt"], max_size=None) as ws:
        await ws.send(NESTED_SMALL)
        assert await _reply(ws, lambda m: m.get("op") == "error") == {
            "op": "error", "code": "bad_op"}
    async with connect(urls["us-markets"], max_size=None,
                       additional_headers=key.headers("GET", MARKETS_PATH)) as ws:
        await ws.send(NESTED)
        assert await _reply(ws, lambda m: "error" in m) == {
            "error": "invalid message: not JSON"}
    async with connect(urls["user"], max_size=None) as ws:  # first: refused as bad auth
        await ws.send(NESTED)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, INVALID_AUTH)
    async with connect(urls["user"], max_size=None) as ws:  # later: an error, socket stays
        await ws.send(json.dumps({"type": "user", "markets": [], "auth": {
            "apiKey": CREDS.api_key, "secret": CREDS.secret, "passphrase": CREDS.passphrase}}))
        await ws.send(NESTED)
        assert await _reply(ws, lambda m: m.get("event_type") == "error") == {
            "event_type": "error", "error": "not JSON"}
        await ws.send("PING")
        async with asyncio.timeout(5):
            while await ws.recv() != "PONG":
                pass
