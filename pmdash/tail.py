"""``pmdash tail``: stream one feed headless as NDJSON, one normalised event per line.

A run ends at ``--max-events``, at ``--seconds``, on SIGINT/TERM/HUP (each a normal end: the
``--books`` states and the ``--quiet`` summary are still printed), when the feed gives up for good,
or when stdout fails (a reader that quit: exit 0; a full disk: ``OutputError``, exit 1). It exits
1, with ``problem`` saying why, when the feed never went live, was last seen failed, or was not
live at exit because its connection was lost and not regained (backing off or reconnecting).
The ``--quiet`` summary's ``state`` is the feed's state when the run ended.

Each event is one line whose ``type`` is one of DESIGN.md's list; ``feed_status`` lines say how
the connection is doing. ``--max-events`` counts the other lines (a status line never ends a
run). An event of an ``event_type`` pmdash does not know is not printed: the summary counts it
(``unknown``), and without ``--quiet`` one line on stderr says how many were skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import sys
import time
from dataclasses import replace
from typing import IO, Any
from urllib.parse import urlsplit

import msgspec

from pmdash.jsonout import event_to_json
from pmdash.live.controller import FeedContext
from pmdash.models import Event, FeedError, FeedStatus, UnknownEvent
from pmdash.output import OutputError
from pmdash.printable import printable
from pmdash.registry import FeedSpec
from pmdash.state.store import Store

TICK_S = 0.05
"""How often the controller does its housekeeping (heals, following) during a run."""
_encode = msgspec.json.Encoder().encode

_ENDED_BY = {
    "max-events": " before --max-events ended the run",
    "seconds": " within --seconds",
    "SIGINT": " before SIGINT ended the run",
    "SIGTERM": " before SIGTERM ended the run",
    "SIGHUP": " before SIGHUP ended the run",
}
_NOT_LIVE = {"backoff": ("backing off", ": "), "connecting": ("reconnecting", " after: ")}
"""States of a feed that went live, lost its connection and had not regained it at exit: how
the exit line says each, and what goes before the reason the connection was lost."""
_RETRY_NOTE = re.compile(r";?\s*retrying in [0-9.]+\s*s\b")
"""The connection's "; retrying in 39 s" after a failure: an exiting run retries nothing."""
_UNKNOWN_NAMES_KEPT = 5
"""Distinct unknown ``event_type`` names the stderr note quotes."""


def _counted(event: Event) -> bool:
    """Whether ``--max-events`` counts ``event``: a printed line that is not a status line."""
    return not isinstance(event, FeedStatus | UnknownEvent)


class TailRun:
    """One headless run of one feed: its controller (the dashboard's), a store, and the
    NDJSON writer. ``ctx`` says what the controller is given (its ``store`` and ``tap`` are
    the run's); ``options`` are the parsed flags, for the feed's own (``FeedSpec.tail_end``)."""

    def __init__(
        self,
        spec: FeedSpec,
        ctx: FeedContext,
        *,
        out: IO[str],
        options: argparse.Namespace | None = None,
        max_events: int | None = None,
        seconds: float | None = None,
        quiet: bool = False,
        shown_url: str | None = None,
    ) -> None:
        self.spec = spec
        self.url = ctx.url or spec.url(ctx.endpoints)
        self.shown_url = shown_url or self.url
        """How problems name the feed (``--demo``: "the demo exchange", not its port)."""
        self.out = out
        self.options = options or argparse.Namespace()
        self.max_events = max_events
        self.seconds = seconds
        self.quiet = quiet
        self.events = 0
        """Events printed (or, with ``--quiet``, that would be) other than ``feed_status``:
        what ``--max-events`` counts. ``feed_error`` lines included."""
        self.errors = 0
        """``feed_error`` events (counted in ``events`` too)."""
        self.statuses = 0
        """``feed_status`` events."""
        self.unknown = 0
        """Events of an ``event_type`` pmdash does not know: not printed, not in ``events``."""
        self.unknown_types: dict[str, None] = {}
        self._more_unknown_types = False
        self.went_live = False
        self.last_status: FeedStatus | None = None
        """The feed's last reported state before the run stopped it."""
        self.lost_reason = ""
        """Why the connection was last lost or could not be made (the detail of its last
        ``backoff`` or ``failed``)."""
        self.ended_by: str | None = None
        """What ended the run: ``max-events``, ``seconds``, ``SIGINT``, ``SIGTERM``, ``feed``
        (the connection gave up by itself) or ``output`` (stdout failed)."""
        self.write_error: OSError | None = None
        self.problem: str | None = None
        """Why the run exits 1 (one line), else ``None``."""
        self.store = Store(spec.slices(ctx.settings))
        self.controller = spec.controller(replace(ctx, store=self.store, tap=self._tap))
        self._done = asyncio.Event()

    # --- ending -----------------------------------------------------------------------------

    def finish(self, why: str) -> None:
        """End the run (the first reason given is the one kept)."""
        if not self._done.is_set():
            self.ended_by = why
            self._done.set()

    def _write(self, text: str) -> None:
        """Write and flush (a reader downstream sees each frame's events at once). A failing
        stdout ends the run: nothing more is written."""
        if self.write_error is not None:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except OSError as exc:
            self.write_error = exc
            self.finish("output")

    # --- events -----------------------------------------------------------------------------

    def _tap(self, events: list[Event]) -> list[Event]:
        """Print a frame's events; return the ones the store is to take (none once the run
        ended; a frame cut short at ``--max-events``)."""
        if self._done.is_set():
            return []
        if self.max_events is not None:
            left = self.max_events - self.events
            for i, event in enumerate(events):
                if _counted(event):
                    left -= 1
                    if left == 0:
                        events = events[: i + 1]
                        self.finish("max-events")
                        break
        lines: list[str] = []
        for event in events:
            if isinstance(event, UnknownEvent):
                self.unknown += 1
                name = event.event_type[:40]
                if len(self.unknown_types) < _UNKNOWN_NAMES_KEPT:
                    self.unknown_types[name] = None
                elif name not in self.unknown_types:
                    self._more_unknown_types = True
                continue
            if isinstance(event, FeedStatus):
                self.statuses += 1
                self._note_status(event)
            else:
                self.events += 1
                if isinstance(event, FeedError):
                    self.errors += 1
            if not self.quiet:
                lines.append(_encode(event_to_json(event)).decode())
        if lines:
            lines.append("")
            self._write("\n".join(lines))
        return events

    def _note_status(self, status: FeedStatus) -> None:
        if status.state == "stopped":
            return
        self.last_status = status
        if status.state == "live":
            self.went_live = True
        elif status.state in ("backoff", "failed"):
            self.lost_reason = _RETRY_NOTE.sub("", status.detail)

    async def _tick(self) -> None:
        """The controller's housekeeping, as the dashboard's flush timer does it."""
        while True:
            await asyncio.sleep(TICK_S)
            self.controller.housekeep(time.perf_counter())
            self.store.take_dirty()  # nothing draws: keep the dirty set from growing

    # --- the run ----------------------------------------------------------------------------

    async def run(self) -> int:
        """Stream until the run ends; print the books and summary; 0, or 1 (see ``problem``).
        Raises ``OutputError`` when stdout failed."""
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        handled: list[tuple[signal.Signals, Any]] = []
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # a closed terminal: HUP
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                previous = signal.getsignal(sig)
                loop.add_signal_handler(sig, self.finish, sig.name)
                handled.append((sig, previous))
        try:
            worker = asyncio.create_task(self.controller.run())
            waiter = asyncio.create_task(self._done.wait())
            ticker = asyncio.create_task(self._tick())
            try:
                done, _ = await asyncio.wait(
                    {worker, waiter}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED
                )
                self.finish("feed" if worker in done else "seconds")
            finally:
                waiter.cancel()
                ticker.cancel()
                self.controller.stop()
                await asyncio.gather(worker, waiter, ticker, return_exceptions=True)
            self._print_end(time.monotonic() - started)
        finally:
            for sig, previous in handled:
                loop.remove_signal_handler(sig)
                if previous is not None:  # what was there before (asyncio puts the default)
                    signal.signal(sig, previous)
        if self.write_error is not None:
            raise OutputError(self.write_error)
        return self._verdict()

    def _print_end(self, elapsed: float) -> None:
        spec = self.spec
        lines: list[str] = []
        if spec.tail_end is not None:
            for line in spec.tail_end(self.controller, self.options):
                lines.append(_encode(line).decode())
        if self.quiet:
            status = self.controller.status()
            summary: dict[str, Any] = {
                "type": "summary",
                "feed": spec.id,
                "events": self.events,
                "errors": self.errors,
                "statuses": self.statuses,
                "unknown": self.unknown,
            }
            if spec.tail_summary is not None:
                summary.update(spec.tail_summary(self.controller))
            summary.update(
                reconnects=status.reconnects,
                decode_errors=status.decode_errors,
                seconds=round(elapsed, 3),
                state=self.last_status.state if self.last_status is not None else None,
            )
            lines.append(_encode(summary).decode())
        if lines:
            lines.append("")
            self._write("\n".join(lines))

    def _verdict(self) -> int:
        last = self.last_status
        text = _RETRY_NOTE.sub("", last.detail) if last is not None else ""
        detail = f": {text}" if text else ""
        if "HTTP 404" in text:
            detail += self._path_hint()
        if not self.went_live:
            state = f" (last {last.state}{detail})" if last is not None else ""
            by = _ENDED_BY.get(self.ended_by or "", "")
            self.problem = printable(
                f"the {self.spec.id} feed never went live at {self.shown_url}{state}{by}"
            )
            return 1
        if last is None:
            return 0
        if last.state == "failed":
            self.problem = printable(f"the {self.spec.id} feed at {self.shown_url} failed{detail}")
            return 1
        if last.state in _NOT_LIVE:
            words, before_reason = _NOT_LIVE[last.state]
            reason = f"{before_reason}{self.lost_reason}" if self.lost_reason else ""
            self.problem = printable(
                f"the {self.spec.id} feed at {self.shown_url} was not live at exit"
                f" ({words}{reason})"
            )
            return 1
        return 0

    def _path_hint(self) -> str:
        """A 404 at the handshake: the server has no feed on that path."""
        try:
            path = urlsplit(self.url).path or "/"
        except ValueError:
            return ""
        return (
            f"; nothing serves path {path!r} there (the {self.spec.id} feed's path is"
            f" {self.spec.path})"
        )

    def skipped_note(self) -> str | None:
        """One line on the unknown events left out, or ``None`` when there were none."""
        if not self.unknown:
            return None
        names = ", ".join(self.unknown_types)
        more = ", ..." if self._more_unknown_types else ""
        return printable(
            f"skipped {self.unknown} event(s) of a type pmdash does not know "
            f"(event_type: {names}{more})"
        )


def run_tail(spec: FeedSpec, ctx: FeedContext, **options: Any) -> int:
    """Run ``pmdash tail`` on stdout; a problem is one line on stderr. Raises ``OutputError``
    when stdout fails."""
    run = TailRun(spec, ctx, out=sys.stdout, **options)
    code = asyncio.run(run.run())
    note = run.skipped_note()
    if note and not run.quiet:
        print(f"pmdash: {note}", file=sys.stderr)
    if run.problem:
        print(f"pmdash: {run.problem}", file=sys.stderr)
    return code
