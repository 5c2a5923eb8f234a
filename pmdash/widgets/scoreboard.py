"""ScoreboardPanel: every live game, grouped by league (leagues with live games first, in each
live, upcoming, final), with a key that cycles the league filter (``l``). A view: push
``ScoreboardData`` with ``update_data``; the filter is a view setting, applied to the data held.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from pmdash.widgets._strips import ellipsize, pad
from pmdash.widgets.games_data import GameRow, ScoreboardData

_PHASE_STYLE = {"live": "bold", "upcoming": "dim", "final": ""}


def row_text(row: GameRow, width: int = 0) -> Text:
    """One game: ``● BOS @ MIA   88-91  Q4 3:42  ▸MIA``; a fresh score change is highlighted."""
    text = Text(no_wrap=True, overflow="ellipsis")
    dot = {"live": ("● ", "green"), "upcoming": ("○ ", "dim"), "final": ("✓ ", "dim")}[row.phase]
    text.append(*dot)
    # Columns by cells, not code points: team names may be wide (CJK); a long one is cut.
    text.append(pad(ellipsize(row.matchup, 24), 24) + " ", _PHASE_STYLE[row.phase])
    score_style = "bold reverse yellow" if row.flash else "bold"
    text.append(pad(row.score, 9, right=True), score_style)
    text.append("  " + pad(row.clock, 12), "dim" if row.phase != "live" else "")
    if row.turn:
        text.append(f" ▸{row.turn}", "cyan")
    return text


class ScoreboardPanel(Static, can_focus=True):
    """The full scoreboard. ``l`` cycles the league shown (all, then each league)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "next_league", "League"),
    ]

    DEFAULT_CSS = """
    ScoreboardPanel {
        height: 1fr;
        border: round $primary-muted;
        border-title-color: $text-primary;
        padding: 0 1;
        &:focus { border: round $accent; }
    }
    """

    league: reactive[str | None] = reactive(None)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.data = ScoreboardData()
        self.border_title = "Live games"

    def update_data(self, data: ScoreboardData) -> None:
        self.data = data
        if self.league is not None and self.league not in data.leagues:
            self.league = None
        self._show()

    def action_next_league(self) -> None:
        leagues = (None, *self.data.leagues)
        at = leagues.index(self.league) if self.league in leagues else 0
        self.league = leagues[(at + 1) % len(leagues)]

    def watch_league(self) -> None:
        self._show()

    def _show(self) -> None:
        # The league is server text: plain, never markup ("[/]" in it raised MarkupError).
        self.border_title = Content(f"Live games · {self.league or 'all leagues'}")
        self.border_subtitle = self.data.note
        out = Text(no_wrap=True, overflow="ellipsis")
        groups = self.data.only(self.league)
        if not groups:
            out.append("no games", "dim")
        for i, group in enumerate(groups):
            if i:
                out.append("\n")
            out.append(f"{group.league}", "bold underline")
            out.append(f"  {group.live} live\n" if group.live else "\n", "dim")
            for j, row in enumerate(group.rows):
                if j:
                    out.append("\n")
                out.append_text(row_text(row))
        self.update(out)
