"""PriceChart: the selected symbol's recent minutes, both series, the strike as a line.

A ``FigurePlot`` (textual-plotext, pictures built off the event loop) of a ``PriceChartData``
(see ``price_data.chart_data``) pushed with ``update_chart``, redrawn at most once per
``min_interval``: data pushed faster waits for the next slot, and only the newest is drawn.
Line colours come from the app theme's variables.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual_plotext.plot import Plot

from pmdash.printable import printable
from pmdash.widgets.figure_plot import Canvas, FigurePlot
from pmdash.widgets.price_data import PriceChartData

MIN_INTERVAL = 0.5
"""The default least time between two pictures (the price group passes its own)."""


def per_column(xs: Sequence[float], ys: Sequence[float], x_min: float,
               columns: int) -> tuple[list[float], list[float]]:
    """The points worth drawing in ``columns`` cells from ``x_min`` to 0: in each cell the
    lowest and the highest (in their order), and always the newest. A cell is two braille
    dots wide, so the line keeps every high and low one can see. Plotext's build costs about
    in proportion to the points: 2 x 300 points took 10.9 ms at 44x25, 2 x 70 took 4.6 ms
    (its own figure, best of 10, the test machine)."""
    if columns < 1 or len(xs) <= 2 * columns:
        return list(xs), list(ys)
    width = -x_min / columns if x_min < 0 else 1.0
    keep: list[int] = []
    cell = None
    low = high = 0
    for i, x in enumerate(xs):
        c = int((x - x_min) / width)
        if c != cell:
            if cell is not None:
                keep.extend(sorted({low, high}))
            cell, low, high = c, i, i
        elif ys[i] < ys[low]:
            low = i
        elif ys[i] > ys[high]:
            high = i
    keep.extend(sorted({low, high}))
    if keep[-1] != len(xs) - 1:
        keep.append(len(xs) - 1)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def y_range(data: PriceChartData) -> tuple[float, float] | None:
    """The price range to show: the series, and a strike near them (a strike far away would
    flatten the lines; the title still gives the distance to it)."""
    ys = [y for s in data.series for y in s.ys]
    if not ys:
        return None
    low, high = min(ys), max(ys)
    span = max(high - low, abs(high) * 1e-5, 1e-9)
    for level in data.strikes:
        if low - span <= level <= high + span:
            low, high = min(low, level), max(high, level)
    pad = (high - low) * 0.05 or span * 0.05
    return low - pad, high + pad


def has_prices(data: PriceChartData | None) -> bool:
    return data is not None and any(s.ys for s in data.series)


class PriceChart(FigurePlot[PriceChartData | None]):
    """The reference-price chart. Push data with ``update_chart``."""

    DEFAULT_CSS = """
    PriceChart {
        height: 1fr;
        min-height: 8;
        border: round $border-blurred;
        border-title-color: $text-muted;
    }
    """
    PALETTE = ("primary", "warning", "accent", "error")
    """Series colours, then the strike's."""

    def __init__(self, *, id: str | None = None, classes: str | None = None,
                 min_interval: float = MIN_INTERVAL) -> None:
        super().__init__(None, min_interval=min_interval, id=id, classes=classes)
        self.border_title = "chart"

    def update_chart(self, data: PriceChartData | None) -> None:
        if has_prices(data):
            assert data is not None
            self.border_title = Content(printable(f"{data.symbol} · last {data.minutes} min"))
        else:
            self.border_title = "chart"
        self.show_data(data)

    def has_content(self, data: PriceChartData | None) -> bool:
        return has_prices(data)

    @staticmethod
    def draw(plot: Plot, data: PriceChartData | None, canvas: Canvas) -> None:
        if data is None or not has_prices(data):
            plot.title("no prices yet")
            return
        x_min = -data.minutes * 60
        *colors, strike_color = canvas.palette
        for i, series in enumerate(data.series):
            xs, ys = per_column(series.xs, series.ys, x_min, canvas.width)
            plot.plot(xs, ys, label=printable(series.label), marker="braille",
                      color=colors[i % len(colors)])
        for level in data.strikes:
            plot.hline(level, strike_color)
        rng = y_range(data)
        if rng is not None:
            plot.ylim(*rng)
        plot.xlim(x_min, 0)
        plot.xlabel("seconds ago")
        if data.strike_text:
            plot.title(printable(data.strike_text))
