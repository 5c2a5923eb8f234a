"""TapeView: snapshot of a full tape and of an empty one; time formatting; prices aligned
when some trades are off the tick; scrolling back through older trades (paused) when focused."""

from __future__ import annotations

from datetime import timedelta, timezone

import msgspec
from textual.pilot import Pilot
from widget_apps.base import NOW_MS
from widget_apps.tape_app import TapeApp, trades

from pmdash.models import Trade
from pmdash.widgets.tape import TapeView, fmt_time_ms

CENT = 10_000
MILLI = 1_000


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


def _priced(prices: list[int], start: int = 0) -> list[Trade]:
    """Trades at ``prices``, newest first, 1 s apart (``start`` seconds before the clock)."""
    return [
        Trade(
            feed="market",
            asset_id="123",
            market="0xabc",
            price=price,
            size=10_000_000,
            side="BUY",
            timestamp=NOW_MS - (start + index) * 1_000,
        )
        for index, price in enumerate(prices)
    ]


async def _prices(pilot: Pilot[None]) -> list[tuple[str, int]]:
    """Per trade line shown: the price text and the column of its decimal point."""
    await pilot.pause()
    tape = pilot.app.query_one(TapeView)
    shown = []
    for y in range(1, tape.size.height):
        line = "".join(tape.render_line(y).text)
        fields = line.split()
        if not fields:
            continue
        time, _side, price = fields[:3]
        start = line.index(f" {price} ", line.index(time) + len(time))
        shown.append((price, start + 1 + price.index(".")))
    return shown


async def test_prices_off_the_tick_align_with_the_others() -> None:
    """The tester's case: the tick went from 0.001 back to 0.01 with 0.973 and 0.965 still in
    the tape. Before, "0.973" stood over "0.97", one column out."""
    app = TapeApp(_priced([973_000, 970_000, 965_000, 960_000]), tick=CENT)
    async with app.run_test(size=(40, 8)) as pilot:
        shown = await _prices(pilot)
    assert [price for price, _ in shown] == ["0.973", "0.970", "0.965", "0.960"]
    assert len({dot for _, dot in shown}) == 1


async def test_prices_take_the_tick_decimals_again_once_the_fine_trade_is_gone() -> None:
    """Only the trades shown count: when the off-tick trade scrolls out, prices go back to the
    tick's two decimals; with a finer tick, its decimals are kept even for round prices."""
    older = _priced([973_000, 970_000], start=10)
    app = TapeApp(older, tick=CENT)
    async with app.run_test(size=(40, 6)) as pilot:  # 4 content rows: header and 3 trades
        tape = app.query_one(TapeView)
        assert [price for price, _ in await _prices(pilot)] == ["0.973", "0.970"]

        tape.update_trades(_priced([980_000, 990_000]) + older, CENT)
        shown = await _prices(pilot)
        assert [price for price, _ in shown] == ["0.980", "0.990", "0.973"]
        assert len({dot for _, dot in shown}) == 1

        tape.update_trades(_priced([950_000, 960_000, 980_000]) + older, CENT)
        shown = await _prices(pilot)
        assert [price for price, _ in shown] == ["0.95", "0.96", "0.98"]
        assert len({dot for _, dot in shown}) == 1

        tape.update_trades(_priced([950_000, 960_000, 980_000]), MILLI)
        assert [price for price, _ in await _prices(pilot)] == ["0.950", "0.960", "0.980"]


async def test_an_on_tick_trade_formats_one_line_even_beside_an_off_tick_one() -> None:
    """The finer decimals are worked out per update, but while they stay the same the lines
    that only moved down keep their Strips: a new trade still costs one line."""
    older = _priced([973_000, 970_000, 960_000], start=10)
    app = TapeApp(older, tick=CENT)
    async with app.run_test(size=(40, 10)) as pilot:
        tape = app.query_one(TapeView)
        await _prices(pilot)
        built = tape.lines_built
        tape.update_trades(_priced([980_000]) + older, CENT)
        shown = await _prices(pilot)
        assert tape.lines_built == built + 1
        assert [price for price, _ in shown] == ["0.980", "0.973", "0.970", "0.960"]
        assert len({dot for _, dot in shown}) == 1


def _times(tape: TapeView) -> list[str]:
    """The time of each trade line shown, top down."""
    lines = ("".join(tape.render_line(y).text) for y in range(1, tape.size.height))
    return [line.split()[0] for line in lines if line.split()]


def _time_of(trade: Trade) -> str:
    return fmt_time_ms(trade.timestamp)


async def test_focused_tape_scrolls_back_pauses_and_home_resumes() -> None:
    """j/page down show older trades; a trade arriving meanwhile leaves the view where it is
    (and formats no line) while the title counts the newer trades; home shows the newest."""
    rows = trades(40)
    app = TapeApp(rows)
    async with app.run_test(size=(40, 8)) as pilot:  # 5 trades under the header
        tape = app.query_one(TapeView)
        tape.focus()
        await pilot.pause()
        assert _times(tape) == [_time_of(t) for t in rows[:5]]
        assert str(tape.border_title) == "Trades (UTC)" and not tape.paused

        await pilot.press("j")
        await pilot.pause()
        assert _times(tape) == [_time_of(t) for t in rows[1:6]]
        assert str(tape.border_title) == "Trades (UTC) · 1 newer ↑"
        assert str(tape.border_subtitle) == "paused · home: live"

        await pilot.press("pagedown")
        await pilot.pause()
        assert tape.newer_above == 6
        shown = [_time_of(t) for t in rows[6:11]]
        assert _times(tape) == shown

        # Two new trades: the same trades stay in view, two more are counted above them.
        newer = [
            msgspec.structs.replace(rows[0], timestamp=NOW_MS + 2_000, price=600_000),
            msgspec.structs.replace(rows[0], timestamp=NOW_MS + 1_000, price=590_000),
        ]
        built = tape.lines_built
        tape.update_trades(newer + rows, CENT, total=42)
        await pilot.pause()
        assert _times(tape) == shown
        assert tape.lines_built == built
        assert tape.newer_above == 8
        assert str(tape.border_title) == "Trades (UTC) · 8 newer ↑"

        await pilot.press("home")
        await pilot.pause()
        assert _times(tape) == [_time_of(t) for t in (newer + rows)[:5]]
        assert str(tape.border_title) == "Trades (UTC)" and not tape.paused
        assert str(tape.border_subtitle) == ""
        assert app.offsets == [1, 6, 0]


async def test_scrolling_back_up_to_the_newest_resumes_the_tape() -> None:
    rows = trades(40)
    app = TapeApp(rows)
    async with app.run_test(size=(40, 8)) as pilot:
        tape = app.query_one(TapeView)
        tape.focus()
        await pilot.press("k", "j", "j", "k", "pageup")
        await pilot.pause()
        assert not tape.paused and tape.newer_above == 0
        assert app.offsets == [1, 2, 1, 0]
        tape.update_trades(trades(41)[:1] + rows, CENT, total=41)  # live again: follows
        await pilot.pause()
        assert _times(tape)[0] == _time_of(trades(41)[0])


async def test_tape_scrolls_no_further_back_than_its_oldest_trade() -> None:
    rows = trades(8)
    app = TapeApp(rows)
    async with app.run_test(size=(40, 8)) as pilot:
        tape = app.query_one(TapeView)
        tape.focus()
        await pilot.press("pagedown", "pagedown", "j")
        await pilot.pause()
        assert tape.newer_above == 3
        assert _times(tape) == [_time_of(t) for t in rows[3:8]]


async def test_a_paused_tape_whose_trades_were_dropped_shows_the_oldest_kept() -> None:
    """A bounded tape drops its oldest trades: once the ones in view are gone, the view is
    the oldest page left (it cannot keep what is no longer there)."""
    rows = trades(40)
    app = TapeApp(rows[:10])
    async with app.run_test(size=(40, 8)) as pilot:
        tape = app.query_one(TapeView)
        tape.update_trades(rows[:10], CENT, total=100)
        tape.focus()
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert _times(tape) == [_time_of(t) for t in rows[3:8]]

        # Four newer trades arrive and the four oldest are dropped (the bound is 10).
        fresh = [msgspec.structs.replace(t, timestamp=t.timestamp + 60_000) for t in rows[:4]]
        window = fresh + rows[:6]
        tape.update_trades(window, CENT, total=104)
        await pilot.pause()
        assert tape.paused and tape.newer_above == 5
        assert _times(tape) == [_time_of(t) for t in window[5:10]]


def test_offset_at_counts_the_trades_that_came_in_above_the_view() -> None:
    tape = TapeView()
    assert tape.offset_at(500) == 0  # live
    tape._top = 480
    assert tape.offset_at(500) == 20
    assert tape.offset_at(470) == 0


def _lines(tape: TapeView) -> list[str]:
    """Every content line under the column header, as text, top down."""
    return ["".join(tape.render_line(y).text) for y in range(1, tape.size.height)]


async def test_a_lost_connection_shows_where_trades_may_be_missing() -> None:
    """The reviewer's case: after a reconnect the tape went on as if nothing had been missed.
    A gap after trade N (of 40) is a marked line between trade N and N+1, with the time the
    connection was lost; a gap after the newest trade (none since) is the top line."""
    rows = trades(40)  # rows[i] is trade number 40 - i
    app = TapeApp(rows)
    async with app.run_test(size=(60, 9)) as pilot:  # 6 lines under the header
        tape = app.query_one(TapeView)
        tape.update_trades(rows, CENT, total=40, gaps=[(38, NOW_MS - 500)])
        await pilot.pause()
        lines = _lines(tape)
        assert [line.split()[0] for line in lines[:2]] == [_time_of(t) for t in rows[:2]]
        assert "─ gap: disconnected 14:29:59 ─" in lines[2]
        assert lines[2].strip().startswith("─") and lines[2].strip().endswith("─")
        assert lines[3].split()[0] == _time_of(rows[2])  # trade 38, below the gap
        assert len(lines) == 6 and lines[5].split()[0] == _time_of(rows[4])

        tape.update_trades(rows, CENT, total=40, gaps=[(38, NOW_MS - 500), (40, None)])
        await pilot.pause()
        lines = _lines(tape)
        assert "─ gap: disconnected ─" in lines[0]
        assert lines[1].split()[0] == _time_of(rows[0])

        tape.update_trades(rows, CENT, total=40)  # no gaps: the trades only
        await pilot.pause()
        assert _times(tape) == [_time_of(t) for t in rows[:6]]


async def test_a_paused_tape_shows_a_gap_below_its_view_only_when_it_is_in_view() -> None:
    """Scrolled back, the gap after the newest trade is above the view: not drawn on top."""
    rows = trades(40)
    app = TapeApp(rows)
    async with app.run_test(size=(60, 8)) as pilot:
        tape = app.query_one(TapeView)
        tape.focus()
        tape.update_trades(rows, CENT, total=40, gaps=[(40, None), (37, None)])
        await pilot.pause()
        await pilot.press("j")  # trade 39 on top
        await pilot.pause()
        lines = _lines(tape)
        assert lines[0].split()[0] == _time_of(rows[1])
        assert lines[1].split()[0] == _time_of(rows[2])
        assert "gap: disconnected" in lines[2]
        assert lines[3].split()[0] == _time_of(rows[3])


async def test_a_stale_tape_says_so_in_its_title() -> None:
    app = TapeApp(trades(10))
    async with app.run_test(size=(40, 8)) as pilot:
        tape = app.query_one(TapeView)
        tape.update_trades(trades(10), CENT, stale=True)
        await pilot.pause()
        assert str(tape.border_title) == "Trades (UTC) · STALE"
        tape.update_trades(trades(10), CENT)
        await pilot.pause()
        assert str(tape.border_title) == "Trades (UTC)"
