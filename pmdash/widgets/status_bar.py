"""FeedStatusBar: one line with the health of every feed and the screen latency.

When the line is too narrow, the screen latency goes first, then the feeds' less important
fields, step by step on every feed (``fit_fields``); the state dot, the feed's id, its state word
(when not live), reconnects and decode errors stay as long as anything does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
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
_DETAIL_MAX = 80
"""A detail takes what the line has room for (``fit_fields``), but never more than this."""


def backoff_text(status: FeedStatus, now: float) -> str:
    """``retry in 4s`` while backing off (rounded up), ``retrying`` once the time has come."""
    if status.backoff_until is None:
        return ""
    remaining = math.ceil(status.backoff_until - now)
    return f"retry in {remaining}s" if remaining > 0 else "retrying"


def age_text(seconds: float) -> str:
    """How long ago, short and rounded down: ``0.2s`` and ``9.8s`` (tenths under 10 s), then
    ``52s``, ``3m12s``, ``2h05m``, ``3d04h``."""
    if not math.isfinite(seconds):
        return "?"
    tenths = int(max(seconds, 0.0) * 10)
    if tenths < 100:
        return f"{tenths // 10}.{tenths % 10}s"
    whole = tenths // 10
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


class Field(NamedTuple):
    """One run of text describing a feed, and when it gives way on a narrow line."""

    text: str
    component: str
    """Component class it is drawn with ("" for the bar's own style)."""
    drop: int
    """The step at which it is dropped when the line is too narrow (``KEEP``: never)."""


KEEP = 0
"""Drop step of the fields kept as long as anything is: the state word, reconnects, errors."""
DROP_LATENCY = 1
DROP_RATE = 2
DROP_AGE = 3
DROP_DETAIL = 4
"""The error detail is first shortened (down to ``_DETAIL_MIN`` cells), then dropped."""
DROP_COUNTDOWN = 5
_DROP_STEPS = (DROP_LATENCY, DROP_RATE, DROP_AGE, DROP_DETAIL, DROP_COUNTDOWN)
"""When the line is too narrow, after the screen latency: the order fields give way in."""
_DETAIL_MIN = 8


def feed_fields(status: FeedStatus, now: float) -> list[Field]:
    """The runs that describe one feed, after its dot and id, with their drop steps."""
    fields: list[Field] = []
    state = status.state
    if state != "live":
        fields.append(Field(state, _STATE_CLASS.get(state, "feed-status--muted"), KEEP))
    flowing = state in ("live", "stale")
    if flowing:
        fps = status.frames_per_s
        fields.append(Field(f"{fps:.0f}/s" if fps >= 10 else f"{fps:.1f}/s", "", DROP_RATE))
    if status.last_frame_age_s is not None:  # in every state: how old the data on screen is
        age = f"age {age_text(status.last_frame_age_s)}"
        fields.append(Field(age, "feed-status--muted", DROP_AGE))
    if flowing and status.latency_ms is not None:
        fields.append(Field(f"{status.latency_ms:.0f}ms", "", DROP_LATENCY))
    if state == "backoff":
        text = backoff_text(status, now)
        if text:
            fields.append(Field(text, "feed-status--bad", DROP_COUNTDOWN))
    if state in ("failed", "backoff") and status.detail:
        detail = ellipsize(printable(status.detail), _DETAIL_MAX)
        fields.append(Field(detail, "feed-status--muted", DROP_DETAIL))
    fields.append(Field(f"↻{status.reconnects}", "feed-status--muted", KEEP))
    if status.decode_errors > 0:
        fields.append(Field(f"err {status.decode_errors}", "feed-status--bad", KEEP))
    return fields


def feed_texts(status: FeedStatus, now: float) -> list[tuple[str, str]]:
    """The (text, component class) runs that describe one feed, after its dot and id."""
    return [(field.text, field.component) for field in feed_fields(status, now)]


def fit_fields(
    feeds: Sequence[tuple[str, Sequence[Field]]], width: int
) -> list[tuple[str, list[Field]]]:
    """The (feed id, fields) of every feed that fit in ``width`` cells on one line.

    Fields give way step by step (``_DROP_STEPS``), on every feed at once: latency, frame rate,
    age, the error detail (shortened first), the retry countdown. The state word, reconnects
    and errors are never dropped here (if even they do not fit, the line is cut with "…").
    """
    shown = [(feed, list(fields)) for feed, fields in feeds]
    over = _line_width(shown) - width
    for step in _DROP_STEPS:
        if over <= 0:
            break
        if step == DROP_DETAIL:
            over = _shorten_details(shown, over)
            if over <= 0:
                break
        for _, fields in shown:
            kept = [field for field in fields if field.drop != step]
            over -= sum(1 + cell_len(field.text) for field in fields if field.drop == step)
            fields[:] = kept
    return shown


def _line_width(feeds: Sequence[tuple[str, Sequence[Field]]]) -> int:
    """Cells the feeds take on the line: leading space, separators, dots, ids and fields."""
    if not feeds:
        return 1 + len("no feeds")
    total = 1 + cell_len(_SEPARATOR) * (len(feeds) - 1)
    for feed, fields in feeds:
        total += cell_len(_DOT) + 1 + cell_len(feed)
        total += sum(1 + cell_len(field.text) for field in fields)
    return total


def _shorten_details(feeds: list[tuple[str, list[Field]]], over: int) -> int:
    """Shorten the error details, the last feed's first, by up to ``over`` cells in all (none
    below ``_DETAIL_MIN``); returns how many cells are still over."""
    for _, fields in reversed(feeds):
        for index, field in enumerate(fields):
            if over <= 0:
                return over
            length = cell_len(field.text)
            if field.drop != DROP_DETAIL or length <= _DETAIL_MIN:
                continue
            cut = min(over, length - _DETAIL_MIN)
            text = ellipsize(field.text, length - cut)
            text = text[:-1].rstrip() + text[-1]  # "connection…", not "connection …"
            fields[index] = field._replace(text=text)
            over -= length - cell_len(text)
    return over


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
        """The line: every feed, then the screen latency at the right end. When they do not
        fit, the screen latency goes first, then the feeds' less important fields (see
        ``fit_fields``)."""
        base = self.rich_style
        get = self.get_component_rich_style
        styles: dict[str, Style] = {name: get(name) for name in self.COMPONENT_CLASSES}
        styles[""] = base
        feeds = [(status.feed, feed_fields(status, self._now)) for status in self._statuses]

        right: list[Part] = []
        if self._screen_latency_ms is not None:
            right = [
                ("screen p99 ", styles["feed-status--muted"]),
                (f"{self._screen_latency_ms:.1f}ms ", base),
            ]
        right_w = cells(right)
        if right and _line_width(feeds) + 1 + right_w > width:
            right, right_w = [], 0
        left_w = width - right_w - 1 if right else width

        parts: list[Part] = [(" ", base)]
        if not feeds:
            parts.append(("no feeds", styles["feed-status--muted"]))
        fitted = fit_fields(feeds, left_w)
        for index, (status, (feed, fields)) in enumerate(zip(self._statuses, fitted, strict=True)):
            if index:
                parts.append((_SEPARATOR, styles["feed-status--muted"]))
            dot_class = _STATE_CLASS.get(status.state, "feed-status--muted")
            parts.append((_DOT, styles[dot_class]))
            parts.append((" " + feed, styles["feed-status--id"]))
            for field in fields:
                parts.append((" " + field.text, styles[field.component]))
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
