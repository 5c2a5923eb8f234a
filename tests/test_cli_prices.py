"""``pmdash tail polybolt`` / ``tail rtds`` and ``pmdash sim --clob-key``, as a user runs them:
real processes on loopback. The CLOB secret and passphrase appear in nothing they write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from pmdash.cli import main
from pmdash.sim.credentials import new_credentials

CREDS = new_credentials()
CLOB_VARS = ("CLOB_API_KEY", "CLOB_SECRET", "CLOB_PASS_PHRASE")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLOB_VARS}
    env.pop("PMDASH_BASE_URL", None)
    env["PMDASH_CONFIG"] = os.devnull  # an empty config file: nothing from the user's
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def sim() -> Iterator[dict[str, str]]:
    """``pmdash sim --clob-key KEY:SECRET:PASSPHRASE`` in its own process: its URLs."""
    key = f"{CREDS.api_key}:{CREDS.secret}:{CREDS.passphrase}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmdash", "sim", "--port", "0", "--clob-key", key],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )
    try:
        assert proc.stdout is not None
        urls: dict[str, str] = json.loads(proc.stdout.readline())
        yield urls
    finally:
        proc.terminate()
        proc.wait(10)


def _tail(
    sim: dict[str, str], feed: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pmdash", "--base-url", sim["rest"], "tail", feed, *args],
        capture_output=True, text=True, timeout=60, env=_env(**env),
    )


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line]


def test_tail_polybolt_prints_prices_with_source_and_symbol_and_no_secret(
    sim: dict[str, str],
) -> None:
    done = _tail(sim, "polybolt", "--max-events", "20", CLOB_API_KEY=CREDS.api_key,
                 CLOB_SECRET=CREDS.secret, CLOB_PASS_PHRASE=CREDS.passphrase)
    assert done.returncode == 0, done.stderr
    events = _lines(done.stdout)
    prices = [e for e in events if e["type"] == "price"]
    assert prices and all(e["feed"] == "polybolt" and e["symbol"] and e["source"]
                          for e in prices)
    assert {e["symbol"] for e in prices} <= {"btcusd", "ethusd", "solusd", "xrpusd"}
    assert isinstance(prices[0]["value"], str)  # exact decimal, as written
    assert len([e for e in events if e["type"] != "feed_status"]) == 20
    for secret in (CREDS.secret, CREDS.passphrase):
        assert secret not in done.stdout + done.stderr


def test_tail_polybolt_with_a_wrong_secret_fails_saying_what_to_check(
    sim: dict[str, str],
) -> None:
    wrong = "not-" + CREDS.secret
    done = _tail(sim, "polybolt", "--seconds", "3", "--quiet", CLOB_API_KEY=CREDS.api_key,
                 CLOB_SECRET=wrong, CLOB_PASS_PHRASE=CREDS.passphrase)
    written = done.stdout + done.stderr
    assert wrong not in written and CREDS.passphrase not in written
    assert done.returncode == 1
    assert "refused the CLOB credentials" in done.stderr and "CLOB_SECRET" in done.stderr
    summary = _lines(done.stdout)[-1]
    assert summary["type"] == "summary" and summary["symbols"] == 0
    assert summary["state"] == "failed"


def test_tail_polybolt_without_credentials_names_what_to_set(sim: dict[str, str]) -> None:
    done = _tail(sim, "polybolt", "--seconds", "1")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    for name in (*CLOB_VARS, "clob_api_key", "clob_secret", "clob_pass_phrase"):
        assert name in done.stderr


def test_tail_rtds_needs_no_credentials(sim: dict[str, str]) -> None:
    done = _tail(sim, "rtds", "--max-events", "10")
    assert done.returncode == 0, done.stderr
    prices = [e for e in _lines(done.stdout) if e["type"] == "price"]
    assert len(prices) == 10
    assert {e["source"] for e in prices} <= {"binance", "chainlink"}
    assert all(e["feed"] == "rtds" and e["seq"] is None for e in prices)


def test_tail_quiet_summary_counts_the_symbols(sim: dict[str, str]) -> None:
    done = _tail(sim, "rtds", "--seconds", "2.5", "--quiet")
    assert done.returncode == 0, done.stderr
    (summary,) = _lines(done.stdout)
    assert summary["type"] == "summary" and summary["state"] == "live"
    assert summary["events"] > 0 and summary["symbols"] >= 4


@pytest.mark.parametrize(
    "value", ["Xsecret1only", "key:Xsecret2", "key:Xsecret3:pass:more", "key::pass",
              "key: Xsecret4:pass"],
)
def test_a_malformed_clob_key_is_refused_without_echoing_it(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_part = value.split(":")[1] if ":" in value else value
    try:  # refused while the flags are parsed (argparse exits) or after: exit 2 either way
        code = main(["sim", "--clob-key", value])
    except SystemExit as exc:
        code = exc.code  # type: ignore[assignment]
    assert code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "--clob-key" in err
    if secret_part.strip():
        assert secret_part.strip() not in err.replace("--clob-key", "")
