"""How fast this machine is, now, against the machine the issue measured its targets on.

The issue gives two figures of its own machine that can be measured again here, in the same
process as a benchmark:

- the DataTable half of its calibration pair: a full update of a 20x4 ``DataTable`` until it is
  on the (headless) screen took about 11 ms (``ladder_vs_datatable.py``). Textual work, like
  most of what the running App does;
- its basis for the ingest target: msgspec decoding plus a good book made about 420,000
  messages/s on the mix (``ingest.py``'s reference, scenario (1)). Decoding and dict work, like
  the App's read path.

Each gives a slowdown (this machine's time over the issue's). A shared VM's speed drifts over
minutes, so ``e2e.py`` measures both before and after its runs. ``slower`` is the smallest of
them: dividing a CPU share measured here by it gives an upper estimate of that share at the
issue machine's speed.

    python benchmarks/machine.py
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import (  # noqa: E402
    REFERENCE_AT_TARGET,
    SCENARIOS,
    best_rates,
    reference_client,
)
from benchmarks.ladder_vs_datatable import table_ms  # noqa: E402
from benchmarks.market_frames import record  # noqa: E402

TABLE_MS_THERE = 11.0
"""The issue's figure for a full 20x4 DataTable update on its machine."""


@dataclass(frozen=True)
class Speed:
    table_ms: float
    """A full 20x4 DataTable update here (CPU ms, best of 5)."""
    basis_per_s: float
    """msgspec + a good book on the mix here (messages/s, best of 3)."""

    @property
    def table_slower(self) -> float:
        return self.table_ms / TABLE_MS_THERE

    @property
    def basis_slower(self) -> float:
        return REFERENCE_AT_TARGET / self.basis_per_s

    @property
    def slower(self) -> float:
        """The smaller slowdown: a CPU share divided by it is an upper estimate there."""
        return min(self.table_slower, self.basis_slower)

    def describe(self) -> str:
        return (
            f"DataTable 20x4 update {self.table_ms:.1f} ms (issue: {TABLE_MS_THERE:.0f} ms,"
            f" {self.table_slower:.2f}x slower); msgspec + a good book {self.basis_per_s:,.0f}"
            f" msg/s (issue: {REFERENCE_AT_TARGET:,}, {self.basis_slower:.2f}x slower)"
        )


def basis_rate(repeats: int = 3) -> float:
    """The issue's ingest basis on scenario (1)'s mix here: messages/s, best of ``repeats``."""
    scenario = SCENARIOS[0]
    rec = record(
        scenario.name,
        messages=scenario.quick_messages * 2,
        depth=scenario.depth,
        tick=scenario.tick,
        mix=scenario.mix,
    )
    ((rate, _, _),) = best_rates([reference_client], rec, repeats)
    return rate


def measure() -> Speed:
    """Both figures, now (about 15 s)."""
    return Speed(table_ms=asyncio.run(table_ms()), basis_per_s=basis_rate())


def main() -> int:
    speed = measure()
    print(speed.describe())
    print(f"a CPU share measured here, divided by {speed.slower:.2f}, is an upper estimate of it"
          " on the issue's machine")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
