"""The price board and the price chart: snapshots with fixed data, and the chart's throttle."""

from __future__ import annotations

import time

from widget_apps.price_app import (
    PriceBoardApp,
    PriceChartApp,
    board_view,
    chart_view,
    polybolt_board,
    rtds_board,
)

from pmdash.widgets.price_board import PriceBoardView
from pmdash.widgets.price_chart import PriceChart
from pmdash.widgets.price_data import PriceChartData, next_symbol


def test_price_board_polybolt(snap_compare) -> None:
    """Title "prices · PolyBolt"; rows BTC (marked ▸), ETH, SOL: spot with "pyth", the TWAP
    with "chainlink twap", basis, change (green up / red down), age 0.0s; BTC's row ends with
    its distance to the $98,500 strike; SOL's says "waiting for next round" (muted)."""
    assert snap_compare(PriceBoardApp(board_view(polybolt_board())), terminal_size=(130, 8))


def test_price_board_rtds_silent(snap_compare) -> None:
    """One BTC row, "binance" beside "chainlink", age 45.0s and "stale"; below it, in the
    warning colour: "RTDS sends no prices (retired?); set CLOB credentials for PolyBolt"."""
    data = board_view(rtds_board(), title="prices · RTDS")
    assert data.notices
    assert snap_compare(PriceBoardApp(data), terminal_size=(130, 6))


def test_price_board_empty(snap_compare) -> None:
    """"no reference prices yet", muted."""
    assert snap_compare(PriceBoardApp(None), terminal_size=(60, 5))


def test_price_chart(snap_compare) -> None:
    """Border title "BTC · last 5 min"; two braille lines (pyth spot, chainlink twap, the
    second smoother) over 300 s; a horizontal strike line at 98,500 in the error colour; the
    plot title gives the strike and the distance to it."""
    assert snap_compare(PriceChartApp(chart_view(polybolt_board())), terminal_size=(100, 24))


def test_price_chart_empty(snap_compare) -> None:
    """"no prices yet" as the plot title, no lines."""
    assert snap_compare(PriceChartApp(None), terminal_size=(60, 12))


def test_board_data_names_every_source_and_the_strike() -> None:
    data = board_view(polybolt_board())
    btc, eth, sol = data.rows
    assert (btc.symbol, btc.spot_source, btc.second_source) == ("BTC", "pyth", "chainlink twap")
    assert btc.selected and not eth.selected
    assert btc.strike.endswith("%)") and not eth.strike
    assert sol.note == "waiting for next round"


async def test_the_chart_redraws_a_few_times_a_second_at_most() -> None:
    """Forty updates pushed as fast as possible: at most a few redraws, and the last data is
    the one drawn."""
    board = polybolt_board()
    views = [chart_view(board)]
    for i in range(1, 40):
        base = views[0]
        views.append(PriceChartData(symbol=base.symbol, series=base.series, minutes=base.minutes,
                                    strikes=(98_400.0 + i,), strike_text=f"v{i}"))
    app = PriceChartApp(None)
    async with app.run_test(size=(100, 24)) as pilot:
        chart = app.query_one(PriceChart)
        await pilot.pause()
        before = chart.draws
        start = time.monotonic()
        for view in views:
            chart.update_chart(view)
        await pilot.pause()
        elapsed = time.monotonic() - start
        assert chart.draws - before <= 2 + elapsed / chart.min_interval
        deadline = time.monotonic() + 10
        while "v39" not in chart.render().plain and time.monotonic() < deadline:  # type: ignore[union-attr]
            await pilot.pause(0.05)
        assert "v39" in chart.render().plain  # type: ignore[union-attr]


async def test_board_skips_a_repaint_for_equal_data() -> None:
    app = PriceBoardApp(board_view(polybolt_board()))
    async with app.run_test(size=(130, 8)) as pilot:
        await pilot.pause()
        view = app.query_one(PriceBoardView)
        shown = view.render()
        view.update_board(board_view(polybolt_board()))
        assert view.render() is shown


def test_the_charted_symbol_cycles_in_board_order() -> None:
    symbols = polybolt_board().symbols()
    assert symbols == ["btcusd", "ethusd", "solusd"]
    assert next_symbol(symbols, None) == "btcusd"
    assert next_symbol(symbols, "btcusd") == "ethusd"
    assert next_symbol(symbols, "solusd") == "btcusd"
    assert next_symbol(symbols, "btcusd", -1) == "solusd"
    assert next_symbol(symbols, "gone") == "btcusd"
    assert next_symbol([], "btcusd") is None
