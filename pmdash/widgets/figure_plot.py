"""FigurePlot: a textual-plotext ``PlotextPlot`` whose pictures are built off the event loop.

A subclass says how to draw its frozen view data on a plotext figure (``draw``, a pure function
of the data and a ``Canvas``); the base keeps the last picture on screen, throttles new ones to
one per ``min_interval``, builds them in a thread and shows each when it is ready.

Why off the loop: building a picture (plotext's matrix for some 180 points at 44x25) takes
about 10 ms of CPU on the test machine, and 13-26 ms under load. On the loop it held back the
next screen update of every panel by as much: with the PolyBolt chart on, the market panels'
p99 at 5,000 msg/s was 67-92 ms over six runs, and 51-59 ms over three with the pictures built
in a thread (benchmarks/e2e.py, runs interleaved on one machine). The thread still takes the GIL
from the loop for up to 5 ms at a time while it builds (the loop's lag p99 at idle rose from
about 2 to about 5 ms); a 1 ms switch interval did no better and is not set. The thread has a
figure of its own for each picture and reads nothing but its arguments, so it shares no state
with the loop. Only the first picture with content, a resize and a theme change are built in
``render`` at once, as textual-plotext does, so a new size never shows an old picture.

Each picture is one plotext figure of its own (never plotext's module-global one), and a figure
plotext cannot build shows why in place of the picture instead of ending the app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import plotext._utility as plotext_utility  # type: ignore[import-untyped]
from rich.style import Style
from rich.text import Span, Text
from textual.app import RenderResult
from textual.color import Color
from textual.timer import Timer
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from pmdash.printable import printable

log = logging.getLogger(__name__)

D = TypeVar("D")
RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Canvas:
    """Everything a picture depends on besides its data, taken on the event loop."""

    width: int
    height: int
    theme: str
    """The plotext theme (textual-plotext registers one for each app theme)."""
    palette: tuple[RGB, ...] = ()
    """The colours of the widget's ``PALETTE`` theme variables, in that order."""


_STYLES: dict[tuple[object, object, object], Style] = {}


def _style_of(colors: tuple[object, object, object]) -> Style:
    """The Rich style ``Text.from_ansi`` gives plotext's escape code for these (fullground,
    style, background), decoded once per distinct triple."""
    style = _STYLES.get(colors)
    if style is None:
        code = plotext_utility.colors_to_ansi(*colors)
        decoded = Text.from_ansi(f"{code}x{plotext_utility.ansi_end}").spans
        found = decoded[0].style if decoded else Style()
        style = _STYLES[colors] = found if isinstance(found, Style) else Style.parse(found)
    return style


def figure_text(plot: Plot) -> Text:
    """The figure as Rich ``Text``, equal to textual-plotext's ``Text.from_ansi(plt.build())``
    (tests/test_widgets_figure_plot.py checks that) without the round trip through escape codes:
    plotext's matrix of characters and colours is read directly, one span per run of a colour.
    Writing the ANSI string and decoding it again was a quarter of a picture's cost (13.4 ->
    10.3 ms at 44x25 with 2 x 300 points, benchmarks/prices.py's data)."""
    figure: Any = plot  # plotext's figure class is untyped
    figure._set_sizes()  # what plotext's build() does before it writes the escape codes
    figure._build_matrix()
    matrix = figure.monitor.matrix
    markers, fulls, styles, backs = (matrix.marker, matrix.fullground, matrix.style,
                                     matrix.background)
    parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    for row in range(matrix.rows - 1, -1, -1):
        line, full, style, back = markers[row], fulls[row], styles[row], backs[row]
        if line:
            start = 0
            run = (full[0], style[0], back[0])
            for col in range(1, len(line)):
                colors = (full[col], style[col], back[col])
                if colors != run:
                    spans.append(Span(offset + start, offset + col, _style_of(run)))
                    start, run = col, colors
            spans.append(Span(offset + start, offset + len(line), _style_of(run)))
        parts.append("".join(line))
        parts.append("\n")
        offset += len(line) + 1
    return Text("".join(parts), spans=[span for span in spans if span.style])


def picture(draw: Callable[[Plot, D, Canvas], None], data: D, canvas: Canvas) -> Text:
    """One picture: ``draw`` on a plotext figure of its own, sized and themed for ``canvas``
    (safe off the event loop: it reads only its arguments). Plotext's errors come back as the
    picture's text."""
    try:
        plot = Plot()
        plot.plotsize(canvas.width, canvas.height)
        plot._set_size(canvas.width, canvas.height)  # as textual-plotext does (its issue #5)
        plot.theme(canvas.theme)
        draw(plot, data, canvas)
        return figure_text(plot)
    except Exception as exc:  # a plotext bug must not end the app
        log.warning("plotext could not draw a figure: %r", exc)
        return Text(printable(f"no chart: plotext failed ({type(exc).__name__})"),
                    style="italic")


@dataclass(frozen=True, slots=True)
class _Picture:
    canvas: Canvas
    text: Text
    content: bool
    """Whether it shows the data (not a placeholder such as "no prices yet")."""


class FigurePlot(PlotextPlot, Generic[D]):
    """Push data with ``show_data``; subclasses implement ``draw`` (and ``has_content``)."""

    PALETTE: ClassVar[tuple[str, ...]] = ()
    """Theme variables whose colours ``draw`` gets in ``canvas.palette`` (missing ones fall
    back to ``foreground``)."""

    def __init__(self, data: D, *, min_interval: float = 0.0, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.min_interval = min_interval
        self.data = data
        self._drawn_at = float("-inf")
        self._timer: Timer | None = None
        self._picture: _Picture | None = None
        self._building: asyncio.Future[Text] | None = None
        self._again = False
        self.draws = 0
        """How many pictures were asked for (the throttle's measure)."""

    @staticmethod
    def draw(plot: Plot, data: D, canvas: Canvas) -> None:
        """Draw ``data`` on ``plot`` (runs off the event loop: use only the arguments)."""
        raise NotImplementedError

    def has_content(self, data: D) -> bool:
        """Whether ``data`` is more than a placeholder: the first picture that is comes at
        once, not off the loop."""
        return True

    @property
    def drawing(self) -> bool:
        """A picture is being built off the event loop (the last one stays on screen)."""
        return self._building is not None

    def show_data(self, data: D) -> None:
        """Show ``data``: now, or at the next ``min_interval`` slot (the newest data then)."""
        if data == self.data and self._picture is not None:
            return
        self.data = data
        wait = self._drawn_at + self.min_interval - time.monotonic()
        if wait > 0:
            if self._timer is None:
                self._timer = self.set_timer(wait, self._draw)
            return
        self._draw()

    def _draw(self) -> None:
        self._timer = None
        self._drawn_at = time.monotonic()
        self.draws += 1
        shown = self._picture
        if shown is None or not shown.content or shown.canvas != self._canvas():
            self._picture = None  # render builds it at once
            self.refresh()
            return
        self._build_off_loop()

    def _canvas(self) -> Canvas:
        variables = self.app.theme_variables
        width, height = self.size
        return Canvas(
            width=width,
            height=height,
            theme=self._get_plotext_theme_name(self.app.theme),
            palette=tuple(Color.parse(variables.get(name) or variables["foreground"]).rgb
                          for name in self.PALETTE),
        )

    def _build_off_loop(self) -> None:
        if self._building is not None:
            self._again = True  # one more when this one lands, with the newest data
            return
        canvas, data = self._canvas(), self.data
        building = asyncio.get_running_loop().run_in_executor(
            None, picture, self.draw, data, canvas)
        self._building = building

        def landed(done: asyncio.Future[Text] | Future[Text]) -> None:
            self._building = None
            if not self.is_attached or done.cancelled():
                return
            if canvas == self._canvas():
                self._picture = _Picture(canvas, done.result(), self.has_content(data))
            else:
                self._picture = None  # resized meanwhile: render draws the newest data
            self.refresh()
            if self._again:
                self._again = False
                self._build_off_loop()

        building.add_done_callback(landed)

    def render(self) -> RenderResult:
        canvas = self._canvas()
        shown = self._picture
        if shown is None or shown.canvas != canvas:
            data = self.data
            shown = self._picture = _Picture(canvas, picture(self.draw, data, canvas),
                                             self.has_content(data))
        return shown.text
