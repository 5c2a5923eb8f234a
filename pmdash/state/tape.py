"""A bounded tape of recent trades for one asset."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from itertools import islice

from pmdash.models import Trade

GAPS_KEPT = 16
"""How many of a tape's latest gaps it remembers (older ones have scrolled away long since)."""


class TradeTape:
    """The last ``maxlen`` trades, oldest dropped first, and where trades may be missing."""

    __slots__ = ("_trades", "gaps", "maxlen", "total", "version")

    def __init__(self, maxlen: int = 500) -> None:
        if maxlen <= 0:
            raise ValueError(f"maxlen must be positive, not {maxlen}")
        self.maxlen = maxlen
        self._trades: deque[Trade] = deque(maxlen=maxlen)
        self.total = 0
        """Trades ever appended (including those the bound dropped)."""
        self.gaps: deque[tuple[int, int | None]] = deque(maxlen=GAPS_KEPT)
        """(``total`` when the connection was lost, when in ms since the epoch or None), oldest
        first: the trades made while the socket was down were never received, so they are
        missing between trade number ``total`` and the next one."""
        self.version = 0

    def append(self, trade: Trade) -> None:
        self._trades.append(trade)
        self.total += 1
        self.version += 1

    def mark_gap(self, at_ms: int | None = None) -> bool:
        """The connection was lost (at ``at_ms``): trades may be missing after the newest one.
        Nothing to mark before the first trade, nor twice with no trade between; True if
        marked."""
        total = self.total
        if not total or (self.gaps and self.gaps[-1][0] == total):
            return False
        self.gaps.append((total, at_ms))
        self.version += 1
        return True

    def latest(self, n: int) -> list[Trade]:
        """Up to ``n`` trades, newest first."""
        if n <= 0:
            return []
        return list(islice(reversed(self._trades), n))

    def clear(self) -> None:
        if self._trades or self.gaps:
            self._trades.clear()
            self.gaps.clear()
            self.version += 1

    def __len__(self) -> int:
        return len(self._trades)

    def __iter__(self) -> Iterator[Trade]:
        """Oldest first."""
        return iter(self._trades)
