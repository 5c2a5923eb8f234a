"""Focus and the movement keys in the real App: tab moves the focus between the panels, the
focused one takes j/k (the list switches markets, the ladder scrolls its depth, the tape scrolls
back through older trades), and another market or outcome starts both panels at the top.

The feeds are off and the Store holds fixed data; the App's own flush timer is slowed to 1 Hz so
it does not race the test (new data is flushed by hand).
"""

from __future__ import annotations

import time

from conftest import dashboard_app, market_group
from textual.widgets import Footer

from pmdash.app import PmdashApp
from pmdash.models import BookSnapshot, MarketInfo, Trade
from pmdash.widgets.help_screen import HelpScreen
from pmdash.widgets.market_group import MarketPanelSettings
from pmdash.widgets.tape import fmt_time_ms

NOW_MS = 1_767_364_200_000
YES, NO = "1" * 77, "2" * 77
OTHER_YES, OTHER_NO = "3" * 77, "4" * 77
FED = MarketInfo(
    condition_id="0x" + "a" * 64,
    question="Will the Fed cut rates in December?",
    slug="fed-cut-december",
    token_ids=(YES, NO),
    outcomes=("Yes", "No"),
)
BTC = MarketInfo(
    condition_id="0x" + "b" * 64,
    question="Bitcoin above $100k on Friday?",
    slug="btc-100k-friday",
    token_ids=(OTHER_YES, OTHER_NO),
    outcomes=("Yes", "No"),
)
LEVELS = 30
BIDS = tuple((600_000 - i * 10_000, (10 + i) * 1_000_000) for i in range(LEVELS))
ASKS = tuple((620_000 + i * 10_000, (10 + i) * 1_000_000) for i in range(LEVELS))
TRADES = 60
SIZE = (150, 24)
"""Ladder: 16 lines, 7 levels a side; tape: 15 trades under its header."""


def _book(asset: str, market: MarketInfo, bids: tuple, asks: tuple) -> BookSnapshot:  # type: ignore[type-arg]
    return BookSnapshot(
        feed="market", asset_id=asset, market=market.condition_id, bids=bids, asks=asks,
        timestamp=NOW_MS, tick_size=10_000,
    )


def _trade(index: int, asset: str = YES) -> Trade:
    """Trade ``index`` of the YES tape: one a second, the last at the clock."""
    return Trade(
        feed="market", asset_id=asset, market=FED.condition_id, price=610_000,
        size=(index + 1) * 1_000_000, side="BUY" if index % 2 else "SELL",
        timestamp=NOW_MS - (TRADES - 1 - index) * 1_000,
    )


def _time(index: int) -> str:
    return fmt_time_ms(NOW_MS - (TRADES - 1 - index) * 1_000)


def focus_app(panel: MarketPanelSettings | None = None) -> PmdashApp:
    """The real App with no sockets: a 30-level book and 60 trades on the first market's YES,
    a mirrored book and one trade on its NO, a small book on the second market."""
    mirror_bids = tuple((1_000_000 - p, s) for p, s in ASKS)
    mirror_asks = tuple((1_000_000 - p, s) for p, s in BIDS)
    events = [
        _book(YES, FED, BIDS, ASKS),
        _book(NO, FED, mirror_bids, mirror_asks),
        _book(OTHER_YES, BTC, ((480_000, 1_000_000),), ((520_000, 1_000_000),)),
        _book(OTHER_NO, BTC, ((480_000, 1_000_000),), ((520_000, 1_000_000),)),
        *(_trade(i) for i in range(TRADES)),
        _trade(0, asset=NO),
    ]
    return dashboard_app([FED, BTC], refresh_hz=1.0, panel=panel, events=events)


def ladder_prices(app: PmdashApp) -> list[str]:
    """The prices of the levels the ladder shows, top down (asks, then bids)."""
    ladder = market_group(app).ladder
    lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
    return [line.split()[0] for line in lines if line.split() and line.split()[0][:2] == "0."]


def mid_line(app: PmdashApp) -> str:
    ladder = market_group(app).ladder
    lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
    return next(line for line in lines if "spread" in line)


def tape_times(app: PmdashApp) -> list[str]:
    tape = market_group(app).tape
    lines = [tape.render_line(y).text for y in range(1, tape.size.height)]
    return [line.split()[0] for line in lines if line.split()]


def footer_descriptions(app: PmdashApp) -> list[str]:
    return [getattr(key, "description", "") for key in app.query_one(Footer).walk_children()]


async def test_tab_cycles_the_focus_list_ladder_tape_and_shift_tab_back() -> None:
    app = focus_app()
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is panels.market_list
        seen = []
        for _ in range(3):
            await pilot.press("tab")
            await pilot.pause()
            seen.append(app.focused)
            if app.focused is panels.ladder:
                assert "Depth" in footer_descriptions(app)
            if app.focused is panels.tape:
                assert "Scroll" in footer_descriptions(app)
        assert seen == [panels.ladder, panels.tape, panels.market_list]
        assert "Move" in footer_descriptions(app)

        seen = []
        for _ in range(3):
            await pilot.press("shift+tab")
            await pilot.pause()
            seen.append(app.focused)
        assert seen == [panels.tape, panels.ladder, panels.market_list]


async def test_tab_skips_the_panels_a_narrow_terminal_hides() -> None:
    """Below 100 columns the tape is hidden: list and ladder. Below 60 the list is hidden
    too: the ladder and no panel, where j/k switch markets (the list's keys without it), so
    the focus never gets stuck in the ladder. The help closing gives the focus back to the
    list (hidden or not), never to the ladder by itself."""
    app = focus_app()
    panels = market_group(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        seen = []
        for _ in range(2):
            await pilot.press("tab")
            await pilot.pause()
            seen.append(app.focused)
        assert seen == [panels.ladder, panels.market_list]

        await pilot.resize_terminal(50, 24)
        await pilot.pause()
        assert not panels.market_list.display and app.focused is None
        await pilot.press("j")
        await pilot.pause()
        assert panels.selected == BTC.condition_id
        await pilot.press("k")
        await pilot.pause()
        assert panels.selected == FED.condition_id

        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is panels.ladder
        await pilot.press("j")
        await pilot.pause()
        assert panels.selected == FED.condition_id  # the focused ladder took it
        assert panels.ladder.depth_offset == 1
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is None
        await pilot.press("j")
        await pilot.pause()
        assert panels.selected == BTC.condition_id
        assert panels.ladder.depth_offset == 0  # another market: back at the touch

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused in (None, panels.market_list)  # Textual focuses the hidden list
        await pilot.press("k")
        await pilot.pause()
        assert panels.selected == FED.condition_id
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is panels.ladder  # the hidden list's stop was where the focus was
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.focused is None

        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert app.focused is panels.market_list


async def test_focused_ladder_shows_deeper_levels_and_home_the_touch() -> None:
    """j with the ladder focused shows the next level down each side; the App pushes at once
    the levels the new depth needs (here ladder_levels is 8, one more than fit)."""
    app = focus_app(MarketPanelSettings(ladder_levels=8))
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        top = ["0.68", "0.67", "0.66", "0.65", "0.64", "0.63", "0.62"]
        top += ["0.60", "0.59", "0.58", "0.57", "0.56", "0.55", "0.54"]
        assert ladder_prices(app) == top
        assert panels.ladder.data is not None and len(panels.ladder.data.bids) == 8

        await pilot.press("tab", "j")
        await pilot.pause()
        assert app.focused is panels.ladder
        assert ladder_prices(app)[6:8] == ["0.63", "0.59"]  # the best level of each side left
        assert str(panels.ladder.border_title) == "Book · Yes · depth +1"
        assert "depth +1 · spread 0.02 · mid 0.61" in mid_line(app)
        assert panels.selected == FED.condition_id  # j scrolled the ladder, not the list

        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert panels.ladder.depth_offset == 15
        assert len(panels.ladder.data.bids) == 8 + 15  # pushed without waiting for a flush
        assert ladder_prices(app) == [
            "0.83", "0.82", "0.81", "0.80", "0.79", "0.78", "0.77",
            "0.45", "0.44", "0.43", "0.42", "0.41", "0.40", "0.39",
        ]
        assert str(panels.ladder.border_title) == "Book · Yes · depth +15"

        # A book change at the next flush keeps the depth.
        app.store.apply([_book(YES, FED, BIDS[1:], ASKS)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert ladder_prices(app)[7] == "0.44"

        await pilot.press("home")
        await pilot.pause()
        assert panels.ladder.depth_offset == 0
        assert ladder_prices(app)[:1] == ["0.68"]
        assert str(panels.ladder.border_title) == "Book · Yes"
        assert len(panels.ladder.data.bids) == 8


async def test_focused_tape_scrolls_back_keeps_its_view_and_home_resumes() -> None:
    """With the tape focused, j shows older trades; trades arriving meanwhile leave the view
    where it is and the title counts them; home shows the newest again. The App pushes the
    trades the offset needs (TAPE_ROWS is 20 here, so two pages down need more)."""
    # The tape repaints at every flush.
    app = focus_app(MarketPanelSettings(tape_rows=20, tape_hz=1000.0))
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        newest = [_time(i) for i in range(TRADES - 1, TRADES - 16, -1)]
        assert tape_times(app) == newest
        assert len(panels.tape.trades) == 20

        await pilot.press("tab", "tab", "j")
        await pilot.pause()
        assert app.focused is panels.tape
        assert tape_times(app) == [*newest[1:], _time(TRADES - 16)]
        assert str(panels.tape.border_title) == "Trades (UTC) · 1 newer ↑"

        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert panels.tape.newer_above == 31
        assert len(panels.tape.trades) == 31 + 20  # pushed without waiting for a flush
        shown = [_time(i) for i in range(TRADES - 32, TRADES - 47, -1)]
        assert tape_times(app) == shown

        # Three new trades: the view keeps the same trades, the title counts them.
        fresh = [
            Trade(
                feed="market", asset_id=YES, market=FED.condition_id, price=650_000,
                size=1_000_000, side="BUY", timestamp=NOW_MS + (i + 1) * 1_000,
            )
            for i in range(3)
        ]
        app.store.apply(fresh, time.perf_counter())
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert panels.tape.newer_above == 34
        assert tape_times(app) == shown
        assert str(panels.tape.border_title) == "Trades (UTC) · 34 newer ↑"
        assert str(panels.tape.border_subtitle) == "paused · home: live"

        await pilot.press("home")
        await pilot.pause()
        assert not panels.tape.paused
        assert tape_times(app)[:4] == [fmt_time_ms(t.timestamp) for t in fresh[::-1]] + [
            _time(TRADES - 1)
        ]
        assert str(panels.tape.border_title) == "Trades (UTC)"
        assert len(panels.tape.trades) == 20


async def test_list_focused_j_k_switch_markets_and_o_or_a_new_market_reset_the_scrolls() -> None:
    app = focus_app()
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        assert panels.selected == BTC.condition_id
        await pilot.press("k")
        await pilot.pause()
        assert panels.selected == FED.condition_id

        async def scroll_both() -> None:
            await pilot.press("tab", "j", "j", "tab", "j")
            await pilot.pause()
            assert panels.ladder.depth_offset == 2 and panels.tape.newer_above == 1

        await scroll_both()
        assert app.focused is panels.tape
        await pilot.press("o")  # the tape has no o: the App flips the outcome
        await pilot.pause()
        assert panels.ladder.data is not None and panels.ladder.data.outcome == "No"
        assert panels.ladder.depth_offset == 0 and not panels.tape.paused
        assert str(panels.ladder.border_title) == "Book · No"
        assert str(panels.tape.border_title) == "Trades (UTC)"
        assert tape_times(app) == [fmt_time_ms(_trade(0).timestamp)]

        await pilot.press("o", "tab")  # back to Yes; the focus back on the list
        await pilot.pause()
        assert app.focused is panels.market_list
        await scroll_both()
        await pilot.press("tab", "j")  # the list again: another market
        await pilot.pause()
        assert panels.selected == BTC.condition_id
        assert panels.ladder.depth_offset == 0 and not panels.tape.paused
        assert "depth" not in str(panels.ladder.border_title)
