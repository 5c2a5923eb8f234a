"""GamesStrip: one line of games for the dashboard (live first), e.g.
``NBA BOS@MIA 88-91 Q4 3:42 │ CS2 NAVI@FaZe 2-1 Bo3 (0-0) 3/3 │ +3 more``. A view of
``StripData``; a score that just changed is highlighted. ``stacked``: one game a line (the
dashboard's side column is too narrow for more than one on a line)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from pmdash.widgets.games_data import INFO_NOTE, StripData


class GamesStrip(Static):
    DEFAULT_CSS = """
    GamesStrip {
        height: 1;
        background: $panel;
        &.-stacked {
            height: 1fr;
            background: $surface;
        }
    }
    """

    def __init__(self, *, id: str | None = None, stacked: bool = False) -> None:
        super().__init__("", id=id, classes="-stacked" if stacked else "")
        self.stacked = stacked
        self.data = StripData()
        self.tooltip = INFO_NOTE

    def update_data(self, data: StripData) -> None:
        self.data = data
        out = Text(no_wrap=True, overflow="ellipsis")
        if not data.rows:
            out.append(" no live games", "dim")
        between = "\n" if self.stacked else "│"
        for i, row in enumerate(data.rows):
            if i:
                if not self.stacked:
                    out.append(" ", "not dim")
                out.append(between, "dim")
            out.append(" ", "not dim")  # blanks as segments of their own: see scoreboard._pad
            out.append(f"{row.league} ", "dim")
            out.append(f"{row.away}@{row.home} " if row.away and row.home else f"{row.matchup} ")
            live = row.phase == "live"
            style = "bold reverse yellow" if row.flash else ("bold" if live else "dim")
            out.append(row.score, style)
            out.append(" ", "not dim")  # its own segment: see scoreboard._pad
            out.append(row.clock, "" if live else "dim")
        if data.more:
            if not self.stacked:
                out.append(" ", "not dim")
            out.append(between, "dim")
            out.append(" ", "not dim")
            out.append(f"+{data.more} more", "dim")
        self.update(out)
