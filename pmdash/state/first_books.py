"""How long each watched asset has waited for its first book, so that one the server never
sends (a mistyped token id) can be said missing rather than "waiting for book" for ever.

A wait runs while the feed's socket is open: from the moment it opened, or from the asset's
subscription when that came later (a market announced meanwhile). A new socket starts every
wait again. Pure: the caller gives the times (``time.perf_counter()``)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable


class FirstBookWaits:
    """The waits for first books, and when each runs out (``after`` seconds)."""

    def __init__(self, after: float) -> None:
        self.after = after
        self._opened: float | None = None
        """When the feed's socket opened; None while it is not open."""
        self._asked: dict[str, float] = {}
        """Assets subscribed on an open socket (later than it opened) -> when."""
        self._ends: list[float] = []
        """A heap of the times waits run out, for ``ran_out``."""

    def feed_open(self, now: float) -> None:
        """The feed's socket is open (said again while it stays open: no change)."""
        if self._opened is None:
            self._opened = now
            heapq.heappush(self._ends, now + self.after)

    def feed_closed(self) -> None:
        self._opened = None

    def subscribed(self, asset_ids: Iterable[str], now: float) -> None:
        for asset in asset_ids:
            self._asked[asset] = now
        heapq.heappush(self._ends, now + self.after)

    def unsubscribed(self, asset_ids: Iterable[str]) -> None:
        for asset in asset_ids:
            self._asked.pop(asset, None)

    def ran_out(self, now: float) -> bool:
        """True when some wait has run out since the last call (books are to be looked at)."""
        ends = self._ends
        if not ends or ends[0] > now:
            return False
        while ends and ends[0] <= now:
            heapq.heappop(ends)
        return True

    def missing(self, asset_id: str, now: float) -> bool:
        """The feed has been open ``after`` seconds since ``asset_id`` was asked for (whether
        its book came is the caller's to know)."""
        opened = self._opened
        if opened is None:
            return False
        asked = max(opened, self._asked.get(asset_id, opened))
        return now - asked >= self.after
