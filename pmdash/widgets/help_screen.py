"""HelpScreen: a modal list of the keys.

The list scrolls when the terminal is too small for it: its box takes the focus, so the arrow
keys, ``j``/``k``, page up/down and home/end move it. ``q`` quits from here as it does from the
dashboard (a modal screen hides the App's own bindings; ``ctrl+c`` and ``ctrl+q`` are priority
bindings of the App, so they reach it anyway); escape and ``?`` close the help. Its own footer
lists only the keys that work here, over the dashboard's.
"""

from __future__ import annotations

import textwrap
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widget import Widget

from pmdash.widgets.footer import KeyFooter

KEYS: tuple[tuple[str, str], ...] = (
    ("q", "quit"),
    ("ctrl+c  ctrl+q", "quit, from any screen"),
    ("?", "show / hide this help"),
    ("tab  shift+tab", "move focus: markets, book, trades (the focused panel is outlined)"),
    ("↑ ↓  j k", "markets: show the next / previous market; book: deeper / nearer levels; "
                 "trades: older / newer"),
    ("pgup pgdn", "markets, book, trades: a page at a time"),
    ("home", "markets: the first; book: back to the top; trades: back to the newest"),
    ("end", "markets: the last"),
    ("o", "show the selected market's other outcome (the next one, if it has more)"),
    ("t", "the trade tape; below 100 columns, in the book's place (again: back)"),
    ("ctrl+p", "command palette (theme, keys, screenshot)"),
    ("escape", "close this help"),
)
"""(key, what it does), in the order the help lists them."""


def key_lines(keys: tuple[tuple[str, str], ...] = KEYS, width: int | None = None) -> list[Content]:
    """The keys as aligned lines: key in bold accent, then its description. Given ``width``,
    a description that does not fit wraps under itself (not under the keys)."""
    key_w = max(len(key) for key, _ in keys)
    room = None if width is None else max(width - key_w - 2, 8)
    lines = []
    for key, what in keys:
        parts = [what] if room is None else textwrap.wrap(what, room) or [""]
        lines.append(
            Content.from_markup(
                "[bold $text-accent]$key[/]  $what", key=key.ljust(key_w), what=parts[0]
            )
        )
        lines.extend(Content(" " * (key_w + 2) + part) for part in parts[1:])
    return lines


class KeysTable(Widget):
    """``key_lines`` at the width the screen leaves: as wide as they need, when it can."""

    DEFAULT_CSS = """
    KeysTable { width: auto; height: auto; max-width: 100%; }
    """

    def __init__(self, keys: tuple[tuple[str, str], ...] = KEYS) -> None:
        super().__init__()
        self.keys = keys

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max(line.cell_length for line in key_lines(self.keys))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(key_lines(self.keys, width=width))

    def render(self) -> Content:
        return Content("\n").join(key_lines(self.keys, width=self.size.width))


class HelpBox(VerticalScroll):
    """The box around the keys: focusable, and scrolled by the keys a scrollable container
    takes (arrows, page up/down, home/end) and by ``j``/``k``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll", key_display="↑↓ j k"),
        Binding("k", "scroll_up", "Scroll Up", show=False),
    ]


class HelpScreen(ModalScreen[None]):
    """Lists the keys; escape (or ?) closes it, q quits the App. Its footer shows quit,
    close and scroll: the dashboard's keys do not work here."""

    AUTO_FOCUS = "#help"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > #help {
            width: auto;
            height: auto;
            max-width: 100%;
            max-height: 100%;
            padding: 1 2;
            border: round $primary;
            background: $surface;
            overflow-y: auto;
        }
    }
    """

    def __init__(self, more: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__()
        self.keys = KEYS[:-2] + more + KEYS[-2:]
        """The keys listed: ``more`` (the panel groups' own) before the palette and escape."""

    def compose(self) -> ComposeResult:
        with HelpBox(id="help") as box:
            box.border_title = "Keys"
            box.border_subtitle = "escape closes"
            yield KeysTable(self.keys)
        yield KeyFooter()
