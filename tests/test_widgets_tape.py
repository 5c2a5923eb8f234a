"""TradeTape: snapshot of a full tape and of an empty one; time formatting."""

from __future__ import annotations

from datetime import timedelta, timezone

from widget_apps.base import NOW_MS
from widget_apps.tape_app import TapeApp, trades

from pmdash.widgets.tape import fmt_time_ms


def test_tape_newest_first(snap_compare) -> None:
    """A "Trades (UTC)" panel: header TIME SIDE PRICE SIZE, then trades newest first from
    14:30:00.000 going back 1.25 s a row; BUY rows green, SELL rows red, the fourth row "?"
    with size "-" (a trade without side or size); only as many rows as fit."""
    assert snap_compare(TapeApp(trades(40)), terminal_size=(40, 16))


def test_tape_empty(snap_compare) -> None:
    """An empty tape: "no trades yet" in the middle of the panel."""
    assert snap_compare(TapeApp([]), terminal_size=(40, 9))


def test_fmt_time_ms_utc_and_offset() -> None:
    assert fmt_time_ms(NOW_MS) == "14:30:00.000"
    assert fmt_time_ms(NOW_MS - 1_250) == "14:29:58.750"
    assert fmt_time_ms(NOW_MS + 7, timezone(timedelta(hours=2))) == "16:30:00.007"
