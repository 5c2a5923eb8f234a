"""Plain view data the App builds from state and pushes into the widgets.

No textual import here: these are values, built by the App's flush timer. Prices and sizes are
``int`` micro-units (see ``pmdash.units``). Their text fields come from servers (questions,
outcomes, slugs, reasons): each is made ``printable`` when the value is built, so no widget can
put a server's control characters on the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pmdash.printable import printable
from pmdash.state.row_notes import RowNote

BookView = Literal["live", "stale", "desynced", "empty", "missing", "final"]
"""live: in sync; stale: connection lost, or no fresh snapshot since the reconnect; desynced:
hash/sequence mismatch; empty: no book yet; missing: still no book long after the feed, live,
was asked for it (the server may not know the token id)."""

LadderLevel = tuple[int, int, int]
"""(price, size, cumulative size) in micro-units, as ``OrderBook.top(n)`` returns them."""


@dataclass(frozen=True, slots=True)
class LadderData:
    """What the book ladder shows: the top levels of one outcome's book, best first."""

    bids: Sequence[LadderLevel] = ()
    asks: Sequence[LadderLevel] = ()
    tick: int = 10_000
    state: BookView = "live"
    detail: str = ""
    """Why the book is not live (e.g. the desync reason; for ``missing``, the whole line)."""
    outcome: str = ""
    other_outcome: str = ""
    depth_bids: int = 0
    """How many bid levels the whole book holds (the ladder may show fewer)."""
    depth_asks: int = 0

    def __post_init__(self) -> None:
        _clean(self, "detail", "outcome", "other_outcome")


@dataclass(frozen=True, slots=True)
class HeaderData:
    """The selected market and the shown outcome's top of book."""

    question: str
    slug: str = ""
    outcome: str = ""
    best_bid: int | None = None
    best_ask: int | None = None
    spread: int | None = None
    mid: int | None = None
    last_trade_price: int | None = None
    last_trade_side: str | None = None
    tick: int | None = None
    resolved: str | None = None
    """The winning outcome once the market is resolved, else None."""
    book_state: BookView = "live"
    heals: int = 0
    """How many times the book was re-fetched after a desync."""

    def __post_init__(self) -> None:
        _clean(self, "question", "slug", "outcome", "resolved")


@dataclass(frozen=True, slots=True)
class MarketRow:
    """One market in the market list (prices of its first outcome)."""

    condition_id: str
    label: str
    best_bid: int | None = None
    best_ask: int | None = None
    last: int | None = None
    resolved: bool = False
    tick: int = 10_000
    state: BookView = "live"
    """The state of the book the prices come from: anything but live is said on the row."""
    note: RowNote | None = None
    """What another feed says beside the price (a linked game's live score and the move
    since it changed)."""

    def __post_init__(self) -> None:
        _clean(self, "label")


def _clean(value: object, *names: str) -> None:
    """Make the text fields ``names`` of a frozen dataclass ``printable`` (None stays)."""
    for name in names:
        text = getattr(value, name)
        if text is not None and (clean := printable(text)) is not text:
            object.__setattr__(value, name, clean)
