"""The price feeds' slice: a ``PriceBoard`` behind the Store's ``Slice`` protocol.

One slice per price feed (``polybolt`` or ``rtds``; the dashboard runs one of them). It takes
the feed's ``PriceTick``, ``PriceGap`` and ``FeedAck`` events through the Store; the feed's
``FeedStatus`` (which the Store keeps for the status bar) reaches it from the controller with
``note_status``. Dirty keys are the board's: ``"<feed>:<symbol>"`` for a series that changed,
``"<feed>:"`` for the feed's notices. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pmdash.models import Event, FeedAck, FeedError, FeedStatus, PriceGap, PriceTick
from pmdash.state.prices import PriceBoard


class PriceSlice:
    """One price feed's board (``board``), as a Store slice."""

    def __init__(self, feed: str, board: PriceBoard | None = None) -> None:
        self.feed = feed
        self.board = board if board is not None else PriceBoard((feed,))
        self._dirty: set[str] = set()

    def bind(self, dirty: set[str]) -> None:
        self._dirty = dirty

    def routes(self) -> Mapping[type[Any], Callable[[Any], bool]]:
        return {PriceTick: self._fold, PriceGap: self._fold, FeedAck: self._fold}

    def _fold(self, event: Event) -> bool:
        keys = self.board.apply(event)
        if not keys:
            return False
        self._dirty.update(keys)
        return True

    def note_status(self, status: FeedStatus) -> bool:
        """The feed's state changed (live since when; a reconnect opens a gap)."""
        return self._fold(status)

    def distrust(self, error: FeedError) -> bool:
        """An unreadable price frame loses one point; the next one replaces it: no series is
        put in doubt (a lost run of frames shows as a ``dropped`` or ``seq`` gap)."""
        return False
