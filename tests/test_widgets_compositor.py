"""The dashboard's compositor paints exactly what Textual's own would, with less work.

Every screen update of a live dashboard (embedded exchange on loopback, key presses, the help
screen on top) is rendered twice, by ``CroppedCompositor`` and by Textual's ``Compositor`` on
the same state, and what a terminal would receive is compared byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.console import Console
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.selection import resolve_markets
from pmdash.sim.runner import serve_exchange
from pmdash.widgets._screen import CroppedCompositor, DashboardScreen
from pmdash.widgets.ladder import BookLadder

SIZE = (160, 45)


class ComparingCompositor(CroppedCompositor):
    """Renders each update both ways and keeps what differs."""

    def __init__(self) -> None:
        super().__init__()
        self.compared = 0
        self.differences: list[str] = []
        self.console = Console(width=SIZE[0], height=SIZE[1], color_system="truecolor")

    def render_partial_update(self) -> ChopsUpdate | None:
        regions = self._dirty_regions.copy()
        update = super().render_partial_update()
        if update is None:
            return None
        crop = Region.from_union(list(regions)).intersection(self.size.region)
        rendered = {y for y, _, _ in update.spans}.__contains__
        stock = Compositor._render_chops(self, crop, rendered)
        ends = [cut_set[1:] for cut_set in self.cuts]
        expected = ChopsUpdate(stock, update.spans, ends).render_segments(self.console)
        got = update.render_segments(self.console)
        self.compared += 1
        if got != expected:
            self.differences.append(f"crop {crop}: {len(got)} vs {len(expected)} bytes")
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


async def test_every_update_of_a_live_dashboard_matches_textuals_compositor() -> None:
    # A calm feed: rendering every update twice must keep up with it, or key presses wait.
    async with serve_exchange(seed=3, rate=100) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        markets = await resolve_markets(endpoints, Settings())
        app = PmdashApp(endpoints, markets)
        async with app.run_test(size=SIZE) as pilot:
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
    async with serve_exchange(seed=3, rate=50) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        markets = await resolve_markets(endpoints, Settings())
        app = PmdashApp(endpoints, markets)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.5)
            market_list = app.market_list
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
