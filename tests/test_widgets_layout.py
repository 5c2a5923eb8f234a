"""The stylesheet with every widget in place, and the help screen."""

from __future__ import annotations

from textual.widgets import Static
from widget_apps.layout_app import LayoutApp

from pmdash.widgets.help_screen import HelpScreen


def test_layout_full(snap_compare) -> None:
    """Markets on the left (first highlighted), the market header over the book ladder and the
    trade tape in the centre, no right column (it has no panels), the feed status line above the
    Footer (↑↓ j k Move from the focused market list, q Quit, ? Help, o Flip outcome)."""
    assert snap_compare(LayoutApp(), terminal_size=(150, 40))


def test_help_screen(snap_compare) -> None:
    """After "?": a centred "Keys" box over the dimmed dashboard listing q, ?, arrows and j k,
    enter, tab, o and escape, with "escape closes" on its bottom border."""
    assert snap_compare(LayoutApp(), press=["question_mark"], terminal_size=(100, 24))


async def test_help_closes_on_escape_and_side_shows_with_panels() -> None:
    app = LayoutApp()
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)

        side = app.query_one("#side")
        assert not side.display
        await side.mount(Static("prices"))
        app.update_styles(side)
        await pilot.pause()
        assert side.display
        assert side.region.width == 36
