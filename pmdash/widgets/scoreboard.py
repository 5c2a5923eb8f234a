"""ScoreboardPanel: every live game, grouped by league (leagues with live games first, in each
live, upcoming, final), with a key that cycles the league filter (``l``). A view: push
``ScoreboardData`` with ``update_data``; the filter, the highlighted game and the watched
games are view settings, applied to the data held.

``↑``/``↓`` (``j``/``k``) move the highlight through the games shown (``GameHighlighted``),
``enter`` asks to open the highlighted game's markets (``GameOpened``), ``w`` asks to watch it
or stop (``WatchToggled``): the group holding the panel decides what these do.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from pmdash.widgets._strips import ellipsize
from pmdash.widgets.games_data import GameRow, ScoreboardData

_PHASE_STYLE = {"live": "bold", "upcoming": "dim", "final": ""}
_DOT = {"live": ("● ", "green"), "upcoming": ("○ ", "dim"), "final": ("✓ ", "dim")}
SCORE_WIDTH = 9


def _pad(text: Text, cells: int) -> None:
    """Blank cells as a segment of their own: a run of spaces in front of styled text would
    be one SVG text element with leading blanks, which some SVG renderers drop."""
    if cells > 0:
        text.append(" " * cells, "not dim")  # a style of its own: never merged


def row_text(row: GameRow, *, watched: bool = False) -> Text:
    """One game: ``● BOS @ MIA     73-70  Q4 7:51  ▸MIA``; a fresh score change is
    highlighted, a watched game starred."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(*_DOT[row.phase])
    # Columns by cells, not code points: team names may be wide (CJK); a long one is cut.
    matchup = ellipsize(row.matchup, 24)
    text.append(matchup, _PHASE_STYLE[row.phase])
    _pad(text, max(24 - cell_len(matchup), 0) + 1 + max(SCORE_WIDTH - cell_len(row.score), 0))
    text.append(row.score, "bold reverse yellow" if row.flash else "bold")
    _pad(text, 2)
    text.append(row.clock, "dim" if row.phase != "live" else "")
    if row.turn:
        _pad(text, max(12 - cell_len(row.clock), 0) + 1)
        text.append(f"▸{row.turn}", "cyan")
    if watched:
        _pad(text, 1)
        text.append("★", "yellow")
    return text


class ScoreboardPanel(Static, can_focus=True):
    """The full scoreboard. ``l`` cycles the league shown (all, then each league)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "next_league", "League"),
        Binding("j,down", "move(1)", "Move", key_display="↑↓ j k"),
        Binding("k,up", "move(-1)", "Move", show=False),
        Binding("enter", "open", "Markets"),
        Binding("w", "watch", "Watch"),
    ]

    DEFAULT_CSS = """
    ScoreboardPanel {
        height: 1fr;
        border: round $primary-muted;
        border-title-color: $text-primary;
        padding: 0 1;
        overflow-y: auto;
        &:focus { border: round $accent; }
    }
    """

    class GameHighlighted(Message):
        def __init__(self, game_id: int | None) -> None:
            super().__init__()
            self.game_id = game_id

    class GameOpened(Message):
        def __init__(self, game_id: int) -> None:
            super().__init__()
            self.game_id = game_id

    class WatchToggled(Message):
        def __init__(self, game_id: int) -> None:
            super().__init__()
            self.game_id = game_id

    league: reactive[str | None] = reactive(None)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.data = ScoreboardData()
        self.highlighted: int | None = None
        """The game id highlighted (None: none shown yet)."""
        self.watched: frozenset[int] = frozenset()
        self.border_title = "Live games"

    @property
    def rows(self) -> list[GameRow]:
        """The games shown with the filter, in order."""
        return [row for group in self.data.only(self.league) for row in group.rows]

    def update_data(self, data: ScoreboardData, watched: frozenset[int] | None = None) -> None:
        self.data = data
        if watched is not None:
            self.watched = watched
        if self.league is not None and self.league not in data.leagues:
            self.league = None
        self._keep_highlight()
        self._show()

    def _keep_highlight(self) -> None:
        ids = [row.game_id for row in self.rows]
        if self.highlighted not in ids:
            self.highlighted = ids[0] if ids else None
            self.post_message(self.GameHighlighted(self.highlighted))

    def action_next_league(self) -> None:
        leagues = (None, *self.data.leagues)
        at = leagues.index(self.league) if self.league in leagues else 0
        self.league = leagues[(at + 1) % len(leagues)]

    def action_move(self, step: int) -> None:
        ids = [row.game_id for row in self.rows]
        if not ids:
            return
        at = ids.index(self.highlighted) if self.highlighted in ids else -step
        target = ids[max(0, min(len(ids) - 1, at + step))]
        if target != self.highlighted:
            self.highlighted = target
            self.post_message(self.GameHighlighted(target))
            self._show()

    def action_open(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.GameOpened(self.highlighted))

    def action_watch(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.WatchToggled(self.highlighted))

    def watch_league(self) -> None:
        self._keep_highlight()
        self._show()

    def _show(self) -> None:
        # The league is server text: plain, never markup ("[/]" in it raised MarkupError).
        self.border_title = Content(f"Live games · {self.league or 'all leagues'}")
        self.border_subtitle = self.data.note
        out = Text(no_wrap=True, overflow="ellipsis")
        groups = self.data.only(self.league)
        if not groups:
            out.append("no games", "dim")
        line = 0
        highlighted_line = None
        for i, group in enumerate(groups):
            if i:
                out.append("\n")
            out.append(group.league, "bold underline")
            if group.live:
                _pad(out, 2)
                out.append(f"{group.live} live", "dim")
            out.append("\n")
            line += 1
            for j, row in enumerate(group.rows):
                if j:
                    out.append("\n")
                text = row_text(row, watched=row.game_id in self.watched)
                if row.game_id == self.highlighted:
                    text.stylize("reverse")
                    highlighted_line = line
                out.append_text(text)
                line += 1
        self.update(out)
        if highlighted_line is not None:
            self.call_after_refresh(
                self.scroll_to_region, Region(0, highlighted_line, 1, 1), animate=False
            )

