"""View data of the live-games panels, built from the Scoreboard and GameLinks by pure functions.

No textual import: these are frozen values the App builds on its flush timer and pushes into
``ScoreboardPanel``, ``GamesStrip``, ``GameMarkets`` and ``GameChart``. Text from the server
(teams, statuses, questions) is made ``printable`` here. The scores are informational:
Polymarket's documentation warns the feed may be delayed or wrong, and every panel says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pmdash.feeds.sports import parse_score
from pmdash.models import MarketInfo
from pmdash.printable import printable
from pmdash.state.game_links import GameLinks
from pmdash.state.games import GameState, Phase, clock_text, phase_of, score_text

INFO_NOTE = "scores are informational and may be delayed"
FLASH_MS = 10_000
"""A score that changed this recently is marked."""
_PHASE_ORDER: dict[Phase, int] = {"live": 0, "upcoming": 1, "final": 2}


@dataclass(frozen=True, slots=True)
class GameRow:
    """One game as a line shows it."""

    game_id: int
    league: str
    home: str
    away: str
    score: str
    clock: str
    status: str
    phase: Phase
    turn: str = ""
    flash: bool = False
    """Its score changed within the last ``FLASH_MS``."""

    @property
    def matchup(self) -> str:
        return f"{self.away} @ {self.home}" if self.away and self.home else self.home or self.away


def game_row(state: GameState, now_ms: int, flash_ms: int = FLASH_MS) -> GameRow:
    game = state.game
    changed = state.score_changed_ms
    return GameRow(
        game_id=game.game_id,
        league=printable(game.league.upper()),
        home=printable(game.home_team),
        away=printable(game.away_team),
        score=score_text(game.score),
        clock=clock_text(game),
        status=printable(game.status),
        phase=phase_of(game),
        turn=printable(game.turn),
        flash=changed is not None and 0 <= now_ms - changed <= flash_ms,
    )


def _sorted_rows(states: Iterable[GameState], now_ms: int) -> list[GameRow]:
    rows = [game_row(s, now_ms) for s in states]
    rows.sort(key=lambda r: (_PHASE_ORDER[r.phase], r.league, r.game_id))
    return rows


@dataclass(frozen=True, slots=True)
class LeagueGroup:
    league: str
    rows: tuple[GameRow, ...]

    @property
    def live(self) -> int:
        return sum(1 for r in self.rows if r.phase == "live")


@dataclass(frozen=True, slots=True)
class ScoreboardData:
    """Every game by league: leagues with live games first, in each live, upcoming, final."""

    groups: tuple[LeagueGroup, ...] = ()
    note: str = INFO_NOTE

    @property
    def leagues(self) -> tuple[str, ...]:
        return tuple(g.league for g in self.groups)

    def only(self, league: str | None) -> tuple[LeagueGroup, ...]:
        """The groups to show with the league filter ``league`` (None: all)."""
        if league is None:
            return self.groups
        return tuple(g for g in self.groups if g.league == league)


def build_scoreboard(states: Iterable[GameState], now_ms: int) -> ScoreboardData:
    by_league: dict[str, list[GameRow]] = {}
    for row in _sorted_rows(states, now_ms):
        by_league.setdefault(row.league, []).append(row)
    groups = [LeagueGroup(league, tuple(rows)) for league, rows in by_league.items()]
    groups.sort(key=lambda g: (g.live == 0, g.league))
    return ScoreboardData(groups=tuple(groups))


@dataclass(frozen=True, slots=True)
class StripData:
    """The compact one-line strip: the first games (live first) and how many more there are."""

    rows: tuple[GameRow, ...] = ()
    more: int = 0


def build_strip(states: Iterable[GameState], now_ms: int, limit: int = 8) -> StripData:
    rows = _sorted_rows(states, now_ms)
    return StripData(rows=tuple(rows[:limit]), more=max(len(rows) - limit, 0))


@dataclass(frozen=True, slots=True)
class LinkedMarketRow:
    """A market linked to a game: its price beside the live score, and the move since the
    score last changed."""

    condition_id: str
    label: str
    mid: int | None
    score: str
    clock: str
    move: int | None = None
    """Mid now minus mid at the last score change (micro-units); None before any."""
    flash: bool = False


@dataclass(frozen=True, slots=True)
class GameMarketsData:
    title: str
    rows: tuple[LinkedMarketRow, ...] = ()
    note: str = INFO_NOTE


def build_game_markets(state: GameState, links: GameLinks, now_ms: int) -> GameMarketsData:
    row = game_row(state, now_ms)
    out = []
    for market in links.markets_of(state.game.game_id):
        move = links.move(market.condition_id)
        out.append(LinkedMarketRow(
            condition_id=market.condition_id,
            label=printable(market.question or market.slug),
            mid=links.mid(market.condition_id),
            score=row.score,
            clock=row.clock,
            move=move.delta if move is not None else None,
            flash=row.flash,
        ))
    return GameMarketsData(title=f"{row.league} {row.matchup}", rows=tuple(out))


@dataclass(frozen=True, slots=True)
class GameChartData:
    """One market's mid over a game with its score changes marked. ``xs`` are minutes since the
    first point; ``ys`` prices in [0, 1]; ``marks`` (minute, new score)."""

    title: str
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()
    marks: tuple[tuple[float, str], ...] = ()
    note: str = INFO_NOTE


def build_chart(state: GameState, market: MarketInfo, links: GameLinks) -> GameChartData:
    points = links.history(market.condition_id)
    row = game_row(state, 0)
    title = printable(f"{row.league} {row.matchup} {row.score} · {market.question}")
    if not points:
        return GameChartData(title=title)
    start = points[0][0]
    xs = tuple((t - start) / 60_000 for t, _ in points)
    ys = tuple(mid / 1_000_000 for _, mid in points)
    marks = tuple(((c.at_ms - start) / 60_000, score_text(parse_score(c.after)))
                  for c in state.changes if c.at_ms >= start)
    return GameChartData(title=title, xs=xs, ys=ys, marks=marks)


def score_toast(state: GameState) -> str:
    """The toast for a watched game's score change: ``NBA BOS @ MIA 73-70 · Q4 7:51``."""
    row = game_row(state, 0)
    return f"{row.league} {row.matchup} {row.score} · {row.clock}"
