"""Hostile servers against ``pmdash tail``: whatever a server sends, ``--seconds`` ends the run
on time and memory stays bounded. Each server is scripted (tests/hostile/scripted.py); pmdash
runs as a subprocess, so its wall time and peak memory are its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from tests.hostile.scripted import (
    gamma_market,
    garbage_frames,
    http_answer,
    new_market_flood,
    read_request,
    run_pmdash,
    serve,
    serve_exchange_like,
    subscribed_then,
    vm_hwm_kb,
)

SECONDS = 3.0
EXIT_SLACK = 4.0
"""Wall time allowed past ``--seconds``: the interpreter's start-up and the exit itself."""


def summary(out: str) -> dict[str, object]:
    lines = [json.loads(line) for line in out.splitlines() if line]
    assert lines and lines[-1]["type"] == "summary", out[-500:]
    return lines[-1]


def test_a_gamma_answering_20000_markets_ignoring_limit_keeps_to_seconds() -> None:
    """Before: ``tail --seconds 5`` took 78 s (every market added, each past 10,000 scanning
    them all). Now the listing keeps the 200 markets it asked for."""
    body = json.dumps([gamma_market(i) for i in range(20_000)]).encode()

    async def quiet(ws: ServerConnection) -> None:
        async def nothing() -> AsyncIterator[str]:
            if False:
                yield ""

        await subscribed_then(ws, nothing())

    with serve_exchange_like(quiet, {"/markets": body}) as port:
        ran = run_pmdash(
            "tail", "market", "--base-url", f"http://127.0.0.1:{port}",
            "--seconds", str(SECONDS), "--quiet", timeout=60,
        )  # fmt: skip
    assert ran.code == 0, ran.err
    assert ran.seconds < SECONDS + EXIT_SLACK, ran.seconds
    assert summary(ran.out)["books"] == 400  # 200 markets of two outcomes
    assert ran.peak_mb < 120, ran.peak_mb


def test_a_new_market_flood_lists_a_bounded_number_and_keeps_to_seconds() -> None:
    """A server announcing markets without end: the run follows ``MAX_FOLLOWED`` of them,
    subscribes them, and still ends at ``--seconds`` with bounded memory."""
    from pmdash.state.following import MAX_FOLLOWED

    async def flooding(ws: ServerConnection) -> None:
        await subscribed_then(ws, new_market_flood())

    listing = json.dumps([gamma_market(0)]).encode()
    with serve_exchange_like(flooding, {"/markets": listing}) as port:
        ran = run_pmdash(
            "tail", "market", "--base-url", f"http://127.0.0.1:{port}",
            "--seconds", str(SECONDS), "--quiet", timeout=60,
        )  # fmt: skip
    assert ran.code == 0, ran.err
    assert ran.seconds < SECONDS + EXIT_SLACK, ran.seconds
    result = summary(ran.out)
    assert result["events"] > 10_000  # the flood did arrive
    assert result["books"] == 2 * MAX_FOLLOWED  # the first market and 999 announced ones
    assert ran.peak_mb < 100, ran.peak_mb


def test_a_garbage_flood_at_1000_frames_a_second_keeps_memory_and_time() -> None:
    """1,000 unreadable frames a second: every one is a feed error, counted; memory stays
    flat and the run ends on time."""
    rate = 1_000

    async def flooding(ws: ServerConnection) -> None:
        await subscribed_then(ws, garbage_frames(rate))

    listing = json.dumps([gamma_market(0)]).encode()
    with serve_exchange_like(flooding, {"/markets": listing}) as port:
        ran = run_pmdash(
            "tail", "market", "--base-url", f"http://127.0.0.1:{port}",
            "--seconds", str(SECONDS), "--quiet", timeout=60,
        )  # fmt: skip
    assert ran.seconds < SECONDS + EXIT_SLACK, ran.seconds
    result = summary(ran.out)
    assert result["errors"] > SECONDS * rate / 2
    assert ran.peak_mb < 80, ran.peak_mb


def test_a_gamma_that_never_answers_keeps_to_seconds() -> None:
    """The lookup itself hangs (headers read, nothing sent): ``--seconds`` still ends it."""

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(60)

    with serve(hang) as port:
        ran = run_pmdash(
            "tail", "market", "--base-url", f"http://127.0.0.1:{port}",
            "--seconds", "2", "--quiet", timeout=30,
        )  # fmt: skip
    assert ran.code == 1
    assert ran.seconds < 2 + EXIT_SLACK, ran.seconds
    assert ran.err.count("\n") == 1 and "no answer within 2 s" in ran.err


def test_one_bad_market_in_a_search_answer_is_skipped_and_counted() -> None:
    """A lone surrogate escape (``\\ud800``) in one question made the whole search fail."""
    markets = [gamma_market(1), gamma_market(2, "bad \ud800 question"), gamma_market(3)]
    body = json.dumps({"events": [{"markets": markets}]}).encode()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(http_answer(body))
        with contextlib.suppress(ConnectionClosed):
            await writer.drain()

    with serve(answer) as port:
        ran = run_pmdash("search", "market", "--base-url", f"http://127.0.0.1:{port}")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        "Market number 1?  [market-1]",
        f"    Yes            0.50  {10**20 + 2}",
        f"    No             0.50  {10**20 + 3}",
        "Market number 3?  [market-3]",
        f"    Yes            0.50  {10**20 + 6}",
        f"    No             0.50  {10**20 + 7}",
    ]
    assert ran.err == (
        "pmdash: skipped 1 market the server sent that could not be read "
        "(events[0].markets[1] (market-2): question: holds a lone surrogate "
        "(not Unicode text))\n"
    )


def test_server_text_with_bidi_controls_and_emoji_is_neutralised_in_search() -> None:
    """Bidi overrides become U+FFFD like control characters; emoji sequences whose width
    depends on the terminal are taken apart."""
    question = "Will \u202eBTC\u202c hit 🏳️\u200d🌈 ❤️ 👍🏽 1️⃣ 🇺🇸?"
    body = json.dumps({"events": [{"markets": [gamma_market(1, question)]}]}).encode()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(http_answer(body))
        await writer.drain()

    with serve(answer) as port:
        ran = run_pmdash("search", "x", "--base-url", f"http://127.0.0.1:{port}")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[0] == "Will \ufffdBTC\ufffd hit 🏳🌈 ❤ 👍 1 US?  [market-1]"


def test_the_dashboard_under_a_new_market_flood_draws_and_quits_at_once() -> None:
    """Before, a Gamma of 20,000 markets or a ``new_market`` flood left the dashboard blank
    for about a minute and ``q`` took 23 s. Under the flood it draws the announced markets
    and ``q`` ends it within a couple of seconds, with bounded memory."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from tests.test_app_signals import LEAVE_ALT_SCREEN, read_until

    async def flooding(ws: ServerConnection) -> None:
        await subscribed_then(ws, new_market_flood())

    listing = json.dumps([gamma_market(i) for i in range(20_000)]).encode()
    with serve_exchange_like(flooding, {"/markets": listing}) as port:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 110, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "PMDASH_CONFIG": ""}
        env.pop("PMDASH_BASE_URL", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "pmdash", "--base-url", f"http://127.0.0.1:{port}"],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        seen = bytearray()
        try:
            read_until(master, seen, lambda s: b"Flooded market" in s, 30.0)
            assert b"Flooded market" in seen, bytes(seen[-400:])
            read_until(master, seen, lambda s: False, 1.0)  # a second more of the flood
            peak_mb = vm_hwm_kb(proc.pid) / 1024
            asked = time.monotonic()
            os.write(master, b"q")
            read_until(master, seen, lambda s: LEAVE_ALT_SCREEN in s, 15.0)
            peak_mb = max(peak_mb, vm_hwm_kb(proc.pid) / 1024)
            status = proc.wait(timeout=15)
            quit_s = time.monotonic() - asked
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
    assert status == 0
    assert LEAVE_ALT_SCREEN in seen and b"Traceback" not in seen
    assert b"Market number 0?" in seen  # the listing's first market
    assert quit_s < 3.0, quit_s
    assert peak_mb < 200, peak_mb
