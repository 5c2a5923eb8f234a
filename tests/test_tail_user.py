"""``pmdash tail user`` as a real subprocess against the embedded exchange on 127.0.0.1 (its
demo account trades for the registered key): NDJSON ``order`` and ``fill`` lines, and the
``balance`` and ``position`` lines of the account read at start, ``--quiet``'s
summary, ``--condition``, the credentials from the environment (missing: exit 2 naming them;
refused: exit 1 saying so), ``--demo``'s own key, and the secret and passphrase in nothing it
writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pmdash.credentials import ClobCredentials
from pmdash.sim.account import demo_addresses
from pmdash.sim.runner import RunningExchange, start_exchange

PMDASH = [sys.executable, "-m", "pmdash"]
REPO = Path(__file__).resolve().parents[1]
SECRET = "dGFpbC1zZWNyZXQta25vd24tdG8tdGhpcy10ZXN0LW9ubHk="
PASSPHRASE = "tail-passphrase-known-to-this-test-only-51c0"
CREDS = ClobCredentials("cccccccc-4444-5555-6666-dddddddddddd", SECRET, PASSPHRASE)
NAMES = ("CLOB_API_KEY", "CLOB_SECRET", "CLOB_PASS_PHRASE", "POLYMARKET_PROFILE_ADDRESS",
         "POLYMARKET_SIGNER_ADDRESS")


@pytest.fixture(scope="module")
def exchange() -> Iterator[RunningExchange]:
    running = start_exchange(seed=12, rate=50, markets=3, clob_keys=[CREDS])
    try:
        yield running
    finally:
        running.stop()


def env_of(creds: ClobCredentials | None = CREDS) -> dict[str, str]:
    """The environment without any user config or credential; with ``creds`` and the
    exchange's addresses for that key as a user would set them."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PMDASH_CONFIG", "PMDASH_BASE_URL", *NAMES)}
    env["XDG_CONFIG_HOME"] = str(REPO / "tests" / "no-config-home")
    if creds is not None:
        signer, profile = demo_addresses(creds.api_key)
        env.update(CLOB_API_KEY=creds.api_key, CLOB_SECRET=creds.secret,
                   CLOB_PASS_PHRASE=creds.passphrase, POLYMARKET_PROFILE_ADDRESS=profile,
                   POLYMARKET_SIGNER_ADDRESS=signer)
    return env


def tail(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PMDASH, "tail", "user", *args], capture_output=True, text=True,
                          timeout=30, env=env, cwd=REPO)


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text and PASSPHRASE not in text


def test_tail_prints_orders_and_fills_as_ndjson(exchange: RunningExchange) -> None:
    result = tail("--base-url", exchange.base_url, "--seconds", "3", env=env_of())
    assert result.returncode == 0, result.stderr
    objects = lines(result.stdout)
    types = {o["type"] for o in objects}
    assert types <= {"order", "fill", "position", "balance", "feed_status", "feed_error"}, types
    assert "order" in types and "feed_status" in types
    balance = next(o for o in objects if o["type"] == "balance")  # the account read at start
    assert balance["venue"] == "clob" and balance["cash"] == "1000"
    assert all(o["feed"] in ("user", "user-rest") for o in objects)
    order = next(o for o in objects if o["type"] == "order")
    assert order["venue"] == "clob" and order["side"] in ("BUY", "SELL")
    assert isinstance(order["price"], str)  # exact decimals, as DESIGN.md says
    assert_no_secret(result.stdout, result.stderr)


def test_quiet_prints_one_summary(exchange: RunningExchange) -> None:
    result = tail("--base-url", exchange.base_url, "--seconds", "2", "--quiet", env=env_of())
    assert result.returncode == 0, result.stderr
    (summary,) = lines(result.stdout)
    assert summary["type"] == "summary" and summary["feed"] == "user"
    assert summary["state"] == "live" and summary["rest_loads"] >= 1
    assert summary["errors"] == 0 and summary["events"] >= 1


def test_condition_limits_the_markets(exchange: RunningExchange) -> None:
    chosen = exchange.exchange.markets()[0].condition_id
    result = tail("--base-url", exchange.base_url, "--seconds", "3", "--condition", chosen,
                  env=env_of())
    assert result.returncode == 0, result.stderr
    account = [o for o in lines(result.stdout) if o["type"] in ("order", "fill", "position")]
    assert all(o["market"] == chosen for o in account), {o["market"] for o in account}


def test_missing_credentials_exit_2_naming_what_to_set() -> None:
    result = tail("--url", "ws://127.0.0.1:9/ws/user", env=env_of(None))
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    for name in NAMES[:4]:
        assert name in line
    assert "clob_secret" in line and "profile_address" in line
    assert "POLYMARKET_SIGNER_ADDRESS" not in line  # optional: the profile's by default


def test_refused_credentials_exit_1_saying_so(exchange: RunningExchange) -> None:
    wrong = ClobCredentials(CREDS.api_key, SECRET, "wrong-" + PASSPHRASE)
    result = tail("--base-url", exchange.base_url, "--seconds", "3", env=env_of(wrong))
    assert result.returncode == 1
    assert "authentication rejected" in result.stderr.splitlines()[-1]
    assert_no_secret(result.stdout, result.stderr)
    assert ("wrong-" + PASSPHRASE) not in result.stdout + result.stderr


def test_demo_uses_its_own_key() -> None:
    result = subprocess.run([*PMDASH, "--demo", "tail", "user", "--max-events", "3"],
                            capture_output=True, text=True, timeout=30, env=env_of(None),
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    counted = [o for o in lines(result.stdout) if o["type"] != "feed_status"]
    assert len(counted) == 3
    assert {o["type"] for o in counted} <= {"order", "fill", "position", "balance"}


def test_a_sim_process_accepts_the_keys_given_with_clob_key() -> None:
    key = f"{CREDS.api_key}:{SECRET}:{PASSPHRASE}"
    sim = subprocess.Popen([*PMDASH, "sim", "--port", "0", "--seed", "3", "--clob-key", key],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env_of(None), cwd=REPO)
    try:
        assert sim.stdout is not None
        urls = json.loads(sim.stdout.readline())
        result = tail("--base-url", urls["rest"], "--seconds", "3", env=env_of())
        assert result.returncode == 0, result.stderr
        assert any(o["type"] == "order" for o in lines(result.stdout))
    finally:
        sim.terminate()
        _, sim_err = sim.communicate(timeout=10)
    assert_no_secret(sim_err)
    bad = subprocess.run([*PMDASH, "sim", "--clob-key", f"{CREDS.api_key}:{SECRET}"],
                         capture_output=True, text=True, timeout=30, env=env_of(None), cwd=REPO)
    assert bad.returncode == 2 and "--clob-key" in bad.stderr
    assert_no_secret(bad.stderr)
