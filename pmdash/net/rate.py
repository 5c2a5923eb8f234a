"""A cheap sliding-window rate: per-bucket counters, O(1) per hit, fixed memory."""

from __future__ import annotations


class RateMeter:
    """Hits per second over roughly the last ``window`` seconds, in ``buckets`` slices."""

    __slots__ = ("_counts", "_first", "_ids", "_n", "_width")

    def __init__(self, window: float = 5.0, buckets: int = 10) -> None:
        if window <= 0 or buckets < 1:
            raise ValueError("window must be > 0 and buckets >= 1")
        self._n = buckets
        self._width = window / buckets
        self._counts = [0] * buckets
        self._ids = [-1] * buckets
        self._first: float | None = None

    def hit(self, now: float, count: int = 1) -> None:
        if self._first is None:
            self._first = now
        bucket = int(now / self._width)
        slot = bucket % self._n
        if self._ids[slot] != bucket:
            self._ids[slot] = bucket
            self._counts[slot] = count
        else:
            self._counts[slot] += count

    def rate(self, now: float) -> float:
        if self._first is None:
            return 0.0
        current = int(now / self._width)
        oldest = current - self._n + 1
        total = sum(
            c for c, b in zip(self._counts, self._ids, strict=True) if oldest <= b <= current
        )
        # At least one bucket wide, so a burst right after the first hit does not read as huge.
        span = max(now - max(oldest * self._width, self._first), self._width)
        return total / span
