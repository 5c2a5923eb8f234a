"""GameChart: one market's mid price over a game, each score change marked with a vertical
line and the new score. One plotext plot per widget (``PlotextPlot.plt``, never the module's
global plot). A view of ``GameChartData``."""

from __future__ import annotations

from textual.content import Content
from textual_plotext import PlotextPlot

from pmdash.widgets.games_data import GameChartData


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


class GameChart(PlotextPlot):
    DEFAULT_CSS = """
    GameChart {
        height: 1fr;
        border: round $primary-muted;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = GameChartData(title="")

    def update_data(self, data: GameChartData) -> None:
        self.data = data
        self.border_title = Content(data.title)  # server text: plain, never markup
        self.border_subtitle = data.note
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("minutes")
        plt.ylim(0, 1)
        if data.xs:
            plt.plot(list(data.xs), list(data.ys), marker="braille", color="cyan")
            for x, label in spaced_marks(data, self.size.width):
                plt.vline(x, "yellow")
                plt.text(label, x, 0.95, color="yellow", alignment="center")
        else:
            plt.title("no prices yet")
        self.refresh()

    def on_resize(self) -> None:
        self.update_data(self.data)
