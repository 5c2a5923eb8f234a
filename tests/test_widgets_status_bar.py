"""FeedStatusBar: feeds in every state at a fixed clock; the countdown text."""

from __future__ import annotations

from widget_apps.status_app import NOW, STATUSES, StatusApp

from pmdash.models import FeedStatus
from pmdash.widgets.status_bar import backoff_text, feed_texts


def test_status_bar_all_states(snap_compare) -> None:
    """One line above the Footer: green ● market 42/s age 0.2s 38ms ↻0; yellow ● user
    connecting ↻1; red ● rtds backoff retry in 4s connection refused ↻3; yellow ● sports stale
    0.0/s age 12.4s 150ms ↻0 and a red "err 2"; red ● us-markets failed HTTP 401: bad signature
    ↻5; and "screen p99 14.2ms" at the right end."""
    assert snap_compare(StatusApp(STATUSES, 14.25), terminal_size=(240, 3))


def test_status_bar_narrow_keeps_screen_latency(snap_compare) -> None:
    """At 100 columns the feeds are cut with "…" and "screen p99 14.2ms" stays at the right."""
    assert snap_compare(StatusApp(STATUSES, 14.25), terminal_size=(100, 3))


def test_status_bar_no_feeds(snap_compare) -> None:
    """No statuses and no screen latency yet: just "no feeds"."""
    assert snap_compare(StatusApp([], None), terminal_size=(60, 3))


def test_backoff_countdown_rounds_up_from_now() -> None:
    status = FeedStatus(feed="rtds", state="backoff", backoff_until=NOW + 3.2)
    assert backoff_text(status, NOW) == "retry in 4s"
    assert backoff_text(status, NOW + 3.0) == "retry in 1s"
    assert backoff_text(status, NOW + 5.0) == "retrying"
    assert backoff_text(FeedStatus(feed="rtds", state="backoff"), NOW) == ""


def test_feed_texts_show_errors_only_when_present() -> None:
    live = FeedStatus(feed="market", state="live", frames_per_s=3.25, latency_ms=12.0)
    assert [text for text, _ in feed_texts(live, NOW)] == ["3.2/s", "12ms", "↻0"]
    broken = FeedStatus(feed="market", state="live", frames_per_s=50.0, decode_errors=7)
    assert [text for text, _ in feed_texts(broken, NOW)] == ["50/s", "↻0", "err 7"]
