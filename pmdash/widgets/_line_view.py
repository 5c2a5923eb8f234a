"""LineView: a widget drawn line by line from keyed lines, repainting only what changed.

A subclass says what each line shows as a hashable key (``line_keys``) and how to draw one key
(``build_line``). ``update_lines()`` compares the new keys with the shown ones and marks only the
changed lines dirty (``Widget.refresh(*regions)``), so Textual restyles just those lines; a line
that moved keeps its Strip. Component styles are looked up once and kept until the styles change
(theme, CSS), instead of after every refresh.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, Self, TypeVar

from rich.style import Style
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

BLANK: Hashable = ("blank",)
"""The key of an empty line."""


class LineView(Widget):
    """Base of the line-rendered panels. Subclasses implement ``line_keys`` and ``build_line``."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._keys: list[Hashable] = []
        self._strips: list[Strip | None] = []
        self._keys_size = Size(0, 0)
        self._fitted = False
        """Whether ``_keys`` describe the current size and styles."""
        self._line_styles: dict[str, Style] = {}
        self._base_style: Style | None = None
        self.lines_built = 0
        """How many lines were built (not reused) since mounting: a cost counter."""
        self._subtitle_only = False
        self._subtitle_text: str | None = None

    # --- for subclasses ----------------------------------------------------------------------

    def line_keys(self, width: int, height: int) -> list[Hashable]:
        """One key per line (exactly ``height``): equal keys draw equal lines."""
        raise NotImplementedError

    def build_line(self, key: Hashable, width: int) -> Strip:
        """The Strip (``width`` cells) of one line's key."""
        raise NotImplementedError

    @property
    def base_style(self) -> Style:
        """The widget's own Rich style (background, colour), cached until styles change."""
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def component_style(self, name: str) -> Style:
        """A component class's Rich style, cached until styles change."""
        style = self._line_styles.get(name)
        if style is None:
            style = self._line_styles[name] = self.get_component_rich_style(name)
        return style

    def set_subtitle(self, subtitle: str) -> None:
        """Change the border subtitle, repainting only the bottom border line (setting
        ``border_subtitle`` alone repaints the whole widget)."""
        if subtitle == self._subtitle_text:
            return
        self._subtitle_text = subtitle
        self._subtitle_only = True
        try:
            self.border_subtitle = subtitle
        finally:
            self._subtitle_only = False

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if self._subtitle_only and not regions and not layout and not recompose:
            # Regions are in content coordinates: the bottom border is the outer last line.
            outer = self.outer_size
            left, top = self.content_offset
            regions = (Region(-left, outer.height - 1 - top, outer.width, 1),)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    # --- updating ----------------------------------------------------------------------------

    def update_lines(self) -> None:
        """Recompute the keys and repaint only the lines whose key changed."""
        size = self.size
        if not self._fitted or size != self._keys_size:
            self._fitted = False
            self.refresh()
            return
        width, height = size
        keys = self.line_keys(width, height)
        old_keys = self._keys
        old_strips = self._strips
        reusable: dict[Hashable, Strip] | None = None
        strips: list[Strip | None] = list(old_strips)
        regions: list[Region] = []
        start = -1
        for y, key in enumerate(keys):
            if key == old_keys[y]:
                if start >= 0:
                    regions.append(Region(0, start, width, y - start))
                    start = -1
                continue
            if reusable is None:
                pairs = zip(old_keys, old_strips, strict=True)
                reusable = {k: strip for k, strip in pairs if strip is not None}
            strips[y] = reusable.get(key)
            if start < 0:
                start = y
        if start >= 0:
            regions.append(Region(0, start, width, height - start))
        self._keys = keys
        self._strips = strips
        if regions:
            self.refresh(*regions)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_styles.clear()
        self._base_style = None
        self._fitted = False

    # --- rendering ---------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._fit_size()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        if not self._fitted:
            self._fit_size()
        if 0 <= y < len(self._keys):
            strip = self._strips[y]
            if strip is None:
                strip = self._strips[y] = self.build_line(self._keys[y], self._keys_size.width)
                self.lines_built += 1
            return strip
        return Strip.blank(self._keys_size.width, self.base_style)

    def _fit_size(self) -> None:
        """Lay the keys out for the current size (after a resize or a style change)."""
        size = self.size
        if self._fitted and size == self._keys_size:
            return
        width, height = size
        self._keys = self.line_keys(width, height) if width > 0 and height > 0 else []
        self._strips = [None] * len(self._keys)
        self._keys_size = size
        self._fitted = True


DataT = TypeVar("DataT")


class DataLineView(LineView, Generic[DataT]):
    """A LineView that shows one view-data value, pushed down by the App."""

    def __init__(
        self,
        data: DataT | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._data = data

    @property
    def data(self) -> DataT | None:
        """The data shown now."""
        return self._data
