"""The Scoreboard: games by id, last change, bounded score history, finished games dropped."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmdash.feeds.sports import parse_score
from pmdash.models import FeedError, GameScore
from pmdash.state.games import GAMES, Scoreboard, game_key, score_key, scored


def game(gid: int = 1, score: str = "0-0", *, period: str = "Q1", live: bool = True,
         ended: bool = False, status: str = "InProgress", league: str = "nba") -> GameScore:
    return GameScore(feed="sports", game_id=gid, league=league, slug=f"{league}-a-b-{gid}",
                     home_team="A", away_team="B", status=status, score=parse_score(score),
                     period=period, live=live, ended=ended)


def test_new_game_then_changes() -> None:
    board = Scoreboard()
    assert board.apply(game(), 1_000) == {GAMES, game_key(1)}
    assert board.apply(game(), 2_000) == set()  # the same message again: nothing changed
    assert board.get(1).changed_ms == 1_000  # type: ignore[union-attr]
    assert board.apply(game(period="Q2"), 3_000) == {game_key(1)}
    assert board.apply(game(score="2-0", period="Q2"), 4_000) == {game_key(1), score_key(1)}
    state = board.get(1)
    assert state is not None
    assert state.changed_ms == 4_000 and state.first_seen_ms == 1_000
    assert [(c.at_ms, c.before, c.after, c.period) for c in state.changes] == [
        (4_000, "0-0", "2-0", "Q2")]
    assert state.score_changed_ms == 4_000


def test_other_events_ignored() -> None:
    board = Scoreboard()
    assert board.apply(FeedError(feed="sports", message="x"), 1) == set()
    assert len(board) == 0
    assert (GameScore,) == Scoreboard.EVENT_TYPES


def test_score_history_is_bounded() -> None:
    board = Scoreboard(max_history=3)
    for i in range(10):
        board.apply(game(score=f"{i}-0"), i)
    state = board.get(1)
    assert state is not None
    assert [c.after for c in state.changes] == ["7-0", "8-0", "9-0"]


def test_finished_games_kept_a_while_then_dropped() -> None:
    board = Scoreboard(keep_finished_ms=10_000)
    board.apply(game(1), 0)
    board.apply(game(2), 0)
    dirty = board.apply(game(1, "3-1", live=False, ended=True, status="Final"), 5_000)
    assert GAMES in dirty  # it moves out of the live group
    assert board.prune(14_000) == set()
    assert board.get(1) is not None
    assert board.prune(15_001) == {GAMES, game_key(1)}
    assert board.get(1) is None and board.get(2) is not None


def test_finished_count_and_total_are_bounded() -> None:
    board = Scoreboard(max_finished=2, max_games=5)
    for gid in range(4):
        board.apply(game(gid, ended=True, live=False, status="Final"), gid)
    assert sorted(s.game.game_id for s in board.games()) == [2, 3]
    for gid in range(10, 20):
        board.apply(game(gid), 100 + gid)
    assert len(board) == 5


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 5), st.booleans()), max_size=60))
def test_board_holds_each_games_last_message(steps: list[tuple[int, int, bool]]) -> None:
    board = Scoreboard(keep_finished_ms=10**9, max_finished=100)
    last: dict[int, GameScore] = {}
    for t, (gid, points, ended) in enumerate(steps):
        event = game(gid, f"{points}-0", ended=ended, live=not ended)
        board.apply(event, t)
        last[gid] = event
    assert {s.game.game_id: s.game for s in board.games()} == last


def test_scored_games_from_dirty_keys() -> None:
    board = Scoreboard()
    board.apply(game(1), 0)
    board.apply(game(2), 0)
    dirty = board.apply(game(2, "1-0"), 1) | board.apply(game(1, period="Q2"), 1)
    assert scored(dirty) == {2}
