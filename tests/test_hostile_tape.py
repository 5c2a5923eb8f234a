"""The trade tape under sizes too wide for its column: shortened with a unit, never cut."""

from __future__ import annotations

from widget_apps.base import NOW_MS
from widget_apps.tape_app import TapeApp

from pmdash.models import Trade
from pmdash.units import SCALE


def test_the_tape_shows_big_sizes_shortened(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """A 40-column tape (a 13-column SIZE), newest first: 1,234,567.89 as it is (it fits),
    10 trillion as 10.00T, 123,456,789,012.34 as 123.46B, 999,999,999 in whole units; none
    is cut on the right."""
    sizes = [1_234_567_890_000, 10**13 * SCALE, 123_456_789_012_340_000, 999_999_999 * SCALE]
    rows = [
        Trade(feed="market", asset_id="1", market="0xm", price=520_000, size=size,
              side="BUY", timestamp=NOW_MS - i * 1_000)
        for i, size in enumerate(sizes)
    ]  # fmt: skip
    assert snap_compare(TapeApp(rows), terminal_size=(40, 8))
