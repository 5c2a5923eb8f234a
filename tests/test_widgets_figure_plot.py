"""FigurePlot, the charts' base: pictures equal to textual-plotext's, built off the event loop
with the last one on screen until the new one lands, a resize shown at once, and a figure
plotext cannot draw shown as a message instead of ending the app."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from rich.text import Text
from textual.app import App, ComposeResult
from textual_plotext.plot import Plot
from waiting import until_shown
from widget_apps.base import NOW_MS
from widget_apps.price_app import PriceChartApp, chart_view, polybolt_board

from pmdash.widgets.figure_plot import Canvas, FigurePlot, picture
from pmdash.widgets.game_chart import GameChart
from pmdash.widgets.games_data import GameChartData
from pmdash.widgets.price_chart import PriceChart, per_column
from pmdash.widgets.price_data import PriceChartData, chart_data

PALETTE = ((0, 130, 200), (255, 166, 43), (255, 0, 102), (186, 60, 91))


def _canvas(width: int, height: int) -> Canvas:
    return Canvas(width=width, height=height, theme="textual-default", palette=PALETTE)


def _game() -> GameChartData:
    xs = tuple(i / 2 for i in range(80))
    ys = tuple(0.5 + 0.2 * math.sin(i / 9) for i in range(80))
    return GameChartData(title="NBA BOS @ MIA", xs=xs, ys=ys,
                         marks=((5.0, "7-2"), (20.0, "48-52"), (38.0, "71-70")))


def _decoded_ansi(draw, data: object, canvas: Canvas) -> Text:  # type: ignore[no-untyped-def]
    """What textual-plotext's own ``render`` gives: the figure written as escape codes by
    plotext's ``build`` and decoded by ``Text.from_ansi``."""
    plot = Plot()
    plot.plotsize(canvas.width, canvas.height)
    plot._set_size(canvas.width, canvas.height)
    plot.theme(canvas.theme)
    draw(plot, data, canvas)
    return Text.from_ansi(plot.build())


def test_figure_text_is_what_textual_plotext_renders() -> None:
    """The matrix read directly gives the same characters and the same styles, span for span,
    as plotext's escape codes decoded (prices with a strike, a game with score marks, an
    empty chart; wide, narrow and tiny)."""
    cases = [
        (PriceChart.draw, chart_view(polybolt_board())),
        (PriceChart.draw, None),
        (GameChart.draw, _game()),
        (GameChart.draw, GameChartData(title="no game")),
    ]
    for draw, data in cases:
        for width, height in ((100, 24), (44, 25), (20, 6)):
            canvas = _canvas(width, height)
            ours = picture(draw, data, canvas)
            theirs = _decoded_ansi(draw, data, canvas)
            assert ours.plain == theirs.plain, (draw, width, height)
            assert ours.spans == theirs.spans, (draw, width, height)


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=400),
       st.integers(min_value=1, max_value=60))
def test_per_column_keeps_each_cells_high_and_low_and_the_newest(ys: list[float],
                                                                   columns: int) -> None:
    xs = [-300 + 300 * i / len(ys) for i in range(len(ys))]
    kept_xs, kept_ys = per_column(xs, ys, -300, columns)
    assert len(kept_xs) <= max(2 * columns + 1, len(xs)) and len(kept_xs) <= len(xs)
    assert kept_xs == sorted(kept_xs)
    assert (kept_xs[-1], kept_ys[-1]) == (xs[-1], ys[-1])
    if len(xs) > 2 * columns:
        assert len(kept_xs) <= 2 * columns + 1
    cells: dict[int, list[float]] = {}
    for x, y in zip(xs, ys, strict=True):
        cells.setdefault(int((x + 300) / (300 / columns)), []).append(y)
    kept = set(zip(kept_xs, kept_ys, strict=True))
    for cell, values in cells.items():
        in_cell = [y for x, y in kept if int((x + 300) / (300 / columns)) == cell]
        assert min(values) in in_cell and max(values) in in_cell


def test_a_figure_plotext_cannot_draw_becomes_a_message() -> None:
    def broken(plot: Plot, data: object, canvas: Canvas) -> None:
        raise IndexError("list index out of range")

    text = picture(broken, None, _canvas(60, 10))
    assert text.plain == "no chart: plotext failed (IndexError)"


def test_prices_stamped_ahead_of_our_clock_are_drawn_at_now() -> None:
    """A feed whose clock runs ahead of ours: its newest points are drawn at "now" (0 s ago),
    not past the chart's right edge. A series wholly ahead made plotext fail on the legend."""
    board = polybolt_board()
    behind = chart_data(board, "btcusd", NOW_MS - 4_000)  # our clock 4 s behind the feed's
    assert max(x for s in behind.series for x in s.xs) == 0
    wholly_ahead = chart_data(board, "btcusd", NOW_MS - 400_000)
    assert {x for s in wholly_ahead.series for x in s.xs} == {0}
    for data in (behind, wholly_ahead):
        text = picture(PriceChart.draw, data, _canvas(60, 20)).plain
        assert "plotext failed" not in text and "pyth" in text


class Failing(FigurePlot[int]):
    @staticmethod
    def draw(plot: Plot, data: int, canvas: Canvas) -> None:
        if data:
            raise ValueError("plotext bug")
        plot.title("fine")


class FailingApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Failing(0)


async def test_a_chart_plotext_cannot_draw_shows_why_and_the_app_goes_on() -> None:
    app = FailingApp()
    async with app.run_test(size=(60, 12)) as pilot:
        chart = app.query_one(Failing)
        await pilot.pause()
        chart.show_data(1)
        await until_shown(pilot, lambda: "plotext failed (ValueError)" in _shown(chart))
        chart.show_data(0)
        await until_shown(pilot, lambda: "fine" in _shown(chart))
        assert app.is_running


def _shown(chart: FigurePlot[object]) -> str:
    rendered = chart.render()
    assert isinstance(rendered, Text)
    return rendered.plain


async def test_a_new_picture_lands_later_and_the_last_one_stays_until_then() -> None:
    """Once the chart shows prices, a new picture is built off the event loop: right after
    ``update_chart`` the chart still shows the last picture (no wait on the loop), and the new
    one shows when it lands."""
    first = chart_view(polybolt_board())
    second = PriceChartData(symbol=first.symbol, series=first.series, minutes=first.minutes,
                            strikes=(98_321.0,), strike_text="strike 98,321.00: new")
    app = PriceChartApp(first)
    async with app.run_test(size=(100, 24)) as pilot:
        chart = app.query_one(PriceChart)
        await pilot.pause()
        assert "98,500.00" in _shown(chart)
        await pilot.pause(chart.min_interval + 0.1)
        chart.update_chart(second)
        assert chart.drawing
        assert "98,500.00" in _shown(chart) and "new" not in _shown(chart)
        await until_shown(pilot, lambda: not chart.drawing)
        await pilot.pause()
        assert "98,321.00: new" in _shown(chart)


async def test_a_resized_chart_shows_the_new_size_at_once() -> None:
    app = PriceChartApp(chart_view(polybolt_board()))
    async with app.run_test(size=(100, 24)) as pilot:
        chart = app.query_one(PriceChart)
        await pilot.pause()
        await pilot.resize_terminal(70, 18)
        await pilot.pause()
        lines = _shown(chart).splitlines()
        assert (len(lines[0]), len(lines)) == (chart.size.width, chart.size.height)
        assert "pyth" in _shown(chart)
