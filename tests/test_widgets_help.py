"""HelpScreen on a terminal too small for it: the keys scroll it, q quits, escape and ? close."""

from __future__ import annotations

from textual.pilot import Pilot
from widget_apps.layout_app import LayoutApp

from pmdash.widgets.help_screen import HelpScreen

SMALL = (40, 12)
"""Small enough that the Keys box overflows and has to scroll."""


class QuitCountingApp(LayoutApp):
    """The layout harness, counting the calls to its own quit action (the real App's stops the
    feeds before exiting, so q in the help must reach the App's action, not a stand-in)."""

    def __init__(self) -> None:
        super().__init__()
        self.quits = 0

    async def action_quit(self) -> None:
        self.quits += 1
        self.exit()


async def _press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def _open_help(pilot: Pilot[None]) -> HelpScreen:
    await _press(pilot, "question_mark")
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen)
    return screen


async def test_help_scrolls_with_the_keys_on_a_small_terminal() -> None:
    """Before, nothing in the help took the focus, so no key scrolled it and its last lines
    could not be reached."""
    app = LayoutApp()
    async with app.run_test(size=SMALL) as pilot:
        screen = await _open_help(pilot)
        box = screen.query_one("#help")
        assert box.max_scroll_y > 1  # the box overflows: there is something to scroll to
        assert app.focused is box
        assert box.scroll_y == 0

        await _press(pilot, "down")
        assert box.scroll_y == 1
        await _press(pilot, "j")
        assert box.scroll_y == 2
        await _press(pilot, "k")
        assert box.scroll_y == 1
        await _press(pilot, "up")
        assert box.scroll_y == 0

        await _press(pilot, "pagedown")
        assert box.scroll_y > 1
        await _press(pilot, "pageup")
        assert box.scroll_y == 0

        await _press(pilot, "end")
        assert box.scroll_y == box.max_scroll_y
        # The last key listed is on screen at the end.
        last_row = box.region.y + box.region.height - 1 - box.styles.gutter.bottom
        text = "".join(segment.text for segment in screen._compositor.render_strips()[last_row])
        assert "close this help" in text
        await _press(pilot, "j", "down")
        assert box.scroll_y == box.max_scroll_y  # stays at the end

        await _press(pilot, "home")
        assert box.scroll_y == 0
        assert isinstance(app.screen, HelpScreen)  # none of these keys closed it


async def test_q_in_the_help_quits_the_app() -> None:
    app = QuitCountingApp()
    async with app.run_test(size=SMALL) as pilot:
        await _open_help(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.quits == 1
        assert not app.is_running


async def test_escape_and_question_mark_still_close_the_help() -> None:
    app = QuitCountingApp()
    async with app.run_test(size=SMALL) as pilot:
        for key in ("escape", "question_mark"):
            await _open_help(pilot)
            await _press(pilot, key)
            assert not isinstance(app.screen, HelpScreen), key
        assert app.quits == 0
        assert app.is_running
