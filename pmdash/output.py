"""Standard output that can go away: a reader that quit (``| head -1``) or a full disk.

Writers turn an ``OSError`` on stdout into ``OutputError``; the command's entry point ends the
run with :func:`output_failed`: exit 0 for a closed pipe (the reader has what it wanted), else
exit 1 with one line on stderr. Either way stdout is pointed at the null device first, so the
interpreter's last flush at exit cannot print a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import IO


class OutputError(Exception):
    """Writing to standard output failed; ``error`` is the ``OSError`` behind it."""

    def __init__(self, error: OSError) -> None:
        self.error = error
        super().__init__(error.strerror or str(error))

    @property
    def broken_pipe(self) -> bool:
        return isinstance(self.error, BrokenPipeError) or self.error.errno == errno.EPIPE


CLOSED = OSError(errno.EBADF, "standard output is closed")
"""The error of a stdout that was closed before pmdash started (``pmdash ... >&-``)."""


def stdout_closed() -> bool:
    """Whether pmdash was started with file descriptor 1 closed (``>&-``): Python then has no
    ``sys.stdout`` at all. The descriptor is pointed at the null device at once, so no file or
    socket opened later takes number 1 and receives what was meant for stdout."""
    try:
        os.fstat(1)
    except OSError:
        pass
    else:
        return sys.stdout is None
    discard_stdout()
    return True


def write(stream: IO[str] | None, text: str, *, flush: bool = False) -> None:
    """``stream.write(text)`` (and ``flush()``), an ``OSError`` raised as ``OutputError``;
    no stream at all (a closed stdout) is ``OutputError`` too."""
    if stream is None:
        raise OutputError(CLOSED)
    try:
        stream.write(text)
        if flush:
            stream.flush()
    except OSError as exc:
        raise OutputError(exc) from None


def flush(stream: IO[str]) -> None:
    try:
        stream.flush()
    except OSError as exc:
        raise OutputError(exc) from None


def discard_stdout() -> None:
    """Point file descriptor 1 at the null device: what is still buffered for stdout goes
    nowhere instead of failing again when the interpreter flushes it at exit."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        target = sys.stdout.fileno() if sys.stdout is not None else 1
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    except (OSError, ValueError, AttributeError):  # no real stdout (tests, a closed stream)
        os.close(fd)


def output_failed(exc: OutputError, prog: str = "pmdash") -> int:
    """End a command whose stdout failed: 0 for a closed pipe, else 1 and one stderr line."""
    discard_stdout()
    if exc.broken_pipe:
        return 0
    with contextlib.suppress(OSError):
        print(f"{prog}: cannot write to standard output: {exc}", file=sys.stderr)
    return 1
