"""Odd input at the command line: URLs with credentials, config paths that are not files, a
closed stdout, SIGHUP. Each runs ``pmdash`` as a subprocess and checks its exact output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.hostile.scripted import run_pmdash

SECRET = "se/cr?et#pw"
"""A password a URL parser ends early: at ``/`` the host seems to end, ``?`` and ``#`` too."""
URLS = [
    f"http://user:{SECRET}@127.0.0.1:9",
    f"http://user:{SECRET}@127.0.0.1",
    "http://user:se/cret@127.0.0.1:9",
    "http://user:a?b@127.0.0.1:9",
    "http://user:a#b@127.0.0.1:9",
]


def _no_secret(text: str) -> None:
    for part in ("se/cr", "cr?et", "et#pw", "se/cret", "a?b@", "a#b@", "user:"):
        assert part not in text, text


@pytest.mark.parametrize("url", URLS)
def test_no_message_quotes_a_urls_credentials(url: str) -> None:
    ws_url = url.replace("http://", "ws://") + "/ws/market"
    for args, env, origin in (
        (("--base-url", url, "search", "x"), None, "--base-url"),
        (("search", "x"), {"PMDASH_BASE_URL": url}, "PMDASH_BASE_URL"),
        (("tail", "market", "--url", ws_url, "--asset", "1"), None, "--url"),
    ):
        ran = run_pmdash(*args, env=env, timeout=20)
        assert ran.code == 2, ran.err
        assert ran.out == ""
        assert ran.err.count("\n") == 1 and ran.err.startswith(f"pmdash: {origin} "), ran.err
        assert "credentials" in ran.err and "URL not shown" in ran.err
        _no_secret(ran.err)


def test_a_config_file_that_is_not_a_regular_file_is_named(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    loop_a, loop_b = tmp_path / "a.toml", tmp_path / "b.toml"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 200_000)
    cases = {
        "/dev/zero": "config file /dev/zero is a device, not a regular file",
        str(fifo): f"config file {fifo} is a FIFO (named pipe), not a regular file",
        str(loop_a): f"cannot read config file {loop_a}: a symlink loop (too many levels of "
        "symbolic links)",
        str(tmp_path): f"config file {tmp_path} is a directory, not a regular file",
        str(big): f"config file {big} is too big (more than 1,048,576 bytes)",
        str(tmp_path / "missing.toml"): f"config file not found: {tmp_path / 'missing.toml'} "
        "(fix PMDASH_CONFIG)",
    }
    for path, message in cases.items():
        ran = run_pmdash("search", "x", env={"PMDASH_CONFIG": path}, timeout=10)
        assert (ran.code, ran.out, ran.err) == (2, "", f"pmdash: {message}\n"), path
        assert ran.seconds < 5 and ran.peak_mb < 120, (path, ran.seconds, ran.peak_mb)


def test_a_symlink_to_a_config_file_is_read(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text("refresh_hz = 500\n")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    ran = run_pmdash("search", "x", env={"PMDASH_CONFIG": str(link)}, timeout=10)
    assert (ran.code, ran.err) == (2, f"pmdash: {link}: refresh_hz must be between 1 and 120\n")


def _closed_stdout() -> None:
    os.close(1)


CLOSED_LINE = "pmdash: cannot write to standard output: standard output is closed\n"


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("tail", "--help"),
        ("--demo", "search", "a"),
        ("--demo", "tail", "market", "--seconds", "1"),
        ("--demo", "tail", "market", "--seconds", "1", "--books"),
        ("--demo", "tail", "market", "--seconds", "1", "--books", "--quiet"),
    ],
)
def test_a_closed_stdout_is_exit_1_with_one_line(args: tuple[str, ...]) -> None:
    ran = run_pmdash(*args, stdout=None, preexec_fn=_closed_stdout, timeout=30)
    assert (ran.code, ran.err) == (1, CLOSED_LINE)


def test_sighup_ends_tail_with_its_books_and_summary() -> None:
    def hang_up_when_live(proc: subprocess.Popen[bytes]) -> None:
        time.sleep(2.5)  # start-up, the demo exchange, the first books
        proc.send_signal(signal.SIGHUP)

    ran = run_pmdash(
        "--demo", "tail", "market", "--books", "--quiet", "--seconds", "30",
        until=hang_up_when_live, timeout=20,
    )  # fmt: skip
    assert (ran.code, ran.err) == (0, "")
    lines = [json.loads(line) for line in ran.out.splitlines()]
    assert lines[-1]["type"] == "summary" and lines[-1]["state"] == "live"
    assert lines[0]["type"] == "book_state"
    assert ran.seconds < 8, ran.seconds


def test_sighup_quits_the_dashboard_and_restores_the_terminal() -> None:
    from tests.test_app_signals import LEAVE_ALT_SCREEN, quit_demo

    code, seen = quit_demo(lambda proc, _: proc.send_signal(signal.SIGHUP))
    assert code == 0
    assert LEAVE_ALT_SCREEN in seen
    assert b"\x1b[?1000l" in seen  # mouse tracking off
    assert b"Traceback" not in seen
