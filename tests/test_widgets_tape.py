"""TradeTape: snapshot of a full tape and of an empty one; time formatting; prices aligned
when some trades are off the tick."""

from __future__ import annotations

from datetime import timedelta, timezone

from textual.pilot import Pilot
from widget_apps.base import NOW_MS
from widget_apps.tape_app import TapeApp, trades

from pmdash.models import Trade
from pmdash.widgets.tape import TradeTape, fmt_time_ms

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
    tape = pilot.app.query_one(TradeTape)
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
        tape = app.query_one(TradeTape)
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
        tape = app.query_one(TradeTape)
        await _prices(pilot)
        built = tape.lines_built
        tape.update_trades(_priced([980_000]) + older, CENT)
        shown = await _prices(pilot)
        assert tape.lines_built == built + 1
        assert [price for price, _ in shown] == ["0.980", "0.973", "0.970", "0.960"]
        assert len({dot for _, dot in shown}) == 1
