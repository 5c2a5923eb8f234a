"""The dashboard's Screen: Textual's, with a compositor that renders only what an update shows.

A partial screen update in Textual 8.2.8 (``Compositor.render_partial_update``) repaints the
rows of the dirty regions inside their bounding box (the crop). To get those rows it asks every
visible widget whose *container* overlaps the crop for *all* its lines, then cuts every line of
every widget on a repainted row into pieces, keeping the front-most piece of each. With the
panels of a dashboard that is every widget on screen, every update: the market list, the footer
and the status bar are rendered and cut 30 times a second while only the ladder changed.

``CroppedCompositor`` asks only the widgets whose visible region overlaps the crop, and only
for the crop's rows. Columns are left whole: the compositor keys its pieces by the screen's cut
points, which are the edges of the widgets' visible regions. On each row of a partial update it
renders only the pieces that overlap that row's dirty spans, the only ones Textual's
``ChopsUpdate`` writes (the crop of a list row beside the header reaches down over every ladder
row, where the list has nothing to repaint). Every piece written is the same piece from the
same widget, so the screen is the same.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import cast

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


class CroppedCompositor(Compositor):
    """A compositor whose partial updates render only the widgets and rows they repaint."""

    def render_partial_update(self) -> ChopsUpdate | None:
        """Textual's partial update, rendering on each row only the pieces that overlap that
        row's dirty spans: ``ChopsUpdate`` writes nothing else. Textual renders every piece of
        the crop on each repainted row, so an update of a market-list row beside the header
        also rendered the list's pieces on every ladder row below it."""
        regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not regions:
            return None
        spans = list(self._regions_to_spans(regions))
        ranges: dict[int, list[tuple[int, int]]] = {}
        for y, x1, x2 in spans:
            ranges.setdefault(y, []).append((x1, x2))
        cuts = self.cuts
        unpainted = {
            y: [
                cut
                for cut, end in pairwise(cuts[y])
                if any(cut < x2 and end > x1 for x1, x2 in row)
            ]
            for y, row in ranges.items()
            if 0 <= y < len(cuts)
        }
        crop = Region.from_union(list(regions)).intersection(self.size.region)
        chops = self._render_pieces(crop, unpainted)
        return ChopsUpdate(chops, spans, [cut_set[1:] for cut_set in cuts])

    def _render_chops(
        self,
        crop: Region,
        is_rendered_line: Callable[[int], bool],
    ) -> Sequence[Mapping[int, Strip]]:
        """Textual's ``_render_chops`` (full renders): every piece of ``crop`` on the lines
        ``is_rendered_line`` accepts, through ``_render_pieces``."""
        left = crop.x
        right = crop.right
        cuts = self.cuts
        unpainted = {
            y: [cut for cut, end in pairwise(cuts[y]) if cut < right and end > left]
            for y in crop.line_range
            if is_rendered_line(y)
        }
        return self._render_pieces(crop, unpainted)

    def _render_pieces(
        self, crop: Region, unpainted: dict[int, list[int]]
    ) -> Sequence[Mapping[int, Strip]]:
        """Render the pieces ``unpainted`` names (row -> the cut points where they start,
        ascending; all inside ``crop``), asking a widget only for the rows where some piece
        in its columns is still unpainted (front to back, the first piece wins).

        Containers covered by their children, and panels outside the crop, render nothing.
        Pieces not named stay None: they are not repainted.
        """
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        left = crop.x
        right = crop.right
        remaining = sum(map(len, unpainted.values()))
        if not remaining:
            return cast("Sequence[Mapping[int, Strip]]", chops)
        top = min(unpainted)
        bottom = max(unpainted) + 1
        intersection = Region.intersection
        for widget, (region, clip) in self.visible_widgets.items():
            x, y, width, height = intersection(region, clip)
            end = x + width
            if x >= right or end <= left:
                continue
            # The rows this widget would still paint something on.
            wanted = []
            for row in range(max(y, top), min(y + height, bottom)):
                open_cuts = unpainted.get(row)
                if open_cuts:
                    index = bisect_left(open_cuts, x)
                    if index < len(open_cuts) and open_cuts[index] < end:
                        wanted.append(row)
            if not wanted:
                continue
            first = wanted[0]
            last = wanted[-1] + 1
            asked = Region(x - region.x, first - region.y, width, last - first)
            for row, strip in zip(range(first, last), widget.render_lines(asked), strict=False):
                open_cuts = unpainted.get(row)
                if not open_cuts:
                    continue
                chops_line = chops[row]
                final_cuts = [cut for cut in cuts[row] if end >= cut >= x]
                # One piece fewer than cuts: the last cut is where the widget ends.
                pieces = strip.divide([cut - x for cut in final_cuts[1:]])
                for cut, piece in zip(final_cuts, pieces, strict=False):
                    if chops_line[cut] is None and cut in open_cuts:
                        chops_line[cut] = piece
                        open_cuts.remove(cut)
                        remaining -= 1
            if not remaining:
                break  # every piece is painted: the widgets behind would paint nothing
        return cast("Sequence[Mapping[int, Strip]]", chops)


class DashboardScreen(Screen[None]):
    """The App's default screen, with ``CroppedCompositor``, and a class for its width that
    ``styles.tcss`` lays the panels out by: the book ladder keeps its room on a narrow
    terminal, the trade tape and then the market list give theirs up first."""

    HORIZONTAL_BREAKPOINTS = [
        (0, "-tiny"),
        (60, "-narrow"),
        (100, "-medium"),
        (120, "-wide"),
        (160, "-full"),
    ]
    """Screen width (cells) from which each class applies."""

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._compositor = CroppedCompositor()
