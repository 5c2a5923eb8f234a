"""PriceChart: the selected symbol's recent minutes, both series, the strike as a line.

A ``textual-plotext`` ``PlotextPlot``: one plotext figure per widget (its ``plt``), never
plotext's module-global one. It renders a ``PriceChartData`` (see ``price_data.chart_data``)
pushed with ``update_chart``, redrawn at most once per ``min_interval`` (default 0.5 s): data
pushed faster waits for the next slot, and only the newest is drawn. Line colours come from the
app theme's variables.
"""

from __future__ import annotations

import time

from textual.color import Color
from textual.content import Content
from textual.timer import Timer
from textual_plotext import PlotextPlot

from pmdash.printable import printable
from pmdash.widgets.price_data import PriceChartData

MIN_INTERVAL = 0.5
"""A redraw (plotext building the figure) costs some 15-35 ms of CPU on the test machine
(benchmarks/prices.py): twice a second keeps it under 7% of a core."""
_SERIES_VARS = ("primary", "warning", "accent")


def _rgb(variables: dict[str, str], name: str, fallback: str) -> tuple[int, int, int]:
    return Color.parse(variables.get(name) or variables[fallback]).rgb


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


class PriceChart(PlotextPlot):
    """The reference-price chart. Push data with ``update_chart``."""

    DEFAULT_CSS = """
    PriceChart {
        height: 1fr;
        min-height: 8;
        border: round $border-blurred;
        border-title-color: $text-muted;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None,
                 min_interval: float = MIN_INTERVAL) -> None:
        super().__init__(id=id, classes=classes)
        self.min_interval = min_interval
        self.border_title = "chart"
        self._data: PriceChartData | None = None
        self._drawn_at = float("-inf")
        self._timer: Timer | None = None
        self.draws = 0
        """How many times the figure was rebuilt (the throttle's measure)."""

    def update_chart(self, data: PriceChartData | None) -> None:
        if data == self._data:
            return
        self._data = data
        wait = self._drawn_at + self.min_interval - time.monotonic()
        if wait > 0:
            if self._timer is None:
                self._timer = self.set_timer(wait, self._draw)
            return
        self._draw()

    def on_mount(self) -> None:
        super().on_mount()
        self._draw(stamp=False)  # the first picture: it does not hold back the first data

    def _draw(self, *, stamp: bool = True) -> None:
        self._timer = None
        if stamp:
            self._drawn_at = time.monotonic()
        self.draws += 1
        plt = self.plt
        plt.clear_figure()
        data = self._data
        if data is None or not any(s.ys for s in data.series):
            self.border_title = "chart"
            plt.title("no prices yet")
            self.refresh()
            return
        variables = self.app.theme_variables
        self.border_title = Content(printable(f"{data.symbol} · last {data.minutes} min"))
        for i, series in enumerate(data.series):
            color = _rgb(variables, _SERIES_VARS[i % len(_SERIES_VARS)], "foreground")
            plt.plot(list(series.xs), list(series.ys), label=printable(series.label),
                     marker="braille", color=color)
        strike_color = _rgb(variables, "error", "foreground")
        for level in data.strikes:
            plt.hline(level, strike_color)
        rng = y_range(data)
        if rng is not None:
            plt.ylim(*rng)
        plt.xlim(-data.minutes * 60, 0)
        plt.xlabel("seconds ago")
        if data.strike_text:
            plt.title(printable(data.strike_text))
        self.refresh()
