"""The command-line contract (DESIGN.md "Command line"), run as real subprocesses against a real
``pmdash sim`` on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

PMDASH = [sys.executable, "-m", "pmdash"]
REPO = Path(__file__).resolve().parents[1]


def run(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    # No user config or environment leaks in: the default config file is absent.
    env = {k: v for k, v in os.environ.items() if k not in ("PMDASH_CONFIG", "PMDASH_BASE_URL")}
    env["XDG_CONFIG_HOME"] = str(REPO / "tests" / "no-config-home")
    return subprocess.run(
        [*PMDASH, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO
    )


@pytest.fixture(scope="module")
def sim() -> Iterator[dict[str, str]]:
    """A ``pmdash sim`` process; yields the URLs from its start-up line."""
    proc = subprocess.Popen(
        [*PMDASH, "sim", "--host", "127.0.0.1", "--port", "0", "--seed", "7", "--rate", "200"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        urls = json.loads(line)
        yield urls
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def test_sim_start_line_names_every_served_url(sim: dict[str, str]) -> None:
    assert sim["market"].startswith("ws://127.0.0.1:")
    assert sim["market"].endswith("/ws/market")
    assert sim["rest"].startswith("http://127.0.0.1:")


def test_unknown_flag_is_one_line_exit_2() -> None:
    line = one_line_error(run("--bogus"))
    assert "--bogus" in line


def test_bad_number_names_the_flag() -> None:
    line = one_line_error(run("tail", "market", "--max-events", "many"))
    assert "--max-events" in line


def test_unknown_feed_names_the_feeds() -> None:
    line = one_line_error(run("tail", "nosuchfeed", "--asset", "1"))
    assert "nosuchfeed" in line and "market" in line


def test_bad_base_url_exit_2() -> None:
    line = one_line_error(run("tail", "market", "--base-url", "ftp://x"))
    assert "--base-url" in line


def test_missing_config_file_exit_2(tmp_path: Path) -> None:
    line = one_line_error(run("--config", str(tmp_path / "nope.toml"), "--asset", "1"))
    assert "nope.toml" in line


def test_config_unknown_key_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('marketz = ["a"]\n')
    line = one_line_error(run("--config", str(path), "tail", "market", "--seconds", "1"))
    assert "marketz" in line


def test_no_selection_on_real_endpoints_names_the_flags() -> None:
    line = one_line_error(run("tail", "market", "--seconds", "1"))
    assert "--market" in line and "--asset" in line


def test_unknown_slug_exit_2(sim: dict[str, str]) -> None:
    line = one_line_error(run("tail", "market", "--base-url", sim["rest"], "--market", "nope-x"))
    assert "nope-x" in line


def test_help_exits_0() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "sim" in result.stdout and "tail" in result.stdout


def test_tail_prints_ndjson_events_and_stops_at_max(sim: dict[str, str]) -> None:
    result = run("tail", "market", "--base-url", sim["rest"], "--max-events", "25")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len([e for e in events if e["type"] != "feed_status"]) == 25  # statuses not counted
    assert all(e["feed"] == "market" and "type" in e for e in events)
    types = {e["type"] for e in events}
    assert "feed_status" in types and "book_snapshot" in types
    snap = next(e for e in events if e["type"] == "book_snapshot")
    price, size = snap["bids"][0]
    assert isinstance(price, str) and isinstance(size, str)
    assert 0 < float(price) < 1


def test_tail_max_events_one_is_one_market_event_and_exit_0(sim: dict[str, str]) -> None:
    """A script asking for one event gets it (the status lines before it are not counted)."""
    result = run("tail", "market", "--base-url", sim["rest"], "--max-events", "1")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["type"] for e in events[:-1]] == ["feed_status"] * (len(events) - 1)
    assert events[-1]["type"] == "book_snapshot"


@pytest.mark.parametrize("argv", [("--demo", "sim"), ("sim", "--demo", "--port", "0")])
def test_demo_with_sim_is_a_usage_error(argv: tuple[str, ...]) -> None:
    """Not a sim that runs on, ignoring --demo (the timeout ends that one)."""
    line = one_line_error(run(*argv, timeout=10))
    assert "--demo" in line and "sim" in line


def test_tail_quiet_books_match_a_rest_snapshot_shape(sim: dict[str, str]) -> None:
    result = run(
        "tail", "market", "--base-url", sim["rest"], "--seconds", "2", "--books", "--quiet"
    )
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    books = [o for o in objects if o["type"] == "book_state"]
    summary = objects[-1]
    assert summary["type"] == "summary" and summary["state"] == "live"
    assert summary["events"] > 0 and summary["errors"] == 0
    assert len(books) == summary["books"] >= 2
    for book in books:
        assert book["state"] == "live"
        bid_prices = [float(p) for p, _ in book["bids"]]
        ask_prices = [float(p) for p, _ in book["asks"]]
        assert bid_prices == sorted(bid_prices, reverse=True)
        assert ask_prices == sorted(ask_prices)
        if bid_prices and ask_prices:
            assert bid_prices[0] < ask_prices[0]


def test_tail_by_url_and_asset(sim: dict[str, str]) -> None:
    found = run("search", "Will", "--base-url", sim["rest"], "--json")
    assert found.returncode == 0, found.stderr
    market = json.loads(found.stdout.splitlines()[0])
    token = market["token_ids"][0]
    result = run("tail", "market", "--url", sim["market"], "--asset", token, "--seconds", "1.5",
                 "--books", "--quiet")
    assert result.returncode == 0, result.stderr
    books = [json.loads(x) for x in result.stdout.splitlines() if '"book_state"' in x]
    assert [b["asset_id"] for b in books] == [token]


def test_tail_by_market_slug(sim: dict[str, str]) -> None:
    found = run("search", "Will", "--base-url", sim["rest"], "--json")
    market = json.loads(found.stdout.splitlines()[0])
    result = run("tail", "market", "--base-url", sim["rest"], "--market", market["slug"],
                 "--seconds", "1.5", "--books", "--quiet")
    assert result.returncode == 0, result.stderr
    books = [json.loads(x) for x in result.stdout.splitlines() if '"book_state"' in x]
    assert sorted(b["asset_id"] for b in books) == sorted(market["token_ids"])


def test_search_human_output_lists_outcomes_prices_and_tokens(sim: dict[str, str]) -> None:
    """Each market: its question and [slug], then one line per outcome with Gamma's price
    and the token id. (Prices move between two calls on a live exchange: the outcomes and
    tokens are checked against the JSON output, the prices by adding up to 1.)"""
    result = run("search", "Will", "--base-url", sim["rest"])
    assert result.returncode == 0, result.stderr
    as_json = run("search", "Will", "--base-url", sim["rest"], "--json")
    markets = [json.loads(line) for line in as_json.stdout.splitlines()]
    lines = result.stdout.splitlines()
    assert len(lines) == sum(1 + len(m["outcomes"]) for m in markets)
    for market in markets:
        at = lines.index(f"{market['question']}  [{market['slug']}]")
        prices = []
        for i, (outcome, token) in enumerate(
            zip(market["outcomes"], market["token_ids"], strict=True)
        ):
            name, price, shown_token = lines[at + 1 + i].split()
            assert (name, shown_token) == (outcome, token)
            prices.append(Decimal(price))
        assert sum(prices) == 1


def test_search_json_prices_and_tick_as_decimal_strings(sim: dict[str, str]) -> None:
    """Decimals as strings, as in every other JSON pmdash prints: the tick and each outcome's
    price (the two of a binary market add up to 1)."""
    found = run("search", "Will", "--base-url", sim["rest"], "--json")
    assert found.returncode == 0, found.stderr
    markets = [json.loads(line) for line in found.stdout.splitlines()]
    assert markets
    for market in markets:
        assert market["tick_size"] in ("0.01", "0.001")
        prices = market["outcome_prices"]
        assert all(isinstance(p, str) for p in prices) and len(prices) == 2
        assert Decimal(prices[0]) + Decimal(prices[1]) == 1


def test_tail_survives_start_before_server_is_up() -> None:
    """Nothing listens: tail keeps backing off, reports it, and stops at --seconds; a run
    that never went live is a failure (exit 1, one line saying so)."""
    started = time.monotonic()
    result = run("tail", "market", "--url", "ws://127.0.0.1:9/ws/market", "--asset", "1",
                 "--seconds", "1.5")
    assert time.monotonic() - started < 20
    statuses = [json.loads(x) for x in result.stdout.splitlines()]
    assert any(s.get("state") == "backoff" for s in statuses)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "never went live" in line and "ws://127.0.0.1:9/ws/market" in line


def test_tail_into_a_closed_pipe_ends_quietly(sim: dict[str, str]) -> None:
    """``pmdash tail market | head -1``: once the reader is gone, tail ends with exit 0 and no
    traceback (no --max-events or --seconds to end it otherwise)."""
    proc = subprocess.Popen(
        [*PMDASH, "tail", "market", "--base-url", sim["rest"]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline())["type"] == "feed_status"
        proc.stdout.close()
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert stderr == ""


FULL = Path("/dev/full")


@pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "argv",
    [
        ("tail", "market", "--base-url", "{rest}"),
        ("search", "Will", "--base-url", "{rest}"),
        ("sim", "--port", "0"),
        ("--help",),
        ("tail", "--help"),
        ("sim", "-h"),
    ],
    ids=["tail", "search", "sim", "help", "tail-help", "sim-help"],
)
def test_output_to_a_full_disk_is_one_line_exit_1(
    sim: dict[str, str], argv: tuple[str, ...]
) -> None:
    with FULL.open("w") as full:
        result = subprocess.run(
            [*PMDASH, *(a.format(rest=sim["rest"]) for a in argv)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=20,
        )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "cannot write to standard output" in lines[0], result.stderr


def _new_session(rest: str, known: set[int]) -> int:
    """Wait (bounded) for a market-feed session of the sim that is not in ``known`` and has
    been sent data; return its id."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with urllib.request.urlopen(rest + "/sim/sessions", timeout=5) as resp:
            for session in json.loads(resp.read()):
                if session["id"] not in known and session["sent"] > 0:
                    return int(session["id"])
        time.sleep(0.05)
    raise AssertionError("tail never subscribed")


def _session_ids(rest: str) -> set[int]:
    with urllib.request.urlopen(rest + "/sim/sessions", timeout=5) as resp:
        return {int(s["id"]) for s in json.loads(resp.read())}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_tail_stopped_by_a_signal_still_prints_books_and_summary(
    sim: dict[str, str], sig: signal.Signals
) -> None:
    known = _session_ids(sim["rest"])
    proc = subprocess.Popen(
        [*PMDASH, "tail", "market", "--base-url", sim["rest"], "--quiet", "--books"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _new_session(sim["rest"], known)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    objects = [json.loads(line) for line in out.splitlines()]
    assert objects and objects[-1]["type"] == "summary"
    books = [o for o in objects if o["type"] == "book_state"]
    assert books and len(books) == objects[-1]["books"]
    assert objects[-1]["events"] > 0


def test_tail_books_left_stale_when_the_exchange_goes_away() -> None:
    """The exchange stops mid-run: the books tail prints at exit are stale, not live, and
    the run is a failure (the feed was not live at exit): exit 1, one line saying so."""
    sim_proc = subprocess.Popen(
        [*PMDASH, "sim", "--host", "127.0.0.1", "--port", "0", "--seed", "8", "--rate", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    tail = None
    try:
        assert sim_proc.stdout is not None
        urls = json.loads(sim_proc.stdout.readline())
        tail = subprocess.Popen(
            [*PMDASH, "tail", "market", "--base-url", urls["rest"], "--seconds", "4", "--books"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert tail.stdout is not None
        seen = []
        for line in tail.stdout:  # bounded: tail ends by itself after --seconds
            seen.append(json.loads(line))
            if seen[-1]["type"] == "book_snapshot":
                break
        assert seen and seen[-1]["type"] == "book_snapshot", seen
        sim_proc.send_signal(signal.SIGINT)
        sim_proc.wait(timeout=10)
        # The rest through the same text stream: communicate() reads the pipe behind it and
        # would miss what the loop above read ahead (a line cut in two). Bounded: the watchdog
        # kills tail after 20 s, which ends the read (and fails the exit-code check).
        assert tail.stderr is not None
        watchdog = threading.Timer(20, tail.kill)
        watchdog.start()
        try:
            rest = tail.stdout.read()
            stderr = tail.stderr.read()
            tail.wait()
        finally:
            watchdog.cancel()
    finally:
        for proc in (sim_proc, tail):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert tail.returncode == 1, stderr
    [line] = stderr.splitlines()
    assert line.startswith(f"pmdash: the market feed at {urls['market']} was not live at exit (")
    assert "connect failed" in line and "retrying" not in line
    objects = [json.loads(line) for line in rest.splitlines()]
    books = [o for o in objects if o["type"] == "book_state"]
    assert books and {b["state"] for b in books} == {"stale"}
    states = [o["state"] for o in objects if o["type"] == "feed_status"]
    assert "backoff" in states
