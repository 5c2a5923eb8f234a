"""FeedStatusBar: one line with the health of every feed and the screen latency."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from pmdash.models import FeedStatus
from pmdash.printable import printable
from pmdash.widgets._strips import Part, cells, ellipsize, strip_of

_DOT = "●"
_SEPARATOR = " │ "
_STATE_CLASS = {
    "live": "feed-status--good",
    "connecting": "feed-status--warn",
    "stale": "feed-status--warn",
    "backoff": "feed-status--bad",
    "failed": "feed-status--bad",
    "stopped": "feed-status--muted",
}
_DETAIL_MAX = 24


def backoff_text(status: FeedStatus, now: float) -> str:
    """``retry in 4s`` while backing off (rounded up), ``retrying`` once the time has come."""
    if status.backoff_until is None:
        return ""
    remaining = math.ceil(status.backoff_until - now)
    return f"retry in {remaining}s" if remaining > 0 else "retrying"


def feed_texts(status: FeedStatus, now: float) -> list[tuple[str, str]]:
    """The (text, component class) runs that describe one feed, after its dot and id."""
    runs: list[tuple[str, str]] = []
    state = status.state
    if state != "live":
        runs.append((state, _STATE_CLASS.get(state, "feed-status--muted")))
    if state in ("live", "stale"):
        fps = status.frames_per_s
        runs.append((f"{fps:.0f}/s" if fps >= 10 else f"{fps:.1f}/s", ""))
        if status.last_frame_age_s is not None:
            runs.append((f"age {status.last_frame_age_s:.1f}s", "feed-status--muted"))
        if status.latency_ms is not None:
            runs.append((f"{status.latency_ms:.0f}ms", ""))
    elif state == "backoff":
        text = backoff_text(status, now)
        if text:
            runs.append((text, "feed-status--bad"))
    if state in ("failed", "backoff") and status.detail:
        runs.append((ellipsize(printable(status.detail), _DETAIL_MAX), "feed-status--muted"))
    runs.append((f"↻{status.reconnects}", "feed-status--muted"))
    if status.decode_errors > 0:
        runs.append((f"err {status.decode_errors}", "feed-status--bad"))
    return runs


class FeedStatusBar(Widget):
    """Per feed: state dot, id, frames/s, age, latency, reconnects, errors, retry countdown;
    then the App's arrival-to-screen p99 latency at the right end."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "feed-status--good",
        "feed-status--warn",
        "feed-status--bad",
        "feed-status--muted",
        "feed-status--id",
    }

    DEFAULT_CSS = """
    FeedStatusBar {
        height: 1;
        background: $panel;
        & > .feed-status--good { color: $text-success; }
        & > .feed-status--warn { color: $text-warning; }
        & > .feed-status--bad { color: $text-error; }
        & > .feed-status--muted { color: $text-muted; }
        & > .feed-status--id { text-style: bold; }
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._statuses: Sequence[FeedStatus] = ()
        self._now = 0.0
        self._screen_latency_ms: float | None = None
        self._line: Strip | None = None
        self._line_width = 0
        self._shown: tuple[object, ...] | None = None

    def update_statuses(
        self,
        statuses: Sequence[FeedStatus],
        now: float,
        screen_latency_ms: float | None = None,
    ) -> None:
        """Show ``statuses``; ``now`` (Unix seconds) is the clock for the backoff countdown.

        Repaints only when the text shown would change."""
        shown = _shown_text(statuses, now, screen_latency_ms)
        self._statuses = statuses
        self._now = now
        self._screen_latency_ms = screen_latency_ms
        if shown == self._shown:
            return
        self._shown = shown
        self._line = None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line = None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y != 0:
            return Strip.blank(width, self.rich_style)
        if self._line is None or self._line_width != width:
            self._line = self._build(width)
            self._line_width = width
        return self._line

    def _build(self, width: int) -> Strip:
        base = self.rich_style
        get = self.get_component_rich_style
        styles: dict[str, Style] = {name: get(name) for name in self.COMPONENT_CLASSES}
        styles[""] = base
        parts: list[Part] = [(" ", base)]
        if not self._statuses:
            parts.append(("no feeds", styles["feed-status--muted"]))
        for index, status in enumerate(self._statuses):
            if index:
                parts.append((_SEPARATOR, styles["feed-status--muted"]))
            dot_class = _STATE_CLASS.get(status.state, "feed-status--muted")
            parts.append((_DOT, styles[dot_class]))
            parts.append((" " + status.feed, styles["feed-status--id"]))
            for text, component in feed_texts(status, self._now):
                parts.append((" " + text, styles[component]))

        right: list[Part] = []
        if self._screen_latency_ms is not None:
            right = [
                ("screen p99 ", styles["feed-status--muted"]),
                (f"{self._screen_latency_ms:.1f}ms ", base),
            ]
        right_w = cells(right)
        left_w = max(0, width - right_w - 1) if right else width
        left = strip_of(parts, left_w, base, ellipsis=True)
        if not right:
            return left
        gap = width - left_w - right_w
        return strip_of([*_parts_of(left), (" " * gap, base), *right], width, base)


def _shown_text(
    statuses: Sequence[FeedStatus], now: float, screen_latency_ms: float | None
) -> tuple[object, ...]:
    """Everything the bar draws, as a comparable value."""
    latency = None if screen_latency_ms is None else f"{screen_latency_ms:.1f}"
    feeds = tuple(
        (status.feed, status.state, tuple(feed_texts(status, now))) for status in statuses
    )
    return feeds, latency


def _parts_of(strip: Strip) -> list[Part]:
    return [(segment.text, segment.style or Style()) for segment in strip]
