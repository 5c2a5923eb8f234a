"""HelpScreen: a modal list of the keys."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("q", "quit"),
    ("?", "show / hide this help"),
    ("↑ ↓  j k", "move in the market list"),
    ("enter", "select the highlighted market"),
    ("tab  shift+tab", "move focus between panels"),
    ("o", "flip outcome (Yes / No)"),
    ("escape", "close this help"),
)
"""(key, what it does), in the order the help lists them."""


def keys_table(keys: tuple[tuple[str, str], ...] = KEYS) -> Content:
    """The keys as aligned lines: key in bold accent, then its description."""
    width = max(len(key) for key, _ in keys)
    lines = [
        Content.from_markup("[bold $text-accent]$key[/]  $what", key=key.ljust(width), what=what)
        for key, what in keys
    ]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Lists the keys; escape (or ?) closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > #help {
            width: auto;
            height: auto;
            padding: 1 2;
            border: round $primary;
            background: $surface;
            & > Static { width: auto; height: auto; }
        }
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="help") as box:
            box.border_title = "Keys"
            box.border_subtitle = "escape closes"
            yield Static(keys_table())
