"""KeyFooter: Textual's Footer with quit and help first and no command-palette key.

Textual's Footer lists the focused widget's keys before the App's and cuts the line where the
terminal ends, with the command palette's key docked at the right: below 80 columns that cut
off ``q`` and ``?``. Here quit, help (or close, on the help screen) come first whatever has the
focus, and the command palette (ctrl+p, still bound) is listed in the help instead.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer

FIRST_ACTIONS = ("quit", "help", "dismiss")
"""Actions whose keys lead the footer, in this order (namespace prefixes ignored)."""


def key_rank(widget: Widget) -> int:
    """Where a footer item goes: its action's place in ``FIRST_ACTIONS``, others after."""
    action = getattr(widget, "action", None)  # a FooterKey's; a group of keys has none
    if isinstance(action, str) and (name := action.rpartition(".")[2]) in FIRST_ACTIONS:
        return FIRST_ACTIONS.index(name)
    return len(FIRST_ACTIONS)


class KeyFooter(Footer):
    """The key footer: ``q`` and ``?`` first, the rest in Textual's order, no palette key."""

    def __init__(
        self,
        *children: Widget,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            *children, name=name, id=id, classes=classes, show_command_palette=False
        )

    def compose(self) -> ComposeResult:
        yield from sorted(super().compose(), key=key_rank)
