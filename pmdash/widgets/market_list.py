"""MarketList: the streamed markets; moving the highlight or pressing enter selects one."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.color import Color
from textual.content import Content
from textual.css.styles import RulesMap
from textual.filter import LineFilter
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import Padding, RenderOptions, Visual
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pmdash.state.row_notes import RowNote
from pmdash.units import fmt_price
from pmdash.widgets._line_view import _release, frame_line, frames_simply
from pmdash.widgets._strips import LeanStrip
from pmdash.widgets.data import MarketRow

_MUTED = "$foreground-muted"
_RENDERS_PER_PROMPT = 8
"""Renders kept on one prompt (option styles: plain, highlighted, hover; a resize)."""
PROMPT_LINES = 2
"""Every market takes two lines: its question (one line: ``MarketRow`` labels have no line
breaks, and the list does not wrap) and its prices."""


_NOT_LIVE = {
    "stale": ("STALE", "$text-warning bold"),
    "desynced": ("DESYNC", "$text-error bold"),
}
"""A book that is not live says so in front of its prices (the last trade makes room)."""


Run = tuple[str, str]
"""A piece of a prompt's prices line and its style (``""``: the option's own)."""


def price_runs(row: MarketRow) -> list[Run]:
    """The second line of a market's prompt: bid / ask / last, or what is wrong with them:
    RESOLVED, STALE or DESYNC before the book's prices, or no book yet (or from the server)."""
    if row.resolved:
        return [("RESOLVED", "$text-success bold")]
    if row.state == "empty":
        return [("no book yet", _MUTED)]
    if row.state == "missing":
        return [("no book from server", "$text-warning")]
    bid = fmt_price(row.best_bid, row.tick)
    ask = fmt_price(row.best_ask, row.tick)
    flag = _NOT_LIVE.get(row.state)
    if flag is not None:
        word, style = flag
        return [(word, style), ("  ", ""), ("bid ", _MUTED), (f"{bid}  ", ""),
                ("ask ", _MUTED), (ask, "")]
    if row.note is not None:
        return [*note_runs(row.note), (bid, ""), ("/", _MUTED), (ask, "")]
    last = fmt_price(row.last, row.tick)
    return [("bid ", _MUTED), (f"{bid}  ", ""), ("ask ", _MUTED), (f"{ask}  ", ""),
            ("last ", _MUTED), (last, "")]


def note_runs(note: RowNote) -> list[Run]:
    """Another feed's note in front of a live book's prices, which give up their words for
    it: ``73-70 +0.040  0.63/0.65`` (the score, the move since it changed, bid/ask)."""
    runs: list[Run] = [
        (note.text, "$text-warning bold reverse" if note.flash else "$text-accent bold"),
        (" ", _MUTED),
    ]
    move = note.move
    if move is not None:
        style = "$text-success" if move > 0 else "$text-error" if move < 0 else _MUTED
        runs.append((f"{move / 1_000_000:+.3f}", style))
    # Blanks in a style of their own, never one run with the price after them: an SVG
    # renderer may drop the blanks that start a text element (the snapshots).
    runs.append(("  ", _MUTED))
    return runs


def market_prompt(row: MarketRow) -> Content:
    """Two lines: the question, then ``price_runs``.

    Assembled from its pieces: parsing the equivalent markup (``[$foreground-muted]bid
    [/]...``) cost about 100 us a market, at every price change. The label is printable
    (``MarketRow``) and pmdash writes the rest: no control codes to strip.
    """
    return Content.assemble(row.label, "\n", *price_runs(row), strip_control_codes=False)


class MarketPrompt(Visual):
    """One market's option: its ``MarketRow``, made into Content only when it is shown or
    measured (a list of a thousand markets renders the twenty on screen)."""

    def __init__(self, row: MarketRow) -> None:
        self.row = row
        self._content: Content | None = None
        self.renders: dict[Hashable, list[Strip]] = {}
        """The list's renders of this prompt (``MarketList._get_option_render``): they go
        with it when a new price replaces it, freed at once, never left for the collector."""

    @property
    def content(self) -> Content:
        if self._content is None:
            self._content = market_prompt(self.row)
        return self._content

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.content.render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return PROMPT_LINES

    def __str__(self) -> str:
        return str(self.content)


class _RunStyles(dict[str, RichStyle]):
    """Style name of a prompt piece (``""``: the option's own) -> its final Rich style in one
    option (index) drawn in one option style: as Textual combines them for a Content span,
    then with OptionList's ``{"option": index}`` meta."""

    def __init__(self, widget: Widget, style: Style, index: int) -> None:
        super().__init__()
        self._widget = widget
        self._style = style
        self._meta = RichStyle.from_meta({"option": index})

    def __missing__(self, name: str) -> RichStyle:
        style = self._style
        if name:
            style = style + self._widget._get_style(name)
        rich = self[name] = style.rich_style + self._meta
        return rich


class _ListFrame(NamedTuple):
    """How a content row of the list becomes a screen row: Textual's edges (border and
    padding) around it, then the line filters (as ``LineView`` frames its lines)."""

    size: Size
    """The widget's outer size the frame was cut for."""
    top: int
    """The first content row (below the top border and padding)."""
    bottom: int
    """The first row below the content."""
    content_width: int
    left: Strip
    right: Strip
    filters: tuple[LineFilter, ...]
    background: Color


class MarketList(OptionList):
    """The markets being streamed, one keyed option per market (its condition id).

    Posts ``MarketList.MarketSelected`` when the highlight moves to another market and when
    enter is pressed. ``update_markets`` edits the options in place and keeps the highlighted
    market highlighted.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Move", key_display="↑↓ j k"),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    MarketList {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    class MarketSelected(Message):
        """The user chose the market ``condition_id``."""

        def __init__(self, condition_id: str) -> None:
            super().__init__()
            self.condition_id = condition_id

    def __init__(
        self,
        rows: Sequence[MarketRow] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: dict[str, MarketRow] = {}
        self._order: list[str] = []
        self._selected: str | None = None
        self._styles_version = 0
        """Bumped when styles change: part of every render's key."""
        self._run_styles: LRUCache[tuple[Style, int], _RunStyles] = LRUCache(maxsize=1024)
        self._labels: LRUCache[tuple[str, int], tuple[str, int]] = LRUCache(maxsize=4096)
        """(question, width) -> the question cut to the width, and its cells."""
        self._frame: _ListFrame | None = None
        self._frames_simply: bool | None = None
        """Whether the styles allow a frame (``frames_simply``); None: not asked since they
        changed."""
        self._framed: dict[int, tuple[Strip, Strip]] = {}
        """Screen row -> the content strip last framed there, and its framed strip."""
        if rows:
            self.update_markets(rows)

    def on_mount(self) -> None:
        if not self.border_title:
            self.border_title = "Markets"

    @property
    def highlighted_id(self) -> str | None:
        """The condition id of the highlighted market, if any."""
        option = self.highlighted_option
        return option.id if option is not None else None

    @property
    def selected_id(self) -> str | None:
        """The condition id last announced with MarketSelected."""
        return self._selected

    def update_markets(self, rows: Sequence[MarketRow]) -> bool:
        """Show ``rows`` (duplicate condition ids: the first wins), keeping the highlight.

        Only rows that changed are redrawn, and only those on screen are repainted (each at
        its two lines); returns True if any row changed."""
        unique: dict[str, MarketRow] = {}
        for row in rows:
            unique.setdefault(row.condition_id, row)
        order = list(unique)
        if order != self._order:
            keep = self.highlighted_id
            old_index = self.highlighted
            self.set_options(Option(MarketPrompt(row), id=cid) for cid, row in unique.items())
            if order:
                if keep in unique:
                    self.highlighted = order.index(keep)
                else:
                    self.highlighted = min(old_index or 0, len(order) - 1)
            self._rows = unique
            self._order = order
            return True
        old_rows = self._rows
        changed = [cid for cid, row in unique.items() if old_rows[cid] != row]
        self._rows = unique
        if changed:
            self._show_changed(changed)
        return bool(changed)

    def update_row(self, row: MarketRow) -> bool:
        """Show ``row`` for its market, if listed, leaving the other rows as they are (only
        its two lines are repainted, if on screen); True if it changed."""
        old = self._rows.get(row.condition_id)
        if old is None or old == row:
            return False
        self._rows[row.condition_id] = row
        self._show_changed([row.condition_id])
        return True

    def select_market(self, condition_id: str) -> bool:
        """Highlight the market ``condition_id`` as moving to it would (``MarketSelected``
        follows); False when it is not listed."""
        if condition_id not in self._rows:
            return False
        self.highlighted = self.get_option_index(condition_id)
        return True

    def _show_changed(self, changed: list[str]) -> None:
        """New prompts for the markets ``changed`` (same order, same heights); repaint the
        lines of those on screen. OptionList's ``replace_option_prompt`` would drop every
        option's renders and repaint the whole list for each one."""
        rows = self._rows
        get_index = self.get_option_index
        indexes = []
        for cid in changed:
            index = get_index(cid)
            self.get_option_at_index(index)._set_prompt(MarketPrompt(rows[cid]))
            indexes.append(index)
        region = self.scrollable_content_region
        if not region:
            # No cells to show them in (a terminal too small for the list): OptionList lays out
            # no lines until it has some, and then renders every option from its new prompt.
            return
        top = self.scroll_offset.y
        index_to_line = self._index_to_line
        for index in indexes:
            y = index_to_line[index] - top
            if -PROMPT_LINES < y < region.height:
                self.refresh(Region(0, y, region.width, PROMPT_LINES))

    def _get_option_render(self, option: Option, style: Style) -> list[Strip]:
        """OptionList's render of one option, cached on the prompt itself rather than by the
        option (whose cached renders OptionList could only drop by searching its whole cache):
        a market's new prompt starts with none, and the old one's go with it."""
        prompt = option.prompt
        if not isinstance(prompt, MarketPrompt):
            return super()._get_option_render(option, style)
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        index = self._option_to_index[option]
        key = (self._styles_version, index, style, padding, width)  # no prompt: no cycle
        renders = prompt.renders
        strips = renders.get(key)
        if strips is None:
            if padding or (strips := self._row_strips(prompt.row, style, width, index)) is None:
                strips = self._content_strips(prompt, style, padding, width, index)
            if len(renders) >= _RENDERS_PER_PROMPT:
                renders.clear()
            renders[key] = strips
        return strips

    def _content_strips(
        self, prompt: MarketPrompt, style: Style, padding: Spacing, width: int, index: int
    ) -> list[Strip]:
        """The option as OptionList renders it: the prompt's Content, through Textual."""
        visual: Visual = Padding(prompt, padding) if padding else prompt
        strips = Visual.to_strips(self, visual, width, None, style)
        meta = {"option": index}
        return [
            strip.extend_cell_length(width, style.rich_style).apply_meta(meta)
            for strip in strips
        ]

    def _row_strips(
        self, row: MarketRow, style: Style, width: int, index: int
    ) -> list[Strip] | None:
        """``_content_strips`` built from the row's pieces, with each piece's final style
        cached: the same segments, less Textual's text selection offsets (OptionList allows
        no selection). A Content render cost about 0.3 ms a market, the cost of every list
        update with many markets on screen. None where the list is laid out otherwise than
        this knows (no ellipsis, wrapping, alignment) or the prices do not fit: then Textual
        renders it."""
        get_rule = self.styles.get
        if (
            get_rule("text_overflow", "fold") != "ellipsis"
            or get_rule("text_wrap", "wrap") != "nowrap"
            or get_rule("text_align", "left") not in ("left", "start")
            or get_rule("line_pad", 0)
            or self.styles.content_align != ("left", "top")
            or self.text_selection is not None
        ):
            return None
        if row.note is not None and not row.note.text.isascii():
            return None  # widths below count one cell a character
        runs = price_runs(row)
        used = sum(len(text) for text, _ in runs)  # ASCII: one cell a character
        if used > width:
            return None
        styles = self._run_styles.get((style, index))
        if styles is None:
            styles = self._run_styles[(style, index)] = _RunStyles(self, style, index)
        base = styles[""]
        fitted = self._labels.get((row.label, width))
        if fitted is None:
            label = row.label
            label_cells = cell_len(label)
            if label_cells > width:  # cut as Textual cuts it
                label = Content(label).truncate(width, ellipsis=True).plain
                label_cells = cell_len(label)
            fitted = self._labels[(row.label, width)] = (label, label_cells)
        label, label_cells = fitted
        top = [Segment(label, base)]
        if label_cells < width:
            top.append(Segment(" " * (width - label_cells), base))
        prices = [Segment(text, styles[name]) for text, name in runs if text]
        if used < width:
            prices.append(Segment(" " * (width - used), base))
        return [LeanStrip(top, width), LeanStrip(prices, width)]

    def render_lines(self, crop: Region) -> list[Strip]:
        """OptionList's lines, with each content row framed from Textual's own edges rather
        than through its styles cache: that redid the border and padding of every repainted
        row, and the fixed cost of a render (about 0.7 ms here for the two rows of one market,
        at every flush that changes the selected market's prices). Rows outside the content
        (the border), and lists styled with more than edges and filters, are Textual's."""
        self._update_lines()
        frame = self._list_frame()
        if frame is None or crop.y < frame.top or crop.bottom > frame.bottom:
            return super().render_lines(crop)
        strips: list[Strip] = []
        framed_rows = self._framed
        for y in crop.line_range:
            content = self.render_line(y - frame.top)
            kept = framed_rows.get(y)
            if kept is not None and kept[0] is content:
                strips.append(kept[1])
                continue
            if content.cell_length != frame.content_width:
                return super().render_lines(crop)
            framed = frame_line(
                content, frame.left, frame.right, frame.filters, frame.background, frame.size.width
            )
            if kept is not None:
                _release([kept[1]])
            framed_rows[y] = (content, framed)
            strips.append(framed)
        x1, x2 = crop.column_span
        if (x1, x2) != (0, frame.size.width):
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def _list_frame(self) -> _ListFrame | None:
        """The frame for the current size, styles and filters (None: Textual frames). Styles
        that need more than a frame are noted until they change; a size or a scrollbar that
        leaves no frame is asked again at the next render (it may have gone by then)."""
        filters = tuple(self.get_line_filters())
        size = self.outer_size
        frame = self._frame
        if frame is not None and frame.filters == filters and frame.size == size:
            return frame
        if self._frames_simply is None:
            self._frames_simply = frames_simply(self)
        self._forget_frame()
        if self._frames_simply:
            self._frame = self._make_list_frame(size, filters)
        return self._frame

    def _make_list_frame(self, size: Size, filters: tuple[LineFilter, ...]) -> _ListFrame | None:
        top, right, bottom, left = self.styles.gutter  # border and padding
        content_width = size.width - left - right
        content = self.scrollable_content_region
        if (
            content_width <= 0
            or size.height - top - bottom <= 0
            or self.scrollbar_gutter != (0, 0, 0, 0)
            or content.width != content_width  # a scrollbar takes a column
            or content.height != size.height - top - bottom
        ):
            return None
        # One content row as Textual frames it: its edges are the frame's edges.
        sample = super().render_lines(Region(0, top, size.width, 1))[0]
        _, background = self.background_colors
        return _ListFrame(
            size=size,
            top=top,
            bottom=size.height - bottom,
            content_width=content_width,
            left=sample.crop(0, left),
            right=sample.crop(size.width - right, size.width),
            filters=filters,
            background=background,
        )

    def _forget_frame(self) -> None:
        _release([framed for _, framed in self._framed.values()])
        self._framed.clear()
        self._frame = None

    def _clear_caches(self) -> None:
        self._styles_version += 1
        self._run_styles.clear()
        super()._clear_caches()

    def notify_style_update(self) -> None:
        self._styles_version += 1  # a theme's colours may change what a style name means
        self._run_styles.clear()
        self._frames_simply = None
        self._forget_frame()
        super().notify_style_update()

    def on_show(self) -> None:
        """Back in view (a narrow terminal hides the list, and it loses the focus): take the
        focus again if nothing else on the screen has it."""
        if self.screen.focused is None:
            self.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        condition_id = event.option_id
        if condition_id is not None and condition_id != self._selected:
            self._selected = condition_id
            self.post_message(self.MarketSelected(condition_id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id is not None:
            self._selected = event.option_id
            self.post_message(self.MarketSelected(event.option_id))
