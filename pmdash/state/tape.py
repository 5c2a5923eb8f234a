"""A bounded tape of recent trades for one asset."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from itertools import islice

from pmdash.models import Trade


class TradeTape:
    """The last ``maxlen`` trades, oldest dropped first."""

    __slots__ = ("_trades", "maxlen", "total", "version")

    def __init__(self, maxlen: int = 500) -> None:
        if maxlen <= 0:
            raise ValueError(f"maxlen must be positive, not {maxlen}")
        self.maxlen = maxlen
        self._trades: deque[Trade] = deque(maxlen=maxlen)
        self.total = 0
        """Trades ever appended (including those the bound dropped)."""
        self.version = 0

    def append(self, trade: Trade) -> None:
        self._trades.append(trade)
        self.total += 1
        self.version += 1

    def latest(self, n: int) -> list[Trade]:
        """Up to ``n`` trades, newest first."""
        if n <= 0:
            return []
        return list(islice(reversed(self._trades), n))

    def clear(self) -> None:
        if self._trades:
            self._trades.clear()
            self.version += 1

    def __len__(self) -> int:
        return len(self._trades)

    def __iter__(self) -> Iterator[Trade]:
        """Oldest first."""
        return iter(self._trades)
