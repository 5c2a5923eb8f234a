"""LineView: a widget drawn line by line from keyed lines, repainting only what changed.

A subclass says what each line shows as a hashable key (``line_keys``) and how to draw one key
(``build_line``). ``update_lines()`` compares the new keys with the shown ones and marks only the
changed lines dirty (``Widget.refresh(*regions)``), so only those lines are drawn again; a line
that moved keeps its Strip. Component styles are looked up once and kept until the styles change
(theme, CSS), instead of after every refresh.

Framing a content line (borders, line filters) is done here rather than by Textual's styles
cache, which redoes the whole border/padding/tint pipeline for every repainted line (about 60 µs
a line here, most of a repaint's cost). The frame's edges are cut once per size and style from a
line Textual itself rendered, so they stay exactly Textual's; widgets whose styles need more
than edges and filters (padding, tint, opacity, hatch, outline) are left to Textual.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Generic, NamedTuple, Self, TypeVar

from rich.style import Style
from textual.color import Color
from textual.content import Content
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from pmdash.widgets._strips import LeanStrip

BLANK: Hashable = ("blank",)
"""The key of an empty line."""


class _Frame(NamedTuple):
    """How a content line becomes a screen line: Textual's edges around it, then filters."""

    top: int
    """Rows above the content (the top border)."""
    left: Strip
    right: Strip
    width: int
    """Outer width of a framed line."""
    filters: tuple[LineFilter, ...]
    background: Color


_EDGE_MEMO_LIMIT = 256


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
        self._edge_only: str | None = None
        """While a title ("top") or subtitle ("bottom") is being set: the border row that
        ``refresh`` repaints, rather than the whole widget."""
        self._subtitle_text: str | None = None
        self._title_text: str | None = None
        self._framed: list[Strip | None] = []
        """Per content line: its Strip framed for the screen (None: not yet)."""
        self._frame: _Frame | None = None
        self._frame_known = False
        """Whether ``_frame`` is worked out for the current size and styles (None: let
        Textual frame the lines)."""
        self._edge_rows: dict[int, Strip] = {}
        """Border rows (outer row index) as Textual rendered them, until one is refreshed."""
        self._edge_memo: dict[tuple[int, object, object], Strip] = {}
        """Border rows by (row, title, subtitle) for the current frame: a subtitle that comes
        back ("12 bids · 5 asks" again) costs a lookup, not a render by Textual."""
        self.lines_framed = 0
        """How many content lines were framed here rather than by Textual: a cost counter."""

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

    def set_title(self, title: str) -> None:
        """Change the border title, repainting only the top border line (setting
        ``border_title`` alone repaints the whole widget). The text is shown as it is: Textual
        reads a ``str`` title as markup, where a server's ``[/x]`` raises and ``[@click=...]``
        makes an action."""
        if title == self._title_text:
            return
        self._title_text = title
        self._edge_only = "top"
        try:
            self.border_title = Content(title)
        finally:
            self._edge_only = None

    def set_subtitle(self, subtitle: str) -> None:
        """Change the border subtitle, repainting only the bottom border line. Shown as it is,
        as the title."""
        if subtitle == self._subtitle_text:
            return
        self._subtitle_text = subtitle
        self._edge_only = "bottom"
        try:
            self.border_subtitle = Content(subtitle)
        finally:
            self._edge_only = None

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        edge = self.__dict__.get("_edge_only")
        if edge is not None and not regions and not layout and not recompose:
            # Regions are in content coordinates: the borders are the outer first and last line.
            outer = self.outer_size
            left, top = self.content_offset
            y = -top if edge == "top" else outer.height - 1 - top
            regions = (Region(-left, y, outer.width, 1),)
        edge_rows = self.__dict__.get("_edge_rows")
        if edge_rows:
            self._forget_edge_rows(edge_rows, regions if not layout else ())
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
        keys = self._keys_for(size)
        old_keys = self._keys
        old_strips = self._strips
        old_framed = self._framed
        reusable: dict[Hashable, tuple[Strip, Strip | None]] | None = None
        strips: list[Strip | None] = list(old_strips)
        framed: list[Strip | None] = list(old_framed)
        regions: list[Region] = []
        start = -1
        for y, key in enumerate(keys):
            if key == old_keys[y]:
                if start >= 0:
                    regions.append(Region(0, start, width, y - start))
                    start = -1
                continue
            if reusable is None:
                reusable = {
                    k: (strip, frame_strip)
                    for k, strip, frame_strip in zip(old_keys, old_strips, old_framed, strict=True)
                    if strip is not None
                }
            strips[y], framed[y] = reusable.get(key, (None, None))
            if start < 0:
                start = y
        if start >= 0:
            regions.append(Region(0, start, width, height - start))
        self._keys = keys
        self._strips = strips
        _release(old_framed, keep=framed)
        self._framed = framed
        if regions:
            self.refresh(*regions)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_styles.clear()
        self._base_style = None
        self._fitted = False
        self._frame_known = False

    # --- rendering ---------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._fit_size()
        frame = self._current_frame()
        if frame is None:
            return super().render_lines(crop)
        top = frame.top
        bottom = top + self._keys_size.height
        if crop.y >= top and crop.bottom <= bottom:
            strips = [self._framed_line(y - top, frame) for y in crop.line_range]
        else:
            strips = []
            for y in crop.line_range:
                if top <= y < bottom:
                    strips.append(self._framed_line(y - top, frame))
                else:
                    strips.append(self._edge_row(y, frame))
        x1, x2 = crop.column_span
        if (x1, x2) != (0, frame.width):
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def _forget_edge_rows(self, edge_rows: dict[int, Strip], regions: tuple[Region, ...]) -> None:
        """Drop the kept border rows a refresh of ``regions`` (content coordinates) touches;
        all of them for a refresh of the whole widget."""
        if regions:
            top = self.content_offset.y
            touched = [y for y in edge_rows if any(r.y <= y - top < r.bottom for r in regions)]
        else:
            touched = list(edge_rows)
        for y in touched:
            _release([edge_rows.pop(y)])

    def _edge_row(self, y: int, frame: _Frame) -> Strip:
        """A border row: Textual renders it, once until it is refreshed (the compositor asks
        for every line of every widget at each screen update)."""
        strip = self._edge_rows.get(y)
        if strip is None:
            memo = self._edge_memo
            key = (y, self.border_title, self.border_subtitle)
            strip = memo.get(key)
            if strip is None:
                strip = super().render_lines(Region(0, y, frame.width, 1))[0]
                if len(memo) >= _EDGE_MEMO_LIMIT:
                    _release(list(memo.values()))
                    memo.clear()
                memo[key] = strip
            self._edge_rows[y] = strip
        return strip

    def _framed_line(self, y: int, frame: _Frame) -> Strip:
        framed = self._framed[y]
        if framed is None:
            framed = frame_line(
                self.render_line(y),
                frame.left,
                frame.right,
                frame.filters,
                frame.background,
                frame.width,
            )
            self._framed[y] = framed
            self.lines_framed += 1
        return framed

    def _current_frame(self) -> _Frame | None:
        """The frame for the current size and styles, worked out once (None: Textual frames)."""
        filters = tuple(self.get_line_filters())
        frame = self._frame
        if self._frame_known and (frame is None or frame.filters == filters):
            return frame
        self._frame = frame = self._make_frame(filters)
        self._frame_known = True
        _release(self._framed)
        self._framed = [None] * len(self._keys)
        _release(list(self._edge_rows.values()))
        self._edge_rows.clear()
        _release(list(self._edge_memo.values()))
        self._edge_memo.clear()
        return frame

    def _make_frame(self, filters: Sequence[LineFilter]) -> _Frame | None:
        styles = self.styles
        width, height = self._keys_size
        if width <= 0 or height <= 0 or not self._simple_styles():
            return None
        top, right, _bottom, left = styles.border.spacing
        outer_width = self.outer_size.width
        if outer_width != width + left + right:
            return None
        # One content row as Textual frames it; its edges are the frame's edges.
        sample = super().render_lines(Region(0, top, outer_width, 1))[0]
        _, background = self.background_colors
        return _Frame(
            top=top,
            left=sample.crop(0, left),
            right=sample.crop(outer_width - right, outer_width),
            width=outer_width,
            filters=tuple(filters),
            background=background,
        )

    def _simple_styles(self) -> bool:
        """Whether a content line is just the edges, the line and the filters (see module)."""
        return (
            not any(self.styles.padding)
            and frames_simply(self)
            and self.scrollbar_gutter == (0, 0, 0, 0)
        )

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

    def _keys_for(self, size: Size) -> list[Hashable]:
        """The keys for ``size``: none when the panel has no cells at all (a terminal so small
        that the layout leaves it no column or no row), where ``line_keys`` is never asked."""
        width, height = size
        return self.line_keys(width, height) if width > 0 and height > 0 else []

    def _fit_size(self) -> None:
        """Lay the keys out for the current size (after a resize or a style change)."""
        size = self.size
        if self._fitted and size == self._keys_size:
            return
        self._keys = self._keys_for(size)
        self._strips = [None] * len(self._keys)
        _release(self._framed)
        self._framed = [None] * len(self._keys)
        self._keys_size = size
        self._fitted = True
        self._frame_known = False


def frames_simply(widget: Widget) -> bool:
    """Whether ``widget``'s styles have Textual frame each content row as the same edges
    around the row (border, and padding if any), then the line filters: no tint, opacity, text
    opacity, hatch or outline. Then, with no scrollbar gutter (layout, not style: the caller
    asks), a row framed from edges cut off one row Textual rendered is exactly Textual's
    (``LineView``, ``MarketList``)."""
    styles = widget.styles
    return (
        not styles.tint.a
        and widget.opacity == 1.0
        and styles.text_opacity == 1.0
        and (not styles.has_rule("hatch") or styles.hatch == "none")
        and not any(edge for edge, _ in styles.outline)
    )


def frame_line(
    content: Strip,
    left: Strip,
    right: Strip,
    filters: Sequence[LineFilter],
    background: Color,
    width: int,
) -> Strip:
    """A content row as a screen row: the line filters applied to it (as ``Strip.apply_filter``
    applies them, without a Strip per filter), between the ``left`` and ``right`` edges cut
    from a row Textual rendered (``LineView``, ``MarketList``)."""
    segments = list(content)
    for line_filter in filters:
        segments = line_filter.apply(segments, background)
    return LeanStrip([*left, *segments, *right], width)


_DIVIDE_CACHE = Strip.__dict__["_divide_cache"]
"""The slot of ``Strip._divide_cache``, read without making a LeanStrip's cache."""


def _release(dropped: list[Strip | None], keep: list[Strip | None] | None = None) -> None:
    """Break the reference cycle of framed Strips leaving the screen.

    The compositor cuts every line it paints with ``Strip.divide``, which caches the result in
    the Strip; when the line is one piece that result holds the Strip itself. Such a Strip is
    only freed by a full garbage collection, and a busy ladder drops thousands a second, so the
    collections grow long (tens of ms). Emptying the cache lets reference counting free it.
    """
    kept = {id(strip) for strip in keep if strip is not None} if keep else set()
    for strip in dropped:
        if strip is not None and id(strip) not in kept:
            try:
                cache = _DIVIDE_CACHE.__get__(strip)  # never made (a LeanStrip): nothing held
            except AttributeError:
                continue
            cache.clear()


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
