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


def write(stream: IO[str], text: str, *, flush: bool = False) -> None:
    """``stream.write(text)`` (and ``flush()``), an ``OSError`` raised as ``OutputError``."""
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
        os.dup2(fd, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (tests, a closed stream)
        pass
    finally:
        os.close(fd)


def output_failed(exc: OutputError, prog: str = "pmdash") -> int:
    """End a command whose stdout failed: 0 for a closed pipe, else 1 and one stderr line."""
    discard_stdout()
    if exc.broken_pipe:
        return 0
    with contextlib.suppress(OSError):
        print(f"{prog}: cannot write to standard output: {exc}", file=sys.stderr)
    return 1
