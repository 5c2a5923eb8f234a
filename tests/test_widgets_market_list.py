"""MarketList: snapshot, keys j/k/enter, and updates that keep the highlight."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.style import Style as RichStyle
from textual.content import Content
from textual.geometry import Region, Spacing
from textual.strip import Strip
from textual.widget import Widget
from widget_apps.market_list_app import ROWS, MarketListApp

from pmdash.units import fmt_price
from pmdash.widgets.data import MarketRow
from pmdash.widgets.market_list import MarketList, MarketPrompt, market_prompt


def test_market_list_second_highlighted(snap_compare) -> None:
    """Five two-line markets (question cut with "…", then bid/ask/last or a green RESOLVED);
    after "j" the second one ("Will Bitcoin close above $100k…", RESOLVED) is highlighted."""
    assert snap_compare(MarketListApp(ROWS), press=["j"], terminal_size=(34, 14))


async def test_keys_move_and_select() -> None:
    """The first market is announced when the list fills; j/k/down/up move (each move
    announces the new market) and enter announces the highlighted one again."""
    app = MarketListApp(ROWS)
    async with app.run_test(size=(34, 14)) as pilot:
        await pilot.pause()
        assert app.selected == ["0xaaa"]
        await pilot.press("j", "j", "k")
        await pilot.pause()
        assert app.selected == ["0xaaa", "0xbbb", "0xccc", "0xbbb"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == ["0xaaa", "0xbbb", "0xccc", "0xbbb", "0xbbb"]
        await pilot.press("down", "up", "up")
        await pilot.pause()
        markets = app.query_one(MarketList)
        assert markets.highlighted_id == "0xaaa"
        assert app.selected[-3:] == ["0xccc", "0xbbb", "0xaaa"]


async def test_update_keeps_highlight_and_announces_nothing() -> None:
    """New prices, a reordering and a duplicate row leave the same market highlighted, and
    post no MarketSelected; removing the highlighted market moves the highlight and says so."""
    app = MarketListApp(ROWS)
    async with app.run_test(size=(34, 14)) as pilot:
        markets = app.query_one(MarketList)
        await pilot.press("j", "j")
        await pilot.pause()
        assert markets.highlighted_id == "0xccc"
        before = list(app.selected)

        markets.update_markets([replace(row, best_bid=100_000) for row in ROWS])
        await pilot.pause()
        assert markets.highlighted_id == "0xccc"
        assert "bid 0.10" in str(markets.get_option("0xeee").prompt)

        markets.update_markets([ROWS[2], *reversed(ROWS), ROWS[0]])  # duplicates: first wins
        await pilot.pause()
        assert [option.id for option in markets.options] == [
            "0xccc",
            "0xeee",
            "0xddd",
            "0xbbb",
            "0xaaa",
        ]
        assert markets.highlighted_id == "0xccc"
        assert app.selected == before

        markets.update_markets([row for row in ROWS if row.condition_id != "0xccc"])
        await pilot.pause()
        assert markets.highlighted_id is not None
        assert app.selected[-1] == markets.highlighted_id


def _screen_text(app: MarketListApp) -> list[str]:
    """The list as the screen shows it (a full render of the App's screen)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def record_refreshes(markets: MarketList) -> list[tuple[Region, ...]]:
    """Every ``refresh`` call's regions from now on (the list is filled as they come)."""
    refreshed: list[tuple[Region, ...]] = []
    original = markets.refresh

    def recording(*regions: Region, **kwargs: bool) -> MarketList:
        refreshed.append(regions)
        return original(*regions, **kwargs)

    markets.refresh = recording  # type: ignore[method-assign]
    return refreshed


async def test_a_price_update_repaints_only_that_market_and_shows_it() -> None:
    """New prices for the third market refresh its two lines and nothing else; the screen then
    equals a list that was given the new rows from the start (highlighted row included). A
    question with a line break in it stays on one line: every market keeps its two lines."""
    rows = [*ROWS]
    rows[2] = replace(ROWS[2], best_bid=100_000, last=110_000)
    fresh = MarketListApp(rows)
    async with fresh.run_test(size=(34, 14)) as pilot:
        await pilot.pause()
        expected = _screen_text(fresh)

    app = MarketListApp(ROWS)
    async with app.run_test(size=(34, 14)) as pilot:
        markets = app.query_one(MarketList)
        await pilot.pause()
        assert _screen_text(app) != expected
        refreshed = record_refreshes(markets)
        markets.update_markets(rows)
        await pilot.pause()
        width = markets.scrollable_content_region.width
        assert refreshed == [(Region(0, 4, width, 2),)]
        assert _screen_text(app) == expected
        assert "bid 0.10" in _screen_text(app)[6]

        refreshed.clear()
        markets.update_markets([replace(rows[0], label="Two\nlines?"), *rows[1:]])
        await pilot.pause()
        assert refreshed == [(Region(0, 0, width, 2),)]
        assert _screen_text(app)[1].startswith("│Two lines?")
        assert "bid 0.49" in _screen_text(app)[2]


def _markup_prompt(row: MarketRow) -> Content:
    """The prompt as markup describes it (what ``market_prompt`` builds without parsing)."""
    values = {
        "bid": fmt_price(row.best_bid, row.tick),
        "ask": fmt_price(row.best_ask, row.tick),
    }
    if row.resolved:
        prices = Content.from_markup("[$text-success bold]RESOLVED[/]")
    elif row.state == "empty":
        prices = Content.from_markup("[$foreground-muted]no book yet[/]")
    elif row.state == "missing":
        prices = Content.from_markup("[$text-warning]no book from server[/]")
    elif row.state == "stale":
        prices = Content.from_markup(
            "[$text-warning bold]STALE[/]  [$foreground-muted]bid [/]$bid  "
            "[$foreground-muted]ask [/]$ask",
            **values,
        )
    elif row.state == "desynced":
        prices = Content.from_markup(
            "[$text-error bold]DESYNC[/]  [$foreground-muted]bid [/]$bid  "
            "[$foreground-muted]ask [/]$ask",
            **values,
        )
    else:
        prices = Content.from_markup(
            "[$foreground-muted]bid [/]$bid  [$foreground-muted]ask [/]$ask  "
            "[$foreground-muted]last [/]$last",
            bid=fmt_price(row.best_bid, row.tick),
            ask=fmt_price(row.best_ask, row.tick),
            last=fmt_price(row.last, row.tick),
        )
    return Content.from_markup("$label\n", label=row.label) + prices


@pytest.mark.parametrize(
    "row",
    [
        *ROWS,
        MarketRow("0x1", "", None, None, None),
        MarketRow("0x2", "Ünïcödé 🚀 wide 漢字 [b]not markup[/b] $var", 5_000, 995_000, 1_000),
        MarketRow("0x3", "tick", 512_300, 512_400, 512_300, tick=100),
        MarketRow("0x4", "Stale?", 490_000, 510_000, 500_000, state="stale"),
        MarketRow("0x5", "Desynced?", None, 510_000, 500_000, state="desynced"),
        MarketRow("0x6", "No book?", state="empty"),
        MarketRow("0x8", "Mistyped token id?", state="missing"),
        MarketRow("0x7", "Resolved and stale", state="stale", resolved=True),
    ],
)
def test_prompt_is_what_its_markup_says(row: MarketRow) -> None:
    built = market_prompt(row)
    reference = _markup_prompt(row)
    assert (built.plain, list(built.spans)) == (reference.plain, list(reference.spans))
    assert str(MarketPrompt(row)) == reference.plain


async def test_a_thousand_markets_repaint_only_what_is_on_screen() -> None:
    """New prices for all of 1,000 markets refresh only the markets on screen; the ones below
    show their new prices once scrolled to (their prompts are rendered when shown)."""
    rows = [MarketRow(f"0x{i:04x}", f"Market {i}?", 400_000, 600_000, None) for i in range(1000)]
    app = MarketListApp(rows)
    async with app.run_test(size=(34, 14)) as pilot:
        markets = app.query_one(MarketList)
        await pilot.pause()
        refreshed = record_refreshes(markets)
        assert markets.update_markets([replace(row, best_bid=410_000) for row in rows])
        await pilot.pause()
        visible = markets.scrollable_content_region.height // 2
        assert 0 < len(refreshed) <= visible + 1
        assert all(len(regions) == 1 and regions[0].height == 2 for regions in refreshed)
        assert "bid 0.41" in _screen_text(app)[2]

        await pilot.press("end")
        await pilot.pause()
        text = _screen_text(app)
        assert any("Market 999?" in line for line in text)
        assert sum("bid 0.41" in line for line in text) == visible
        assert not any("bid 0.40" in line for line in text)


async def test_control_characters_in_a_question_never_reach_the_terminal() -> None:
    """A question carrying escape sequences (retitle the window, clear the screen) shows
    with U+FFFD where each control character was."""
    rows = [MarketRow("0xbad", "Evil\x1b]0;PWNED\x07 \x9b2J?", 400_000, 600_000, None)]
    app = MarketListApp(rows)
    async with app.run_test(size=(34, 8)) as pilot:
        await pilot.pause()
        text = _screen_text(app)
        assert not any(ch in line for line in text for ch in "\x1b\x07\x9b")
        assert "Evil\ufffd]0;PWNED\ufffd \ufffd2J?" in text[1]


def _segments(strips: list[Strip]) -> list[list[tuple[str, RichStyle, dict[str, object]]]]:
    """Each strip's segments as (text, style without meta, meta less selection offsets)."""
    return [
        [
            (
                segment.text,
                segment.style.clear_meta_and_links(),
                {k: v for k, v in segment.style.meta.items() if k != "offset"},
            )
            for segment in strip
            if segment.style is not None
        ]
        for strip in strips
    ]


STATE_ROWS = [
    *ROWS,
    MarketRow("0x1", "", None, None, None),
    MarketRow("0x2", "Wide 漢字 and 🚀 in a question long enough to be cut", 5_000, 995_000, 1_000),
    MarketRow("0x4", "Stale?", 490_000, 510_000, 500_000, state="stale"),
    MarketRow("0x5", "Desynced?", None, 510_000, 500_000, state="desynced"),
    MarketRow("0x6", "No book?", state="empty"),
]


async def test_rows_are_drawn_as_textual_draws_their_content() -> None:
    """The rows built from their pieces have the segments Textual renders from the prompt's
    Content, for every state, the highlighted and plain option styles and widths from roomy
    to too narrow for the prices (which Textual then draws)."""
    app = MarketListApp(STATE_ROWS)
    async with app.run_test(size=(34, 30)) as pilot:
        await pilot.pause()
        markets = app.query_one(MarketList)
        styles = [
            markets.get_visual_style("option-list--option"),
            markets.get_visual_style("option-list--option", "option-list--option-highlighted"),
        ]
        fast = 0
        for index, row in enumerate(STATE_ROWS):
            prompt = MarketPrompt(row)
            for style in styles:
                for width in (60, 32, 27, 12, 1):
                    built = markets._row_strips(row, style, width, index)
                    textual = markets._content_strips(prompt, style, Spacing(), width, index)
                    if built is None:
                        assert width < len(str(prompt).split("\n")[1])
                        continue
                    fast += 1
                    assert [s.cell_length for s in built] == [s.cell_length for s in textual]
                    assert _segments(built) == _segments(textual), (row, width)
        assert fast >= len(STATE_ROWS) * 2 * 2


def _cells(app: MarketListApp) -> list[list[tuple[str, RichStyle]]]:
    """The screen as cells: each character and its style, meta left out."""
    return [
        [
            (char, segment.style.clear_meta_and_links() if segment.style else RichStyle())
            for segment in strip
            for char in segment.text
        ]
        for strip in app.screen._compositor.render_strips()
    ]


async def test_the_screen_is_the_same_with_or_without_rows_built_from_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screens = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(MarketList, "_row_strips", lambda *args: None)
        app = MarketListApp(STATE_ROWS)
        async with app.run_test(size=(34, 22)) as pilot:
            await pilot.press("j", "j")
            await pilot.pause()
            screens.append(_cells(app))
    assert screens[0] == screens[1]


def _runs(strips: list[Strip]) -> list[list[tuple[str, RichStyle | None]]]:
    """Each strip as (text, style) runs, meta included (a click on a row names its option)."""
    return [[(seg.text, seg.style) for seg in strip.simplify()] for strip in strips]


async def test_content_rows_are_framed_exactly_as_textual_frames_them() -> None:
    """MarketList frames its content rows itself (Textual's edges around OptionList's row):
    row for row, focused or not, after a price change, a move and a theme change, the result
    is Textual's own styles pipeline, cell for cell and style for style."""
    app = MarketListApp(ROWS)
    async with app.run_test(size=(34, 16)) as pilot:
        await pilot.pause()
        markets = app.query_one(MarketList)
        outer = markets.outer_size
        rows = range(1, outer.height - 1)  # inside the border

        def check() -> None:
            for y in rows:
                row = Region(0, y, outer.width, 1)
                ours = markets.render_lines(row)
                assert _runs(ours) == _runs(Widget.render_lines(markets, row)), y
            assert markets._framed, "the fast path was not taken"
            crop = Region(2, 1, outer.width - 4, 3)  # a partly covered list
            cut = [strip.text for strip in markets.render_lines(crop)]
            assert cut == [strip.text for strip in Widget.render_lines(markets, crop)]

        check()
        markets.update_row(replace(ROWS[0], best_bid=500_000))
        await pilot.press("j")
        await pilot.pause()
        check()
        markets.blur()
        await pilot.pause()
        check()
        app.theme = "nord" if app.theme != "nord" else "gruvbox"
        await pilot.pause()
        check()
        # The whole widget (border rows included) is Textual's.
        whole = Region(0, 0, outer.width, outer.height)
        assert _runs(markets.render_lines(whole)) == _runs(Widget.render_lines(markets, whole))


async def test_a_scrollbar_hands_the_rows_to_textual_and_its_going_hands_them_back() -> None:
    """With more markets than fit, the scrollbar takes a column and Textual frames the rows;
    once it has gone (fewer markets), the list frames them again, still as Textual does."""
    many = [replace(ROWS[0], condition_id=f"0x{i:03x}", label=f"Market {i}") for i in range(20)]
    app = MarketListApp(many)
    async with app.run_test(size=(34, 16)) as pilot:
        await pilot.pause()
        markets = app.query_one(MarketList)
        outer = markets.outer_size
        inside = Region(0, 1, outer.width, outer.height - 2)
        assert markets.scrollable_content_region.width < outer.width - 2  # a scrollbar
        assert _runs(markets.render_lines(inside)) == _runs(Widget.render_lines(markets, inside))
        assert not markets._framed
        markets.update_markets(ROWS[:2])
        await pilot.pause()
        assert markets.scrollable_content_region.width == outer.width - 2
        assert _runs(markets.render_lines(inside)) == _runs(Widget.render_lines(markets, inside))
        assert markets._framed, "the fast path did not come back"
