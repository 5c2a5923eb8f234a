"""BookLadder harness and its fixed books."""

from __future__ import annotations

from textual.app import ComposeResult

from pmdash.widgets.data import LadderData, LadderLevel
from pmdash.widgets.ladder import BookLadder
from widget_apps.base import HarnessApp

_SIZES = (1_250, 310, 4_800, 75, 2_000, 640, 12_345, 90, 3_300, 505)


def levels(best: int, step: int, count: int, scale: int = 1_000_000) -> list[LadderLevel]:
    """``count`` levels from ``best`` moving by ``step``, sizes from a fixed pattern."""
    out: list[LadderLevel] = []
    cumulative = 0
    for index in range(count):
        size = _SIZES[index % len(_SIZES)] * scale + index * 250_000
        cumulative += size
        out.append((best + index * step, size, cumulative))
    return out


LIVE = LadderData(
    bids=levels(490_000, -10_000, 20),
    asks=levels(510_000, 10_000, 20),
    tick=10_000,
    state="live",
    outcome="Yes",
    other_outcome="No",
    depth_bids=34,
    depth_asks=41,
)
FINE_TICK = LadderData(
    bids=levels(962_000, -1_000, 12, scale=100_000),
    asks=levels(965_000, 1_000, 5, scale=100_000),
    tick=1_000,
    state="live",
    outcome="No",
    other_outcome="Yes",
    depth_bids=12,
    depth_asks=5,
)
STALE = LadderData(
    bids=LIVE.bids,
    asks=LIVE.asks,
    tick=10_000,
    state="stale",
    detail="no frame for 12s",
    outcome="Yes",
    other_outcome="No",
    depth_bids=34,
    depth_asks=41,
)
DESYNCED = LadderData(
    bids=LIVE.bids,
    asks=LIVE.asks,
    tick=10_000,
    state="desynced",
    detail="hash mismatch",
    outcome="Yes",
    other_outcome="No",
    depth_bids=34,
    depth_asks=41,
)
EMPTY = LadderData(state="empty", outcome="Yes", other_outcome="No")
MISSING = LadderData(
    state="missing",
    detail="no book from the server after 10 s — is the token id right?",
    outcome="…000999",
    other_outcome="…123456",
)


class LadderApp(HarnessApp):
    """One BookLadder (id ``ladder``) showing ``data``; records the depth of every
    DepthChanged it receives."""

    def __init__(self, data: LadderData | None) -> None:
        super().__init__()
        self.data = data
        self.depths: list[int] = []

    def compose(self) -> ComposeResult:
        yield BookLadder(id="ladder")

    def on_mount(self) -> None:
        self.query_one(BookLadder).update_book(self.data)

    def on_book_ladder_depth_changed(self, message: BookLadder.DepthChanged) -> None:
        self.depths.append(message.offset)
