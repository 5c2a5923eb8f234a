"""Reconnect delays: exponential backoff with jitter and a cap, reset by a connection that
delivered data.

Pure: the random source is injected, so tests drive it without sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Literal

Jitter = Literal["full", "decorrelated", "none"]

_MAX_EXPONENT = 30  # 2**30 s is far beyond any cap; stops the float growing without bound


class Backoff:
    """Delays between reconnect attempts.

    - ``full`` jitter: a uniform draw in ``[0, min(cap, base * 2**n)]`` (n = failures so far).
    - ``decorrelated`` jitter: ``min(cap, uniform(base, 3 * previous))`` (AWS architecture blog).
    - ``none``: exactly ``min(cap, base * 2**n)``.

    Call :meth:`reset` when a connection delivers its first data frame: the next
    :meth:`next_delay` starts again from ``base`` (as websockets' reconnecting ``connect()``
    does once a connection succeeds). Only attempts that fail before any data (refused, timed
    out, rejected, closed before data) grow the delay.
    """

    def __init__(
        self,
        base: float = 1.0,
        cap: float = 60.0,
        *,
        jitter: Jitter = "full",
        rng: Callable[[], float] = random.random,
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"need 0 < base <= cap, got base={base} cap={cap}")
        self.base = base
        self.cap = cap
        self.jitter: Jitter = jitter
        self._rng = rng
        self.failures = 0
        """Delays drawn since the last reset: attempts that ended before any data."""
        self._previous = base

    def ceiling(self) -> float:
        """The largest delay the next attempt can draw (before decorrelated jitter)."""
        return min(self.cap, self.base * 2.0 ** min(self.failures, _MAX_EXPONENT))

    def reset(self) -> None:
        """A connection delivered data: the next delay starts again from ``base``."""
        self.failures = 0
        self._previous = self.base

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one more failure."""
        if self.jitter == "decorrelated":
            upper = max(self.base, self._previous * 3)
            delay = min(self.cap, self.base + self._rng() * (upper - self.base))
            self._previous = delay
        elif self.jitter == "full":
            delay = self._rng() * self.ceiling()
        else:
            delay = self.ceiling()
        self.failures += 1
        return delay

    def failed_delay(self) -> float:
        """The delay after a permanent failure: about the cap (between half the cap and the cap)."""
        self.failures += 1
        return self.cap * (0.5 + 0.5 * self._rng())
