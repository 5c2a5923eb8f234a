"""Starting the embedded exchange: the background-thread runner and ``sim_main`` (the
``pmdash sim`` subcommand) in a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.sync.client import connect

from pmdash.sim.runner import start_exchange

ROOT = Path(__file__).resolve().parents[1]


def test_start_exchange_in_a_thread() -> None:
    running = start_exchange(seed=2, rate=200, markets=3, lifecycle_s=0)
    try:
        urls = running.urls()
        port = running.port
        assert running.base_url == f"http://127.0.0.1:{port}"
        assert urls == {"market": f"ws://127.0.0.1:{port}/ws/market",
                        "polybolt": f"ws://127.0.0.1:{port}/live/ws",
                        "rtds": f"ws://127.0.0.1:{port}/rtds",
                        "user": f"ws://127.0.0.1:{port}/ws/user",
                        "sports": f"ws://127.0.0.1:{port}/sports",
                        "us-markets": f"ws://127.0.0.1:{port}/v1/ws/markets",
                        "us-private": f"ws://127.0.0.1:{port}/v1/ws/private",
                        "rest": running.base_url, "gamma": running.base_url,
                        "clob": running.base_url}
        markets = running.exchange.markets()
        assert len(markets) == 3
        token = markets[0].token_ids[0]
        with connect(urls["market"]) as ws:
            ws.send(json.dumps({"type": "market", "assets_ids": [token]}))
            dump = json.loads(ws.recv(timeout=5))
            assert dump[0]["asset_id"] == token
            ws.recv(timeout=5)  # the flow is running: events arrive
        running.exchange.pause()
        assert running.exchange.paused
        before = running.exchange.messages
        emitted = running.exchange.step(10)
        assert emitted > 0 and running.exchange.messages == before + emitted
        assert running.call(lambda: running.serving().exchange.flow.steps) > 0
        bids, asks = running.exchange.book(token)
        assert bids and asks and bids[0][0] < asks[0][0]
    finally:
        running.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _sim(port: int = 0) -> subprocess.Popen[str]:
    code = ("from pmdash.sim.runner import sim_main; "
            f"raise SystemExit(sim_main('127.0.0.1', {port}, 4, 50.0))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sim_main_prints_urls_and_exits_cleanly(sig: signal.Signals) -> None:
    proc = _sim()
    try:
        line = proc.stdout.readline()
        urls = json.loads(line)
        assert set(urls) == {"market", "polybolt", "rtds", "user", "sports", "us-markets",
                             "us-private", "rest", "gamma", "clob"}
        assert urls["market"].startswith("ws://127.0.0.1:")
        assert urls["market"].endswith("/ws/market")
        with connect(urls["market"]) as ws:
            ws.send(json.dumps({"type": "market", "assets_ids": ["1"]}))
            assert ws.recv(timeout=5) == "[]"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out == "" and "Traceback" not in err


def test_sim_main_port_in_use_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = _sim(taken.getsockname()[1])
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 1
    assert out == "" and "cannot listen" in err and "Traceback" not in err


def test_start_exchange_on_a_taken_port_raises() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            start_exchange(port=taken.getsockname()[1])


@pytest.mark.parametrize("rate", [1e307, float("inf"), float("nan"), -1.0, 1_000_001.0])
def test_an_exchange_refuses_a_rate_out_of_range(rate: float) -> None:
    """``rate=1e307`` overflowed (``OverflowError`` converting infinity) instead."""
    from pmdash.sim.exchange import MAX_RATE, Exchange

    with pytest.raises(ValueError, match="rate must be from 0 to 1,000,000"):
        Exchange(rate=rate)
    assert Exchange(rate=MAX_RATE).rate == MAX_RATE
    assert Exchange(rate=0).rate == 0


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("localhost", True),
     ("LocalHost", True), ("0.0.0.0", False), ("", False), ("::", False), ("10.1.2.3", False),
     ("192.0.2.1", False), ("example.com", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    from pmdash.loopback import is_loopback_host

    assert is_loopback_host(host) is loopback


def test_the_server_refuses_to_listen_off_loopback() -> None:
    """Its control API has no authentication. (192.0.2.1 is a documentation address: without
    the check the bind fails too, with ``OSError``, so nothing ever listens off loopback.)"""
    with pytest.raises(ValueError, match="loopback only"):
        start_exchange(host="192.0.2.1")
