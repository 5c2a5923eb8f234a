"""Reconnect delays: exponential backoff with jitter, a cap, and a reset after a healthy period.

Pure: the clock and the random source are injected, so tests drive it without sleeping.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Literal

Jitter = Literal["full", "decorrelated", "none"]

_MAX_EXPONENT = 30  # 2**30 s is far beyond any cap; stops the float growing without bound


class Backoff:
    """Delays between reconnect attempts.

    - ``full`` jitter: a uniform draw in ``[0, min(cap, base * 2**n)]`` (n = failures so far).
    - ``decorrelated`` jitter: ``min(cap, uniform(base, 3 * previous))`` (AWS architecture blog).
    - ``none``: exactly ``min(cap, base * 2**n)``.

    Call :meth:`connected` when a connection opens; the next :meth:`next_delay` starts again
    from ``base`` if that connection stayed up for at least ``healthy_after`` seconds.
    """

    def __init__(
        self,
        base: float = 1.0,
        cap: float = 60.0,
        *,
        jitter: Jitter = "full",
        healthy_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"need 0 < base <= cap, got base={base} cap={cap}")
        self.base = base
        self.cap = cap
        self.jitter: Jitter = jitter
        self.healthy_after = healthy_after
        self._clock = clock
        self._rng = rng
        self.failures = 0
        """Consecutive failed or short-lived connections since the last reset."""
        self._previous = base
        self._connected_at: float | None = None

    def ceiling(self) -> float:
        """The largest delay the next attempt can draw (before decorrelated jitter)."""
        return min(self.cap, self.base * 2.0 ** min(self.failures, _MAX_EXPONENT))

    def connected(self) -> None:
        """A connection just opened: remember when, to judge later whether it was healthy."""
        self._connected_at = self._clock()

    def reset(self) -> None:
        self.failures = 0
        self._previous = self.base

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one more failure."""
        if self._connected_at is not None:
            if self._clock() - self._connected_at >= self.healthy_after:
                self.reset()
            self._connected_at = None
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
        self._connected_at = None
        self.failures += 1
        return self.cap * (0.5 + 0.5 * self._rng())
