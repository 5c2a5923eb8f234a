"""GameChart: one market's mid price over a game, each score change marked with a vertical
line and the new score. One plotext plot per widget (``PlotextPlot.plt``, never the module's
global plot). A view of ``GameChartData``."""

from __future__ import annotations

from textual.content import Content
from textual_plotext import PlotextPlot

from pmdash.widgets.games_data import GameChartData


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
            for x, label in data.marks:
                plt.vline(x, "yellow")
                plt.text(label, x, 0.95, color="yellow", alignment="center")
        else:
            plt.title("no prices yet")
        self.refresh()
