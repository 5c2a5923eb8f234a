"""The dashboard's compositor paints exactly what Textual's own would, with less work.

Every screen update of a live dashboard (embedded exchange on loopback, key presses, the help
screen on top, resizes) is rendered twice, by ``CroppedCompositor`` and by Textual's
``Compositor`` on the same state. Each update is played onto a screen of its own (a grid of
cells, as a terminal keeps it) and the two screens must stay equal, cell for cell and style for
style. (The bytes may differ: Textual also sends an empty cursor move for a piece that starts
where a repainted span ends, which ``CroppedCompositor`` does not render.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

from conftest import market_group
from rich.cells import cell_len
from rich.console import Console
from rich.segment import ControlType, Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.registry import FEEDS
from pmdash.selection import resolve_markets
from pmdash.sim.runner import serve_exchange
from pmdash.widgets._screen import CroppedCompositor, DashboardScreen
from pmdash.widgets.ladder import BookLadder

SIZE = (160, 45)

Cells = dict[tuple[int, int], tuple[str, Style | None]]


def play(segments: Sequence[Segment], cells: Cells) -> None:
    """Write an update's segments onto ``cells`` as a terminal would."""
    x = y = 0
    for segment in segments:
        if segment.control:
            for control in segment.control:
                if control[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = control[1], control[2]
            continue
        if segment.text == "\n":
            continue
        for char in segment.text:
            cells[x, y] = (char, segment.style)
            x += cell_len(char)


def screen_of(strips: Sequence[Strip]) -> Cells:
    cells: Cells = {}
    for y, strip in enumerate(strips):
        x = 0
        for segment in strip:
            for char in segment.text:
                cells[x, y] = (char, segment.style)
                x += cell_len(char)
    return cells


class ComparingCompositor(CroppedCompositor):
    """Plays each partial update both ways onto two screens and keeps where they differ."""

    def __init__(self) -> None:
        super().__init__()
        self.compared = 0
        self.differences: list[str] = []
        self.console = Console(width=SIZE[0], height=SIZE[1], color_system="truecolor")
        self.ours: Cells | None = None
        self.theirs: Cells | None = None

    def render_full_update(self, simplify: bool = False):  # type: ignore[no-untyped-def]
        update = super().render_full_update(simplify)
        self.ours = self.theirs = None  # both screens start again from the next full render
        return update

    def render_partial_update(self) -> ChopsUpdate | None:
        regions = self._dirty_regions.copy()
        if self.ours is None or self.theirs is None:
            self.ours = screen_of(self.render_strips())
            self.theirs = dict(self.ours)
        update = super().render_partial_update()
        if update is None:
            return None
        crop = Region.from_union(list(regions)).intersection(self.size.region)
        rendered = {y for y, _, _ in update.spans}.__contains__
        stock = Compositor._render_chops(self, crop, rendered)
        ends = [cut_set[1:] for cut_set in self.cuts]
        options = self.console.options
        play(list(update.__rich_console__(self.console, options)), self.ours)
        textual = ChopsUpdate(stock, update.spans, ends)
        play(list(textual.__rich_console__(self.console, options)), self.theirs)
        self.compared += 1
        if self.ours != self.theirs:
            cells = sorted(k for k in self.ours.keys() | self.theirs.keys()
                           if self.ours.get(k) != self.theirs.get(k))
            self.differences.append(f"crop {crop}: {len(cells)} cells differ, first {cells[0]}")
            self.theirs = dict(self.ours)  # report each difference once
        return update

    def _render_chops(
        self, crop: Region, is_rendered_line: Callable[[int], bool]
    ) -> Sequence[Mapping[int, Strip]]:
        chops = super()._render_chops(crop, is_rendered_line)
        # Full updates: every line, every piece.
        if crop == self.size.region and all(is_rendered_line(y) for y in range(crop.height)):
            stock = Compositor._render_chops(self, crop, is_rendered_line)
            for y, (ours, theirs) in enumerate(zip(chops, stock, strict=True)):
                if {k: v for k, v in ours.items() if v is not None} != dict(theirs):
                    self.differences.append(f"full update, line {y}")
        return chops


@asynccontextmanager
async def live_dashboard(rate: float) -> AsyncIterator[tuple[PmdashApp, Pilot[int]]]:
    """The App on the embedded exchange (loopback), running headless at SIZE."""
    async with serve_exchange(seed=3, rate=rate) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        # The market feed's panels alone: what these tests count is theirs.
        markets = await resolve_markets(endpoints, Settings())
        app = PmdashApp(endpoints, markets, feeds=[FEEDS["market"]])
        async with app.run_test(size=SIZE) as pilot:
            yield app, pilot


async def test_every_update_of_a_live_dashboard_matches_textuals_compositor() -> None:
    # A calm feed: rendering every update twice must keep up with it, or key presses wait.
    async with live_dashboard(rate=100) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        compositor = ComparingCompositor()
        screen._compositor = compositor
        screen.refresh(layout=True)  # a full map for the new compositor
        ladder = app.query_one(BookLadder)
        for _ in range(200):
            if ladder.data is not None and ladder.data.state == "live":
                break
            await pilot.pause(0.05)
        for key in ("o", "j", "o", "k", "question_mark", "escape", "tab", "j"):
            await pilot.pause(0.25)
            await pilot.press(key)
        await pilot.pause(0.3)
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.2)
        await pilot.resize_terminal(*SIZE)
        await pilot.pause(0.2)
    assert compositor.compared > 30, "too few screen updates to compare"
    assert compositor.differences == []


async def test_a_partial_update_leaves_panels_outside_it_alone() -> None:
    async with live_dashboard(rate=50) as (app, pilot):
        await pilot.pause(0.5)
        market_list = market_group(app).market_list
        asked: list[Region] = []
        original = market_list.render_lines

        def counting(crop: Region) -> list[Strip]:
            asked.append(crop)
            return original(crop)

        market_list.render_lines = counting  # type: ignore[method-assign]
        ladder = app.query_one(BookLadder)
        ladder.refresh(Region(0, 3, ladder.size.width, 1))
        await pilot.pause(0.1)
        assert asked == []  # the list is beside the ladder, not under it
        market_list.refresh()
        await pilot.pause(0.1)
        assert asked, "a refresh of the list itself must render it"
