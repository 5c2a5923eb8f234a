"""BookLadder: snapshots of every book state, the line layout checked as text, and scrolling
through the depth when focused."""

from __future__ import annotations

from textual.geometry import Region
from widget_apps.ladder_app import (
    DESYNCED,
    EMPTY,
    FINE_TICK,
    LIVE,
    MISSING,
    STALE,
    LadderApp,
    levels,
)

from pmdash.widgets.data import LadderData
from pmdash.widgets.ladder import BookLadder, banner_text, depth_bar


def test_ladder_live_both_sides(snap_compare) -> None:
    """A live 0.01-tick book, 20 levels a side fitting exactly: you should see asks 0.70 down to
    0.51 (red prices) above a "spread 0.02 · mid 0.50" line, bids 0.49 down to 0.30 (green)
    below, sizes and totals with thousands separators, depth bars growing away from the middle,
    and "Book · Yes" / "34 bids · 41 asks · o: No" on the border."""
    assert snap_compare(LadderApp(LIVE), terminal_size=(72, 44))


def test_ladder_fine_tick(snap_compare) -> None:
    """A 0.001-tick book with 5 asks and 12 bids: prices have 3 decimals (0.965 ... 0.969 above,
    0.962 ... below), the mid line reads "spread 0.003 · mid 0.9635", blank rows above the
    asks keep the best ask next to the middle, and only the bids that fit are shown."""
    assert snap_compare(LadderApp(FINE_TICK), terminal_size=(60, 22))


def test_ladder_stale_banner(snap_compare) -> None:
    """A stale book: a yellow band across the top with the book's reason ("STALE — no frame
    for 12s"), and the levels greyed out but still listed (5 a side at this height)."""
    assert snap_compare(LadderApp(STALE), terminal_size=(60, 16))


def test_ladder_desynced_banner(snap_compare) -> None:
    """A desynced book: a red "DESYNCED: hash mismatch — requesting snapshot" band across the
    top, levels greyed out."""
    assert snap_compare(LadderApp(DESYNCED), terminal_size=(60, 16))


def test_ladder_empty(snap_compare) -> None:
    """No book yet: only "waiting for book" in the middle of an empty "Book · Yes" panel."""
    assert snap_compare(LadderApp(EMPTY), terminal_size=(60, 16))


async def test_ladder_fits_its_height_and_follows_updates() -> None:
    """As many levels a side as fit; the best ask and best bid sit next to the mid line."""
    app = LadderApp(LIVE)
    async with app.run_test(size=(60, 12)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        # 10 content rows: header, 4 asks, mid line, 4 bids.
        lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
        assert ladder.size.height == 10
        assert lines[0].split() == ["PRICE", "SIZE", "TOTAL", "DEPTH"]
        assert [line.split()[0] for line in lines[1:5]] == ["0.54", "0.53", "0.52", "0.51"]
        assert "spread 0.02 · mid 0.50" in lines[5]
        assert [line.split()[0] for line in lines[6:10]] == ["0.49", "0.48", "0.47", "0.46"]
        assert all(len(line) == ladder.size.width for line in lines)

        ladder.update_book(LadderData(bids=[(400_000, 5_000_000, 5_000_000)], asks=()))
        await pilot.pause()
        lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
        assert "no asks" in lines[5]
        assert lines[6].split()[:3] == ["0.40", "5.00", "5.00"]
        assert all(not line.strip() for line in lines[1:5])


async def test_off_tick_levels_keep_the_decimal_points_in_one_column() -> None:
    """Levels at 0.995 and 0.992 left from a finer tick: every price shows 3 decimals."""
    asks = [(995_000, 1_000_000, 3_000_000), (992_000, 1_000_000, 2_000_000),
            (990_000, 1_000_000, 1_000_000)]
    bids = [(940_000, 2_000_000, 2_000_000), (930_000, 1_000_000, 3_000_000)]
    app = LadderApp(LadderData(bids=bids, asks=asks[::-1], tick=10_000))
    async with app.run_test(size=(60, 12)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
        words = [line.split() for line in lines]
        prices = [w[0] for w in words if w and w[0].startswith("0.")]
        assert prices == ["0.995", "0.992", "0.990", "0.940", "0.930"]
        columns = {line.index(price) for line in lines for price in prices if price in line}
        assert len(columns) == 1


def test_depth_bar_eighths() -> None:
    assert depth_bar(1.0, 4) == "████"
    assert depth_bar(0.5, 3) == "█▌"
    assert depth_bar(0.0, 10) == ""
    assert depth_bar(0.0001, 10) == "▏"  # never invisible when there is depth
    assert depth_bar(2.0, 2) == "██"


def test_banner_text_per_state() -> None:
    assert banner_text(None) == "waiting for book"
    assert banner_text(LIVE) is None
    assert banner_text(STALE) == "STALE — no frame for 12s"
    assert banner_text(DESYNCED) == "DESYNCED: hash mismatch — requesting snapshot"
    assert banner_text(LadderData(state="desynced")) == (
        "DESYNCED: book mismatch — requesting snapshot"
    )
    assert banner_text(EMPTY) == "waiting for book"
    assert banner_text(MISSING) == MISSING.detail
    assert banner_text(LadderData(state="missing")) == "no book from the server"


async def test_a_missing_book_is_said_whole_in_the_middle_and_in_the_warning_colour() -> None:
    """A book the server never sent: the App's line in the middle, broken at its dash rather
    than cut on a ladder narrower than it (at 80 columns the ladder has 54), in the warning
    style where "waiting for book" is muted; no depth to scroll into, no level counts."""
    app = LadderApp(MISSING)
    async with app.run_test(size=(44, 12)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
        said = [line.strip() for line in lines if line.strip()]
        assert said == ["no book from the server after 10 s", "is the token id right?"]
        middle_row = ladder.size.height // 2
        assert [y for y, line in enumerate(lines) if line.strip()] == [middle_row, middle_row + 1]
        assert "…" not in "".join(said)
        middle = ladder.render_line(middle_row)
        warning = ladder.get_component_rich_style("book-ladder--missing")
        assert any(seg.text.strip() and seg.style == warning for seg in middle)
        assert warning != ladder.get_component_rich_style("book-ladder--waiting")
        assert str(ladder.border_subtitle) == ""
        ladder.focus()
        await pilot.press("j")
        await pilot.pause()
        assert ladder.depth_offset == 0 and app.depths == []


async def test_ladder_redraws_in_the_new_theme() -> None:
    """Cached lines are dropped when the theme changes: the ask price colour follows it."""
    app = LadderApp(LIVE)
    async with app.run_test(size=(60, 12)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        before = next(iter(ladder.render_line(1))).style
        app.theme = "gruvbox"
        await pilot.pause()
        after = next(iter(ladder.render_line(1))).style
        assert ladder.render_line(1).text.split()[0] == "0.54"
        assert before is not None and after is not None
        assert before.color != after.color
        assert after == ladder.get_component_rich_style("book-ladder--ask")


def _ladder_lines(ladder: BookLadder) -> list[str]:
    return [ladder.render_line(y).text for y in range(ladder.size.height)]


def _prices(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines if line.split() and line.split()[0][:2] == "0."]


async def test_focused_ladder_scrolls_through_the_depth_and_home_returns_to_the_touch() -> None:
    """Focused, j shows the next level of each side (the best ones leave the window next to
    the mid line), page down a whole window, k one back, home the touch again. The title and
    the mid line say "depth +N" while scrolled, and every change is posted to the App."""
    app = LadderApp(LIVE)
    async with app.run_test(size=(60, 12)) as pilot:  # 4 levels a side
        ladder = app.query_one(BookLadder)
        ladder.focus()
        await pilot.pause()
        assert _prices(_ladder_lines(ladder)) == [
            "0.54", "0.53", "0.52", "0.51", "0.49", "0.48", "0.47", "0.46"
        ]

        await pilot.press("j")
        await pilot.pause()
        lines = _ladder_lines(ladder)
        assert ladder.depth_offset == 1
        assert _prices(lines) == ["0.55", "0.54", "0.53", "0.52", "0.48", "0.47", "0.46", "0.45"]
        assert "depth +1 · spread 0.02 · mid 0.50" in lines[5]  # still the touch's spread
        assert str(ladder.border_title) == "Book · Yes · depth +1"

        await pilot.press("pagedown")
        await pilot.pause()
        lines = _ladder_lines(ladder)
        assert _prices(lines) == ["0.59", "0.58", "0.57", "0.56", "0.44", "0.43", "0.42", "0.41"]
        assert str(ladder.border_title) == "Book · Yes · depth +5"
        # The deepest level shown keeps its total from the touch (5th..9th best here).
        assert lines[1].split()[2] == f"{LIVE.asks[8][2] / 1e6:,.2f}"

        await pilot.press("k", "up")
        await pilot.pause()
        assert ladder.depth_offset == 3

        await pilot.press("home")
        await pilot.pause()
        lines = _ladder_lines(ladder)
        assert ladder.depth_offset == 0
        assert _prices(lines) == ["0.54", "0.53", "0.52", "0.51", "0.49", "0.48", "0.47", "0.46"]
        assert str(ladder.border_title) == "Book · Yes"
        assert "depth" not in lines[5]
        assert app.depths == [1, 5, 4, 3, 0]


async def test_ladder_scrolls_no_deeper_than_the_deepest_level() -> None:
    """Six levels a side and four shown: two levels of scroll, then j does nothing (no
    message either); up at the touch does nothing."""
    book = LadderData(
        bids=levels(490_000, -10_000, 6),
        asks=levels(510_000, 10_000, 6),
        depth_bids=6,
        depth_asks=6,
        outcome="Yes",
    )
    app = LadderApp(book)
    async with app.run_test(size=(60, 12)) as pilot:
        ladder = app.query_one(BookLadder)
        ladder.focus()
        await pilot.pause()
        await pilot.press("k")
        await pilot.press("j", "j", "j", "j", "pagedown")
        await pilot.pause()
        assert ladder.depth_offset == 2
        assert app.depths == [1, 2]
        assert _prices(_ladder_lines(ladder)) == [
            "0.56", "0.55", "0.54", "0.53", "0.47", "0.46", "0.45", "0.44"
        ]

        ladder.reset_depth()  # the App's reset for another book: no message
        await pilot.pause()
        assert ladder.depth_offset == 0 and app.depths == [1, 2]
        assert _prices(_ladder_lines(ladder))[:1] == ["0.54"]


async def test_ladder_without_focus_takes_no_movement_keys() -> None:
    app = LadderApp(LIVE)
    async with app.run_test(size=(60, 12)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.press("j", "pagedown")
        await pilot.pause()
        assert app.focused is None
        assert ladder.depth_offset == 0 and app.depths == []


async def test_focused_ladder_draws_its_whole_border_in_the_focus_colour() -> None:
    """The frame LineView cuts once per style follows the focus: the side edges of the level
    lines change colour with the corners."""
    app = LadderApp(LIVE)
    async with app.run_test(size=(60, 12)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        width = ladder.outer_size.width

        def edges() -> tuple[object, object]:
            corner = next(iter(ladder.render_lines(Region(0, 0, width, 1))[0])).style
            side = next(iter(ladder.render_lines(Region(0, 3, width, 1))[0])).style
            assert corner is not None and side is not None
            return corner.color, side.color

        blurred = edges()
        ladder.focus()
        await pilot.pause()
        focused = edges()
        assert focused[0] == focused[1] != blurred[0] == blurred[1]
        ladder.blur()
        await pilot.pause()
        assert edges() == blurred
