"""The stylesheet with every widget in place, and the help screen."""

from __future__ import annotations

from widget_apps.layout_app import LayoutApp

from pmdash.widgets.help_screen import KEYS, HelpScreen, KeysTable, key_lines
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_list import MarketList
from pmdash.widgets.tape import TapeView


def test_layout_full(snap_compare) -> None:
    """Markets on the left (first highlighted), the market header over the book ladder and the
    trade tape in the centre, no right column (it has no panels), the feed status line above the
    footer (q Quit, ? Help first, then ↑↓ j k Move from the focused market list, o Flip; no
    command-palette key)."""
    assert snap_compare(LayoutApp(), terminal_size=(150, 40))


def test_help_screen(snap_compare) -> None:
    """After "?": a centred "Keys" box over the dimmed dashboard listing q, ctrl+c ctrl+q, ?,
    tab (focus: markets, book, trades), arrows and j k (what each panel does with them), pgup
    pgdn, home, end, o, t (the tape), ctrl+p and escape, with "escape closes" on its bottom
    border; the help's own footer below: q Quit, esc Close, ↑↓ j k Scroll."""
    assert snap_compare(LayoutApp(), press=["question_mark"], terminal_size=(100, 24))


def test_key_lines_wrap_descriptions_under_themselves() -> None:
    wide = [line.plain for line in key_lines()]
    assert len(wide) == len(KEYS)
    narrow = [line.plain for line in key_lines(width=30)]
    key_w = max(len(key) for key, _ in KEYS)
    assert len(narrow) > len(KEYS)
    assert all(len(line) <= 30 for line in narrow)
    continued = [line for line in narrow if not line[:key_w].strip()]
    assert continued and all(line[key_w + 2] != " " for line in continued)
    assert " ".join(" ".join(line.split()) for line in narrow).split() == " ".join(
        f"{key} {what}" for key, what in KEYS
    ).split()  # every word, in order: nothing cut off


async def test_help_fits_a_narrow_terminal() -> None:
    """At 44x16 the Keys box stays on screen and shows every description whole (wrapped);
    before, it kept its natural width and both edges fell off the screen."""
    app = LayoutApp()
    async with app.run_test(size=(44, 16)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one("#help")
        assert app.screen.region.contains_region(box.region)
        table = app.screen.query_one(KeysTable)
        shown = " ".join(
            "".join(table.render_line(y).text).strip() for y in range(table.size.height)
        )
        for _, what in KEYS:
            assert " ".join(what.split()) in " ".join(shown.split())


async def test_help_closes_on_escape() -> None:
    app = LayoutApp()
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


def test_layout_80_columns(snap_compare) -> None:
    """An 80x24 terminal: a 24-column market list and the book ladder in the rest (prices,
    sizes, totals and depth bars all shown); no trade tape. The header's prices line shows
    bid, ask and the last trade (0.50 BUY) and ends with the book's state alone ("live")."""
    assert snap_compare(LayoutApp(), terminal_size=(80, 24))


def test_layout_110_columns(snap_compare) -> None:
    """A 110x30 terminal: the market list narrowed to 24 columns, the trade tape to 38, and
    the ladder between them with its depth bars."""
    assert snap_compare(LayoutApp(), terminal_size=(110, 30))


async def test_the_ladder_keeps_its_room_as_the_terminal_narrows() -> None:
    """Per width: the list's and the tape's widths (0: hidden), and the ladder gets the rest.
    Before the width classes, an 80-column terminal left the ladder 6 columns; below 60 the
    list goes too."""
    expected = {
        150: (34, 40, 76),
        120: (34, 40, 46),
        119: (24, 38, 57),
        100: (24, 38, 38),
        99: (24, 0, 75),
        80: (24, 0, 56),
        60: (24, 0, 36),
        59: (0, 0, 59),
        40: (0, 0, 40),
    }
    app = LayoutApp()
    async with app.run_test(size=(150, 40)) as pilot:
        for width, (list_w, tape_w, ladder_w) in expected.items():
            await pilot.resize_terminal(width, 40)
            await pilot.pause()
            tape = app.query_one(TapeView)
            markets = app.query_one(MarketList)
            seen = (
                markets.outer_size.width if markets.display else 0,
                tape.outer_size.width if tape.display else 0,
                app.query_one(BookLadder).outer_size.width,
            )
            assert seen == (list_w, tape_w, ladder_w), f"at {width} columns"
