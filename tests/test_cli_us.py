"""Polymarket US on the command line, as real subprocesses against a ``pmdash sim`` started with
``--us-key``: ``tail us-markets``/``tail us-private`` print NDJSON, ``search --venue us``
finds US slugs, keys come from the environment or the config file, and a missing, malformed
or refused key is one line naming what to fix, never the secret."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmdash.net.us_auth import UsKey

PMDASH = [sys.executable, "-m", "pmdash"]
REPO = Path(__file__).resolve().parents[1]
SEED = bytes(range(40, 72))
SECRET = base64.b64encode(SEED).decode()
KEY = UsKey("cli-key", SECRET)
US_ENV = {"POLYMARKET_KEY_ID": "cli-key", "POLYMARKET_SECRET_KEY": SECRET}


def run(*args: str, env: dict[str, str] | None = None, config_home: Path | None = None,
        timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """pmdash with no user config and no US key but those given."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("PMDASH_CONFIG", "PMDASH_BASE_URL", *US_ENV)}
    base["XDG_CONFIG_HOME"] = str(config_home or REPO / "tests" / "no-config-home")
    return subprocess.run([*PMDASH, *args], capture_output=True, text=True, timeout=timeout,
                          env={**base, **(env or {})}, cwd=REPO)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """A ``pmdash sim --us-key cli-key:PUBLIC``; yields its base URL."""
    proc = subprocess.Popen(
        [*PMDASH, "sim", "--port", "0", "--seed", "3", "--rate", "100",
         "--us-key", f"cli-key:{KEY.public_key_b64}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())
        assert urls["us-private"].endswith("/v1/ws/private")
        yield urls["rest"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0


def one_line(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def us_slug(base_url: str) -> str:
    found = run("search", "bitcoin", "--venue", "us", "--base-url", base_url, "--json")
    assert found.returncode == 0, found.stderr
    markets = [json.loads(line) for line in found.stdout.splitlines()]
    assert markets and all(m["slug"].startswith("us-") for m in markets)
    return str(markets[0]["slug"])


def test_search_venue_us_lists_us_slugs(base_url: str) -> None:
    result = run("search", "bitcoin", "--venue", "us", "--base-url", base_url)
    assert result.returncode == 0, result.stderr
    assert "[us-" in result.stdout


def test_tail_us_markets_prints_the_books_of_the_slug(base_url: str) -> None:
    slug = us_slug(base_url)
    result = run("tail", "us-markets", "--base-url", base_url, "--market", slug,
                 "--max-events", "3", env=US_ENV)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    books = [e for e in events if e["type"] == "book_snapshot"]
    assert len(books) >= 1 and {b["asset_id"] for b in books} == {slug}
    assert all(e["feed"] == "us-markets" for e in events if e["type"] != "feed_status")
    assert books[0]["bids"] and isinstance(books[0]["bids"][0][0], str)


def test_an_unknown_us_slug_exits_2_before_anything_starts(base_url: str) -> None:
    """As an unknown CLOB slug does: one line naming the slug and how to find one, for
    ``tail us-markets`` and for the dashboard with ``--venue us`` (before the screen opens)."""
    for args in (("tail", "us-markets", "--seconds", "5"), ("--venue", "us")):
        result = run(*args, "--base-url", base_url, "--market", "us-no-such-market",
                     env=US_ENV)
        line = one_line(result)
        assert "no Polymarket US market with slug 'us-no-such-market'" in line
        assert "pmdash search TEXT --venue us" in line and result.stdout == ""


def test_tail_us_private_prints_account_events_and_a_summary(base_url: str) -> None:
    result = run("tail", "us-private", "--base-url", base_url, "--max-events", "12",
                 env=US_ENV)
    assert result.returncode == 0, result.stderr
    kinds = {json.loads(line)["type"] for line in result.stdout.splitlines()}
    assert {"order", "balance"} <= kinds <= {"order", "fill", "position", "balance",
                                             "feed_status"}
    quiet = run("tail", "us-private", "--base-url", base_url, "--seconds", "2", "--quiet",
                env=US_ENV)
    assert quiet.returncode == 0, quiet.stderr
    summary = json.loads(quiet.stdout.splitlines()[-1])
    assert summary["type"] == "summary" and summary["state"] == "live"
    assert summary["reconciled"] == 1
    for text in (result.stdout, result.stderr, quiet.stdout, quiet.stderr):
        assert SECRET not in text and SEED.hex() not in text


def test_keys_from_the_config_file(base_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / "pmdash" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'polymarket_key_id = "cli-key"\npolymarket_secret_key = "{SECRET}"\n')
    config.chmod(0o600)
    result = run("tail", "us-private", "--base-url", base_url, "--max-events", "2",
                 config_home=home)
    assert result.returncode == 0, result.stderr
    config.chmod(0o644)  # readable by others: a warning naming the fix, and it runs
    warned = run("tail", "us-private", "--base-url", base_url, "--max-events", "2",
                 config_home=home)
    assert warned.returncode == 0, warned.stderr
    assert f"chmod 600 {config}" in warned.stderr and "warning" in warned.stderr
    assert SECRET not in warned.stderr and SECRET not in warned.stdout


def test_a_missing_key_names_the_variables() -> None:
    line = one_line(run("tail", "us-private", "--base-url", "http://127.0.0.1:9",
                        "--max-events", "1"))
    assert "POLYMARKET_KEY_ID" in line and "polymarket_key_id" in line
    assert "POLYMARKET_SECRET_KEY" in line


def test_a_malformed_secret_names_the_variable_never_the_value() -> None:
    bad = "c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0"  # valid base64, 24 bytes
    line = one_line(run("tail", "us-private", "--base-url", "http://127.0.0.1:9",
                        "--max-events", "1",
                        env={"POLYMARKET_KEY_ID": "k", "POLYMARKET_SECRET_KEY": bad}))
    assert "POLYMARKET_SECRET_KEY" in line and bad not in line


def test_a_refused_key_is_a_failure_saying_so(base_url: str) -> None:
    other = base64.b64encode(bytes(32)).decode()
    result = run("tail", "us-private", "--base-url", base_url, "--seconds", "3",
                 env={"POLYMARKET_KEY_ID": "cli-key", "POLYMARKET_SECRET_KEY": other})
    line = one_line(result, code=1)
    assert "authentication rejected" in result.stdout + line
    assert other not in result.stdout + result.stderr


def test_venue_us_with_no_market_names_the_flag() -> None:
    line = one_line(run("--venue", "us", env=US_ENV))
    assert "--market SLUG" in line and "--venue us" in line


def test_sim_refuses_a_malformed_us_key() -> None:
    line = one_line(run("sim", "--us-key", "no-colon-here"))
    assert "--us-key" in line and "no-colon-here" not in line


def test_demo_signs_with_its_own_key_not_the_environments() -> None:
    """``--demo`` registers a fresh key pair with its exchange: a key in the environment (one
    that exchange does not know) is not what it signs with."""
    result = run("--demo", "tail", "us-private", "--max-events", "2", env=US_ENV)
    assert result.returncode == 0, result.stderr
    assert '"feed":"us-private"' in result.stdout
    assert SECRET not in result.stdout + result.stderr


def test_config_venue_must_be_known(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "pmdash").mkdir(parents=True)
    (home / "pmdash" / "config.toml").write_text('venue = "eu"\n')
    line = one_line(run("search", "x", config_home=home))
    assert "venue must be one of clob, us" in line
