"""Live-games panels: the view data builders, and snapshots of the scoreboard, the strip, a
game's linked markets with the live score, and the price-and-score chart (fixed data)."""

from __future__ import annotations

from widget_apps.base import NOW_MS
from widget_apps.games_app import (
    ChartApp,
    GameMarketsApp,
    ScoreboardApp,
    StripApp,
    board_and_links,
)

from pmdash.widgets.games_data import (
    INFO_NOTE,
    build_chart,
    build_game_markets,
    build_scoreboard,
    build_strip,
    score_toast,
)


def test_scoreboard_groups_leagues_live_first() -> None:
    board, _, _ = board_and_links()
    data = build_scoreboard(board.games(), NOW_MS)
    assert data.leagues == ("ATP", "CS2", "NBA", "NFL", "EPL")  # EPL has no live game
    atp = data.only("ATP")[0]
    assert [r.phase for r in atp.rows] == ["live", "upcoming"]
    nba = data.only("NBA")[0]
    assert [(r.matchup, r.score, r.phase, r.flash) for r in nba.rows] == [
        ("BOS @ MIA", "73-70", "live", True), ("LAL @ DEN", "118-111", "final", False)]
    assert data.only("CS2")[0].rows[0].score == "1-1 Bo3 (7-4)"
    assert data.note == INFO_NOTE


def test_score_toast_text() -> None:
    board, _, _ = board_and_links()
    state = board.get(20518)
    assert state is not None
    assert score_toast(state) == "NBA BOS @ MIA 73-70 · Q4 7:51"


def test_strip_live_first_and_counts_the_rest() -> None:
    board, _, _ = board_and_links()
    strip = build_strip(board.games(), NOW_MS, limit=4)
    assert [r.phase for r in strip.rows] == ["live"] * 4
    assert strip.more == 3


def test_linked_markets_show_move_since_the_score() -> None:
    board, links, market = board_and_links()
    state = board.get(20518)
    assert state is not None
    data = build_game_markets(state, links, NOW_MS)
    assert [r.condition_id for r in data.rows] == ["0xnba", "0xspread"]  # by gameId and slug
    first = data.rows[0]
    assert (first.mid, first.move, first.score, first.flash) == (640_000, 40_000, "73-70", True)
    chart = build_chart(state, market, links)
    assert len(chart.xs) == len(chart.ys) == 14
    assert [label for _, label in chart.marks] == ["7-2", "24-21", "48-52", "71-70", "73-70"]


def test_scoreboard_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """"Live games · all leagues": ATP (Fritz @ Zverev 6-4 3-6 2-1 S3 live; Alcaraz @ Sinner
    upcoming), CS2 (FaZe @ NAVI 1-1 Bo3 (7-4)), NBA (BOS @ MIA 73-70 highlighted, Q4 7:51;
    LAL @ DEN 118-111 FT), NFL (KC @ PHI 14-10 Q2 8:11 ▸KC), then EPL (CHE @ ARS 2-0 FT);
    the first game highlighted (reversed); a blank between each league and its "1 live", and
    between each score and its period; the bottom border says the scores are informational
    and may be delayed."""
    assert snap_compare(ScoreboardApp(), terminal_size=(64, 22))


def test_scoreboard_filtered_by_league(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """After ``l`` twice: "Live games · CS2", only the CS2 game, highlighted."""
    assert snap_compare(ScoreboardApp(), terminal_size=(64, 8), press=["l", "l"])


def test_strip_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """One line: four live games (ATP, CS2, NBA with 73-70 highlighted, NFL) and "+3 more"."""
    assert snap_compare(StripApp(), terminal_size=(150, 1))


def test_game_markets_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """"NBA BOS @ MIA": ◆ 0.64 ▲+0.040 73-70 Q4 7:51 "NBA: Will MIA beat BOS?", and the
    spread market at 0.40 ▼; the note in the bottom border."""
    assert snap_compare(GameMarketsApp(), terminal_size=(90, 5))


def test_game_chart_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The MIA-win price over 40 minutes with five yellow vertical lines, each labelled with the
    new score; title names the game and market, bottom border the note."""
    assert snap_compare(ChartApp(), terminal_size=(100, 24))
