"""``pmdash --demo`` in a real pseudo-terminal: ``kill`` (SIGTERM) and Ctrl-C quit it as ``q``
does, giving the terminal back (out of the alternate screen) with exit code 0."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

LEAVE_ALT_SCREEN = b"\x1b[?1049l"


def read_until(fd: int, seen: bytearray, done: object, seconds: float) -> None:
    """Read the terminal's output into ``seen`` until ``done(seen)`` or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while not done(seen) and time.monotonic() < deadline:  # type: ignore[operator]
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed its side
                return
            if not chunk:
                return
            seen += chunk


def quit_demo(quit: Callable[[subprocess.Popen[bytes], int], None]) -> tuple[int, bytes]:
    """Start ``pmdash --demo`` in a 110x30 pseudo-terminal, wait for live prices, call
    ``quit(process, terminal_fd)``; its exit code and everything it wrote to the terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 110, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "PMDASH_CONFIG": os.devnull}
    env.pop("PMDASH_BASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmdash", "--demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = bytearray()
    try:
        # Up and drawing live prices: the ladder's column header is on screen.
        read_until(master, seen, lambda s: b"PRICE" in s and b"1049h" in s, 30.0)
        assert b"PRICE" in seen, bytes(seen[-400:])
        quit(proc, master)
        read_until(master, seen, lambda s: LEAVE_ALT_SCREEN in s, 15.0)
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        os.close(master)
    return code, bytes(seen)


def test_sigterm_quits_the_dashboard_and_restores_the_terminal() -> None:
    code, seen = quit_demo(lambda proc, _: proc.send_signal(signal.SIGTERM))
    assert code == 0
    assert LEAVE_ALT_SCREEN in seen
    assert b"Traceback" not in seen


def test_ctrl_c_quits_the_dashboard_and_restores_the_terminal() -> None:
    """Before, Textual took Ctrl-C (a key in raw mode, not SIGINT) and only said "Press
    ctrl+q to quit the app"."""
    code, seen = quit_demo(lambda _, terminal: os.write(terminal, b"\x03"))
    assert code == 0
    assert LEAVE_ALT_SCREEN in seen
    assert b"Traceback" not in seen
    assert b"to quit the app" not in seen
