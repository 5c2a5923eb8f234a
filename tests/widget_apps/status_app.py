"""FeedStatusBar harness: several feeds in different states at a fixed clock."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

from pmdash.models import FeedStatus
from pmdash.widgets.status_bar import FeedStatusBar
from widget_apps.base import NOW_MS, HarnessApp

NOW = NOW_MS / 1000

STATUSES = [
    FeedStatus(
        feed="market",
        state="live",
        frames=1234,
        frames_per_s=42.3,
        last_frame_age_s=0.2,
        latency_ms=38.4,
    ),
    FeedStatus(feed="user", state="connecting", reconnects=1),
    FeedStatus(
        feed="rtds",
        state="backoff",
        detail="connection refused",
        reconnects=3,
        backoff_until=NOW + 3.2,
    ),
    FeedStatus(
        feed="sports",
        state="stale",
        frames_per_s=0.0,
        last_frame_age_s=12.4,
        latency_ms=150.0,
        decode_errors=2,
    ),
    FeedStatus(feed="us-markets", state="failed", detail="HTTP 401: bad signature", reconnects=5),
]


class StatusApp(HarnessApp):
    """The status bar (id ``status``) docked above a Footer."""

    def __init__(self, statuses: list[FeedStatus], screen_latency_ms: float | None) -> None:
        super().__init__()
        self.statuses = statuses
        self.screen_latency_ms = screen_latency_ms

    def compose(self) -> ComposeResult:
        yield FeedStatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(FeedStatusBar).update_statuses(self.statuses, NOW, self.screen_latency_ms)
