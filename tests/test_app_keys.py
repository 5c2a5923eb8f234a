"""The dashboard's keys: ctrl+c quits as q does (from the help too), the footer keeps q and ?
first and fits the keys at 60 columns and more, the help screen's footer lists only the keys
that work there, and the help lists only keys that are bound.

The real App with no sockets and fixed books (``focus_app``, see test_app_focus.py).
"""

from __future__ import annotations

import pytest
from conftest import market_group
from test_app_focus import SIZE, focus_app
from textual.binding import Binding
from textual.pilot import Pilot

from pmdash.app import PmdashApp
from pmdash.widgets.help_screen import KEYS, HelpBox, HelpScreen

WIDTHS = (160, 100, 80, 60, 50, 40)
FIRST = " q Quit  ? Help  "
"""How the footer starts, whatever is focused."""
PANEL_KEYS = {
    "list": ("↑↓ j k Move",),
    "ladder": ("↑↓ j k Depth", "home Top"),
    "tape": ("↑↓ j k Scroll", "home Live"),
    None: ("↑↓ j k Move",),  # no panel focused (the list hidden): j/k switch markets
}
APP_KEYS = ("tab Focus", "o Flip")
HELP_FOOTER = "q Quit  esc Close  ↑↓ j k Scroll"


def screen_row(app: PmdashApp, row: int) -> str:
    """The text on screen at ``row`` (negative: from the bottom), whatever screen is on top."""
    return "".join(segment.text for segment in app.screen._compositor.render_strips()[row])


def focused_panel(app: PmdashApp) -> str | None:
    group = market_group(app)
    panels = {group.market_list: "list", group.ladder: "ladder", group.tape: "tape"}
    return panels.get(app.focused) if app.focused is not None else None


async def _help(pilot: Pilot[int]) -> None:
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(pilot.app.screen, HelpScreen)


@pytest.mark.parametrize("where", ["dashboard", "help"])
@pytest.mark.parametrize("key", ["ctrl+c", "ctrl+q"])
async def test_ctrl_c_and_ctrl_q_quit_with_exit_code_0(key: str, where: str) -> None:
    """Before, ctrl+c only showed Textual's "Press ctrl+q to quit the app". The App's own quit
    runs (it stops the feeds and returns 0; Textual's returns None)."""
    app = focus_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if where == "help":
            await _help(pilot)
        await pilot.press(key)
        await pilot.pause()
        assert not app.is_running
    assert app.return_value == 0
    assert app.return_code == 0


@pytest.mark.parametrize("width", WIDTHS)
async def test_footer_leads_with_q_and_help_and_fits_from_60_columns(width: int) -> None:
    """Before, the footer listed the focused panel's keys first and docked "^p palette" at
    the right: at 80 columns it ended "o Flip o", at 50 "? Hel"."""
    app = focus_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        seen = set()
        for _ in range(3):
            footer = screen_row(app, -1)
            panel = focused_panel(app)
            seen.add(panel)
            assert footer.startswith(FIRST), (width, panel, footer)
            assert "palette" not in footer and "^" not in footer and "ctrl" not in footer
            if width >= 60:
                for key in (*PANEL_KEYS[panel], *APP_KEYS):
                    assert key in footer, (width, panel, key, footer)
            await pilot.press("tab")
            await pilot.pause()
        assert len(seen) >= 2  # the focus moved: more than one panel's keys were checked


@pytest.mark.parametrize("size", [SIZE, (80, 24), (40, 12)])
async def test_help_footer_lists_only_the_help_keys(size: tuple[int, int]) -> None:
    """Before, the dashboard's footer stayed under the help, offering keys (o Flip outcome,
    tab Focus) that do nothing there."""
    app = focus_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await _help(pilot)
        assert screen_row(app, -1).strip() == HELP_FOOTER
        box = app.screen.query_one(HelpBox)
        if box.max_scroll_y:  # a small terminal: the footer's keys do scroll it
            await pilot.press("j")
            await pilot.pause()
            assert box.scroll_y == 1


def _key_names(listed: str) -> list[str]:
    """Textual's key names for the keys a help line lists ("pgup pgdn" -> pageup, pagedown)."""
    names = {"?": "question_mark", "↑": "up", "↓": "down", "pgup": "pageup", "pgdn": "pagedown"}
    return [names.get(key, key) for key in listed.split()]


async def test_help_lists_the_quit_keys_and_only_keys_that_are_bound() -> None:
    """Every key the help names is bound on the dashboard (App, screen or a panel) or the help
    screen; the three quit keys and the command palette (no longer in the footer) are listed;
    enter is not (the highlighted market is already the one shown)."""
    app = focus_app()
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        nodes = [app, app.screen, panels.market_list, panels.ladder, panels.tape]
        bound = {key for node in nodes for key in node._bindings.key_to_bindings}
        await _help(pilot)
        for node in (app.screen, app.screen.query_one(HelpBox)):
            bound |= set(node._bindings.key_to_bindings)
        quits = {
            key
            for node in (app, app.screen)
            for key, bindings in node._bindings.key_to_bindings.items()
            if any(isinstance(b, Binding) and b.action in ("quit", "app.quit") for b in bindings)
        }
    listed = [name for keys, _ in KEYS for name in _key_names(keys)]
    assert set(listed) <= bound, set(listed) - bound
    assert {"q", "ctrl+c", "ctrl+q"} <= quits
    assert {"q", "ctrl+c", "ctrl+q", "ctrl+p"} <= set(listed)
    assert "enter" not in listed
