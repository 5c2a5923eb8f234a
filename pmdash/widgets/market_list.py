"""MarketList: the streamed markets; moving the highlight or pressing enter selects one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pmdash.units import fmt_price
from pmdash.widgets.data import MarketRow


def market_prompt(row: MarketRow) -> Content:
    """Two lines: the question, then bid / ask / last (or RESOLVED)."""
    if row.resolved:
        prices = Content.from_markup("[$text-success bold]RESOLVED[/]")
    else:
        prices = Content.from_markup(
            "[$foreground-muted]bid [/]$bid  [$foreground-muted]ask [/]$ask  "
            "[$foreground-muted]last [/]$last",
            bid=fmt_price(row.best_bid, row.tick),
            ask=fmt_price(row.best_ask, row.tick),
            last=fmt_price(row.last, row.tick),
        )
    return Content.from_markup("$label\n", label=row.label) + prices


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

        Only rows that changed are redrawn; returns True if any did."""
        unique: dict[str, MarketRow] = {}
        for row in rows:
            unique.setdefault(row.condition_id, row)
        order = list(unique)
        changed = False
        if order == self._order:
            for condition_id, row in unique.items():
                if self._rows.get(condition_id) != row:
                    self._replace_prompt(condition_id, market_prompt(row))
                    changed = True
        else:
            changed = True
            keep = self.highlighted_id
            old_index = self.highlighted
            self.set_options(
                Option(market_prompt(row), id=condition_id) for condition_id, row in unique.items()
            )
            if order:
                if keep in unique:
                    self.highlighted = order.index(keep)
                else:
                    self.highlighted = min(old_index or 0, len(order) - 1)
        self._rows = unique
        self._order = order
        return changed

    def _replace_prompt(self, condition_id: str, prompt: Content) -> None:
        """``replace_option_prompt`` for one market, repainting only that market's lines.

        OptionList's own drops every option's rendered lines and repaints the whole widget
        (5-10 ms at each list update, the longest screen updates of a busy dashboard); a new
        price changes one option and keeps its height, so only its cached renders go and only
        its lines are refreshed. A prompt of another height takes OptionList's way.
        """
        index = self.get_option_index(condition_id)
        option = self.get_option_at_index(index)
        height = self._heights.get(index)
        option._set_prompt(prompt)  # OptionList's own setter: also drops the option's visual
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        if height is None or self._get_visual(option).get_height(
            self.styles, width - padding.width
        ) != height:
            self._clear_caches()
            return
        cache = self._option_render_cache
        for key in [key for key in cache.keys() if key[0] is option]:  # noqa: SIM118 - not iterable
            cache.discard(key)
        top = self._index_to_line[index] - self.scroll_offset.y
        self.refresh(Region(0, top, self.scrollable_content_region.width, height))

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
