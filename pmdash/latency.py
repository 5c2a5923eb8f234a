"""A window of recent arrival-to-screen latencies, for the status bar's p99."""

from __future__ import annotations

from collections import deque


class LatencyWindow:
    """The last N arrival-to-screen latencies (ms), for p50/p99 on the status bar."""

    def __init__(self, size: int = 2048) -> None:
        self.samples: deque[float] = deque(maxlen=size)
        self.total = 0

    def add(self, ms: float) -> None:
        self.samples.append(ms)
        self.total += 1

    def percentile(self, q: float) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        index = min(len(ordered) - 1, int(q * len(ordered)))
        return ordered[index]
