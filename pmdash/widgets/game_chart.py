"""GameChart: one market's mid price over a game, each score change marked with a vertical
line and the new score. A ``FigurePlot`` (textual-plotext, pictures built off the event loop)
of ``GameChartData``, at most one new picture per ``MIN_INTERVAL``."""

from __future__ import annotations

from textual.content import Content
from textual_plotext.plot import Plot

from pmdash.widgets.figure_plot import Canvas, FigurePlot
from pmdash.widgets.games_data import GameChartData

MIN_INTERVAL = 0.5
"""The least time between two pictures: a linked market's mid can change at every flush."""


def spaced_marks(data: GameChartData, width: int) -> list[tuple[float, str]]:
    """The score marks that fit, newest first kept: each at least a label's width (plus a
    column) from the next one kept, so labels never run into each other."""
    if not data.marks or not data.xs:
        return []
    span = max(data.xs[-1] - data.xs[0], 1e-9)
    per_column = span / max(width - 8, 1)
    kept: list[tuple[float, str]] = []
    for x, label in reversed(data.marks):
        if kept and kept[-1][0] - x < (len(label) + 1) * per_column:
            continue
        kept.append((x, label))
    return kept[::-1]


class GameChart(FigurePlot[GameChartData]):
    DEFAULT_CSS = """
    GameChart {
        height: 1fr;
        border: round $primary-muted;
    }
    """

    PALETTE = ("primary", "warning")
    """The price line's colour, then the score marks'. Theme colours: plotext has no
    ``yellow`` (the name drew bright blue on white)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(GameChartData(title=""), min_interval=MIN_INTERVAL, id=id)

    def update_data(self, data: GameChartData) -> None:
        self.border_title = Content(data.title)  # server text: plain, never markup
        self.border_subtitle = data.note
        self.show_data(data)

    def has_content(self, data: GameChartData) -> bool:
        return bool(data.xs)

    @staticmethod
    def draw(plot: Plot, data: GameChartData, canvas: Canvas) -> None:
        plot.xlabel("minutes")
        plot.ylim(0, 1)
        if data.xs:
            line, marks = canvas.palette[:2]
            plot.plot(list(data.xs), list(data.ys), marker="braille", color=line)
            for x, label in spaced_marks(data, canvas.width):
                plot.vline(x, marks)
                plot.text(label, x, 0.95, color=marks, alignment="center")
        else:
            plot.title("no prices yet")
