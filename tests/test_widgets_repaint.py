"""Line-rendered panels rebuild and repaint only what changed, and the screen still shows it.

Each check reads the lines back through ``render_lines`` (Textual's per-widget line cache, the
one the compositor paints from), so a line that was changed but not marked dirty would show its
old text here.
"""

from __future__ import annotations

import dataclasses
import gc

import msgspec
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from widget_apps.base import HarnessApp
from widget_apps.header_app import LIVE as HEADER_LIVE
from widget_apps.header_app import HeaderApp
from widget_apps.ladder_app import LadderApp
from widget_apps.status_app import NOW, STATUSES, StatusApp
from widget_apps.tape_app import TapeApp, trades

from pmdash.widgets._line_view import LineView
from pmdash.widgets.data import LadderData, LadderLevel
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_header import MarketHeader
from pmdash.widgets.status_bar import FeedStatusBar
from pmdash.widgets.tape import TapeView


def screen_lines(widget: LineView) -> list[str]:
    """The widget's lines as the compositor would paint them now (border included)."""
    outer = widget.outer_size
    return [strip.text for strip in widget.render_lines(Region(0, 0, outer.width, outer.height))]


def cumulative(levels: list[tuple[int, int]]) -> list[LadderLevel]:
    out: list[LadderLevel] = []
    total = 0
    for price, size in levels:
        total += size
        out.append((price, size, total))
    return out


# Asks hold far more size than bids, so a change deep in the bids leaves the bar scale alone.
ASKS = [(510_000 + i * 10_000, 9_000_000_000) for i in range(5)]
BIDS = [(490_000 - i * 10_000, (100 + i) * 1_000_000) for i in range(5)]
BOOK = LadderData(
    bids=cumulative(BIDS),
    asks=cumulative(ASKS),
    outcome="Yes",
    other_outcome="No",
    depth_bids=5,
    depth_asks=5,
)


async def test_ladder_repaints_only_the_level_that_changed() -> None:
    app = LadderApp(BOOK)
    async with app.run_test(size=(70, 16)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        before = screen_lines(ladder)
        built = ladder.lines_built

        deepest = [*BIDS[:-1], (BIDS[-1][0], 777_000_000)]
        ladder.update_book(dataclasses.replace(BOOK, bids=cumulative(deepest)))
        await pilot.pause()
        after = screen_lines(ladder)

        assert ladder.lines_built == built + 1
        changed = [y for y, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        assert len(changed) == 1
        assert after[changed[0]].split()[:2] == ["│", "0.45"]
        assert "777.00" in after[changed[0]]


async def test_ladder_new_depth_counts_reach_the_border() -> None:
    """The level counts live in the border subtitle; changing them repaints that line only."""
    app = LadderApp(BOOK)
    async with app.run_test(size=(70, 16)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        built = ladder.lines_built
        assert "5 bids · 5 asks · o: No" in screen_lines(ladder)[-1]

        ladder.update_book(dataclasses.replace(BOOK, depth_bids=41, depth_asks=7))
        await pilot.pause()
        lines = screen_lines(ladder)
        assert "41 bids · 7 asks · o: No" in lines[-1]
        assert ladder.lines_built == built  # no content line changed

        ladder.update_book(dataclasses.replace(BOOK, depth_bids=1, depth_asks=1))
        await pilot.pause()
        assert "1 bid · 1 ask · o: No" in screen_lines(ladder)[-1]  # not "1 bids · 1 asks"


async def test_ladder_border_rows_come_back_from_the_memo_and_stay_right() -> None:
    """Depth counts that come back reuse the border row drawn for them; another title or
    subtitle, or another width, draws its own."""
    app = LadderApp(BOOK)
    async with app.run_test(size=(70, 16)) as pilot:
        ladder = app.query_one(BookLadder)

        async def bottom(data: LadderData) -> Strip:
            ladder.update_book(data)
            await pilot.pause()
            outer = ladder.outer_size
            return ladder.render_lines(Region(0, outer.height - 1, outer.width, 1))[0]

        first = await bottom(BOOK)
        other = await bottom(dataclasses.replace(BOOK, depth_bids=41, depth_asks=7))
        again = await bottom(BOOK)
        assert "5 bids · 5 asks · o: No" in first.text
        assert "41 bids · 7 asks · o: No" in other.text
        assert again is first

        flipped = await bottom(dataclasses.replace(BOOK, outcome="No", other_outcome="Yes"))
        assert "o: Yes" in flipped.text and flipped is not first
        top = ladder.render_lines(Region(0, 0, ladder.outer_size.width, 1))[0]
        assert "Book · No" in top.text

        await pilot.resize_terminal(60, 16)
        narrower = await bottom(BOOK)
        assert narrower is not first and narrower.cell_length == ladder.outer_size.width == 60
        assert "5 bids · 5 asks · o: No" in narrower.text


async def test_ladder_state_change_repaints_every_level() -> None:
    """Going stale greys every level and adds the banner: nothing may keep its live look."""
    app = LadderApp(BOOK)
    async with app.run_test(size=(70, 16)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        live_style = next(iter(ladder.render_line(2))).style
        ladder.update_book(dataclasses.replace(BOOK, state="stale", detail="no frame for 9s"))
        await pilot.pause()
        lines = screen_lines(ladder)
        assert "STALE — no frame for 9s" in lines[1]
        inactive = ladder.get_component_rich_style("book-ladder--inactive")
        for y in range(ladder.size.height):
            strip = ladder.render_line(y)
            if strip.text.split() and strip.text.split()[0].startswith("0."):
                assert next(iter(strip)).style == inactive != live_style


async def test_tape_formats_only_the_new_trade() -> None:
    rows = trades(40)
    app = TapeApp(rows[1:])
    async with app.run_test(size=(40, 12)) as pilot:
        tape = app.query_one(TapeView)
        await pilot.pause()
        built = tape.lines_built
        assert "14:29:58.750" in screen_lines(tape)[2]

        tape.update_trades(rows, 10_000)
        await pilot.pause()
        lines = screen_lines(tape)
        assert tape.lines_built == built + 1  # the others moved down with their Strips
        assert "14:30:00.000" in lines[2]
        assert "14:29:58.750" in lines[3]
        assert tape.trades is rows


async def test_header_price_change_repaints_the_prices_line_only() -> None:
    app = HeaderApp(HEADER_LIVE)
    async with app.run_test(size=(100, 4)) as pilot:
        header = app.query_one(MarketHeader)
        await pilot.pause()
        built = header.lines_built
        header.update_header(dataclasses.replace(HEADER_LIVE, best_bid=480_000, spread=30_000))
        await pilot.pause()
        lines = screen_lines(header)
        assert header.lines_built == built + 1
        assert "bid 0.48" in lines[2] and "spread 0.03" in lines[2]
        assert "Will the Fed cut interest rates" in lines[1]
        assert header.data is not None and header.data.best_bid == 480_000


async def test_status_bar_repaints_only_when_its_text_changes() -> None:
    app = StatusApp(STATUSES[:1], 12.5)
    async with app.run_test(size=(100, 3)) as pilot:
        bar = app.query_one(FeedStatusBar)
        await pilot.pause()
        refreshes: list[None] = []
        original = bar.refresh

        def counting_refresh(*args, **kwargs):  # type: ignore[no-untyped-def]
            refreshes.append(None)
            return original(*args, **kwargs)

        bar.refresh = counting_refresh  # type: ignore[method-assign]
        same = [msgspec.structs.replace(STATUSES[0], frames=99_999)]  # frames are not shown
        bar.update_statuses(same, NOW, 12.54)  # shown as 12.5ms, as before
        assert refreshes == []

        older = [msgspec.structs.replace(STATUSES[0], last_frame_age_s=1.2)]
        bar.update_statuses(older, NOW, 12.5)
        await pilot.pause()
        assert len(refreshes) == 1
        assert "age 1.2s" in bar.render_line(0).text


def textual_lines(widget: LineView) -> list[list[tuple[str, object]]]:
    """The widget framed by Textual's own styles pipeline, as (text, style) runs."""
    outer = widget.outer_size
    strips = Widget.render_lines(widget, Region(0, 0, outer.width, outer.height))
    return [[(seg.text, seg.style) for seg in strip.simplify()] for strip in strips]


def framed_lines(widget: LineView) -> list[list[tuple[str, object]]]:
    outer = widget.outer_size
    strips = widget.render_lines(Region(0, 0, outer.width, outer.height))
    return [[(seg.text, seg.style) for seg in strip.simplify()] for strip in strips]


async def test_panels_frame_their_lines_exactly_as_textual_does() -> None:
    """LineView frames content lines itself (edges + filters); cell for cell and style for
    style that must equal Textual's own rendering, after a change and in every panel."""
    cases: list[tuple[HarnessApp, type[LineView], tuple[int, int]]] = [
        (LadderApp(BOOK), BookLadder, (70, 16)),
        (TapeApp(trades(20)), TapeView, (40, 12)),
        (HeaderApp(HEADER_LIVE), MarketHeader, (100, 4)),
    ]
    for app, kind, size in cases:
        async with app.run_test(size=size) as pilot:
            widget = app.query_one(kind)
            await pilot.pause()
            if isinstance(widget, BookLadder):
                deeper = [*BIDS[:-1], (BIDS[-1][0], 777_000_000)]
                widget.update_book(dataclasses.replace(BOOK, bids=cumulative(deeper)))
                await pilot.pause()
            assert widget.lines_framed > 0, kind.__name__  # the fast path was taken
            ours = framed_lines(widget)
            assert ours == textual_lines(widget), kind.__name__
            # A column crop (a partly covered widget) cuts the same cells.
            outer = widget.outer_size
            crop = Region(3, 0, outer.width - 5, outer.height)
            cut = [strip.text for strip in widget.render_lines(crop)]
            assert cut == [strip.text for strip in Widget.render_lines(widget, crop)]


async def test_a_theme_change_reframes_the_lines() -> None:
    app = LadderApp(BOOK)
    async with app.run_test(size=(70, 16)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        before = framed_lines(ladder)
        app.theme = "nord" if app.theme != "nord" else "gruvbox"
        await pilot.pause()
        after = framed_lines(ladder)
        assert after != before  # new colours reached the screen
        assert after == textual_lines(ladder)


async def test_lines_leaving_the_screen_are_freed_without_a_full_collection() -> None:
    """The compositor's ``Strip.divide`` cache makes a painted Strip refer to itself; LineView
    breaks that when the line is replaced, so a busy ladder leaves no cyclic garbage behind."""
    app = LadderApp(BOOK)
    async with app.run_test(size=(70, 16)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        gc.collect()
        gc.disable()
        try:
            for round_ in range(5):  # each round replaces the deepest bid's line
                deeper = [*BIDS[:-1], (BIDS[-1][0], (700 + round_) * 1_000_000)]
                ladder.update_book(dataclasses.replace(BOOK, bids=cumulative(deeper)))
                await pilot.pause()
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            garbage = [obj for obj in gc.garbage if isinstance(obj, Strip)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        left_behind = [strip.text for strip in garbage if "0.45" in strip.text]
        assert left_behind == []


async def test_a_new_title_repaints_only_the_top_border() -> None:
    """Scrolling the ladder changes its title ("depth +N"): only the top border row is
    marked for a repaint (setting ``border_title`` alone would repaint the whole panel)."""
    app = LadderApp(BOOK)
    async with app.run_test(size=(70, 16)) as pilot:
        ladder = app.query_one(BookLadder)
        await pilot.pause()
        ladder._repaint_regions.clear()
        ladder.set_title("Book · Yes · depth +3")
        assert ladder._repaint_regions == {Region(0, 0, ladder.outer_size.width, 1)}
        await pilot.pause()
        assert "Book · Yes · depth +3" in screen_lines(ladder)[0]


async def test_a_paused_tape_formats_no_line_as_trades_arrive() -> None:
    """Scrolled back, new trades only change the count in the title: every line keeps its
    Strip, and the lines are keyed by the trades shown, not by the whole tape."""
    rows = trades(40)
    app = TapeApp(rows[10:])
    async with app.run_test(size=(40, 12)) as pilot:
        tape = app.query_one(TapeView)
        tape.focus()
        await pilot.press("j", "j")
        await pilot.pause()
        before = screen_lines(tape)
        built = tape.lines_built
        for count in range(1, 11):
            tape.update_trades(rows[10 - count :], 10_000, total=30 + count)
            await pilot.pause()
        after = screen_lines(tape)
        assert tape.lines_built == built
        assert after[1:] == before[1:]
        assert "12 newer ↑" in after[0]
