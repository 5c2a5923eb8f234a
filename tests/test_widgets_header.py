"""MarketHeader: a live market and a resolved one."""

from __future__ import annotations

from widget_apps.header_app import LIVE, RESOLVED, HeaderApp


def test_header_live(snap_compare) -> None:
    """Border title "fed-cut-march-2026"; the question in bold; then a "Yes" badge, bid 0.49
    ask 0.51 spread 0.02 mid 0.50 last 0.50 BUY (green) tick 0.01, and "book live · heals 0" at
    the right."""
    assert snap_compare(HeaderApp(LIVE), terminal_size=(100, 4))


def test_header_resolved(snap_compare) -> None:
    """A green "RESOLVED: No" badge at the right of the question; "No" badge, bid/ask/spread/mid
    "-", last 0.999 SELL (red), tick 0.001, and "book desynced · heals 2" in red."""
    assert snap_compare(HeaderApp(RESOLVED), terminal_size=(100, 4))


def test_header_narrow(snap_compare) -> None:
    """At 60 columns the question ends in "…" and the prices line is cut with "…" before the
    book state, which stays whole."""
    assert snap_compare(HeaderApp(LIVE), terminal_size=(60, 4))
