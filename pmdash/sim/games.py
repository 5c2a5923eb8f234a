"""Simulated games for the embedded exchange's sports socket: seeded, stepped, several leagues.

``GameEngine(seed)`` keeps one game per league going: scheduled, then live through its periods,
then final; a while after it ends a new game of that league is scheduled in its place. Each
``step(ts)`` advances every game by one beat and returns the games that changed. ``wire()``
gives a game as the real socket sends it (PROTOCOLS §4.1: flat camelCase, no envelope).

Score formats by league: points (``nba``, ``nfl`` with possession in ``turn``, ``epl``),
esports (``cs2``: ``"003-001|1-0|Bo3"``) and tennis sets (``atp``: ``"6-4, 2-1"``). Only the
engine's ``random.Random(seed)`` drives it and dates hang off a fixed base, so one seed gives
one sequence.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["points", "esports", "sets"]
_BASE_DAY = dt.date(2026, 10, 2)
_BASE_GAME_ID = 20_000


@dataclass(frozen=True, slots=True)
class League:
    abbrev: str
    kind: Kind
    teams: tuple[str, ...]
    periods: tuple[str, ...] = ()
    period_steps: int = 8
    period_minutes: int = 12
    scores: tuple[int, ...] = (2,)
    """Points one scoring play adds (picked at random)."""
    p_score: float = 0.5
    weight: float = 0.1
    """How far one unit of lead moves the home team's win chance (logistic slope)."""
    possession: bool = False
    break_period: str = ""
    """What ``period`` says at half time (``HT``), else ``End <period>``."""
    final_period: str = "FT"
    words: tuple[str, str, str, str] = ("Scheduled", "InProgress", "Break", "Final")
    """Statuses: scheduled, live, between periods, final."""


LEAGUES: tuple[League, ...] = (
    League("nba", "points", ("BOS", "MIA", "LAL", "DEN", "NYK", "GSW"),
           ("Q1", "Q2", "Q3", "Q4"), scores=(2, 2, 3), p_score=0.8, weight=0.09),
    League("nfl", "points", ("KC", "PHI", "BUF", "SF", "DAL", "DET"),
           ("Q1", "Q2", "Q3", "Q4"), period_minutes=15, scores=(3, 7, 7), p_score=0.3,
           weight=0.12, possession=True),
    League("epl", "points", ("ARS", "CHE", "LIV", "MCI", "TOT", "NEW"),
           ("1H", "2H"), period_steps=12, period_minutes=45, scores=(1,), p_score=0.12,
           weight=1.1, break_period="HT"),
    League("cs2", "esports", ("NAVI", "FaZe", "G2", "Vitality", "MOUZ", "Spirit"),
           weight=1.4, words=("not_started", "running", "running", "finished")),
    League("atp", "sets", ("Sinner", "Alcaraz", "Djokovic", "Zverev", "Medvedev", "Fritz"),
           weight=1.2, words=("scheduled", "inprogress", "inprogress", "finished")),
)
ROUNDS_TO_WIN_MAP = 7
"""First to this many rounds takes a map (short, so games end in a test's time)."""
BEST_OF = 3
SCHEDULED_STEPS = 2
LINGER_STEPS = 6
"""Steps a finished game stays listed before a new game of its league replaces it."""


@dataclass(slots=True)
class SimGame:
    """One game of the simulation (mutable, stepped by the engine)."""

    game_id: int
    league: League
    home: str
    away: str
    slug: str
    status: str
    phase: Literal["scheduled", "live", "break", "final"] = "scheduled"
    period: int = 0
    step_in_period: int = 0
    home_points: int = 0
    away_points: int = 0
    rounds: tuple[int, int] = (0, 0)
    sets: list[tuple[int, int]] = field(default_factory=list)
    turn: str = ""
    wait: int = SCHEDULED_STEPS
    finished_ms: int | None = None

    # --- what it shows ----------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self.phase in ("live", "break")

    @property
    def ended(self) -> bool:
        return self.phase == "final"

    def score(self) -> str:
        kind = self.league.kind
        if kind == "esports":
            r_home, r_away = self.rounds
            return (f"{r_home:03d}-{r_away:03d}|{self.home_points}-{self.away_points}"
                    f"|Bo{BEST_OF}")
        if kind == "sets":
            return ", ".join(f"{a}-{b}" for a, b in self.sets) if self.sets else "0-0"
        return f"{self.home_points}-{self.away_points}"

    def lead(self) -> int:
        """Home minus away, in the unit the league's win chance goes by."""
        if self.league.kind == "sets":
            done = self.sets if self.ended else self.sets[:-1]
            return sum(1 if a > b else -1 for a, b in done)
        return self.home_points - self.away_points

    def progress(self) -> float:
        """0 at the start, 1 at the end."""
        if self.ended:
            return 1.0
        kind, league = self.league.kind, self.league
        if kind == "points":
            total = len(league.periods) * league.period_steps
            return min((self.period * league.period_steps + self.step_in_period) / total, 1.0)
        if kind == "esports":
            return min((self.home_points + self.away_points) / BEST_OF, 0.95)
        return min(len(self.sets) / 3, 0.95)

    def home_win_chance(self) -> float:
        """The fair YES price of "will the home side win", from the lead and the time left."""
        if self.ended:
            return 0.99 if self.winner() == "home" else 0.01
        left = 1.0 - self.progress()
        x = self.league.weight * self.lead() / math.sqrt(left + 0.05)
        return min(max(1 / (1 + math.exp(-x)), 0.03), 0.97)

    def winner(self) -> Literal["home", "away", "draw"]:
        lead = self.lead()
        return "home" if lead > 0 else "away" if lead < 0 else "draw"

    def period_text(self) -> str:
        league = self.league
        if self.phase == "scheduled":
            return ""
        if self.phase == "final":
            if league.kind == "esports":
                return f"{self.home_points + self.away_points}/{BEST_OF}"
            return league.final_period if league.kind == "points" else f"S{len(self.sets)}"
        if league.kind == "esports":
            return f"{self.home_points + self.away_points + 1}/{BEST_OF}"
        if league.kind == "sets":
            return f"S{len(self.sets)}"
        if self.phase == "break":
            return league.break_period or f"End {league.periods[self.period - 1]}"
        return league.periods[self.period]

    def elapsed(self) -> str:
        league = self.league
        if league.kind != "points" or self.phase != "live":
            return ""
        left = league.period_minutes * 60 * (1 - self.step_in_period / league.period_steps)
        return f"{int(left) // 60}:{int(left) % 60:02d}"

    def wire(self) -> dict[str, Any]:
        """The game as the sports socket sends it."""
        out: dict[str, Any] = {
            "gameId": self.game_id,
            "leagueAbbreviation": self.league.abbrev,
            "slug": self.slug,
            "homeTeam": self.home,
            "awayTeam": self.away,
            "status": self.status,
            "score": self.score(),
            "period": self.period_text(),
            "elapsed": self.elapsed(),
            "live": self.live,
            "ended": self.ended,
        }
        if self.league.possession and self.turn:
            out["turn"] = self.turn
        if self.finished_ms is not None:
            moment = dt.datetime.fromtimestamp(self.finished_ms / 1000, tz=dt.UTC)
            out["finished_timestamp"] = moment.strftime("%Y-%m-%dT%H:%M:%S.") + \
                f"{self.finished_ms % 1000:03d}Z"
        return out


class GameEngine:
    """One game per league at a time, stepped together."""

    def __init__(self, seed: int = 0, leagues: tuple[League, ...] = LEAGUES) -> None:
        self.rng = random.Random(seed ^ 0x5B0475)
        self.leagues = leagues
        self._count = 0
        self.games: dict[int, SimGame] = {}
        """The games listed now (live, scheduled, or finished and not yet replaced)."""
        self.replaced: list[SimGame] = []
        """Games that ended and were replaced since the last ``step`` (for the owner)."""
        for league in leagues:
            self._schedule(league)

    def _schedule(self, league: League) -> SimGame:
        rng = self.rng
        self._count += 1
        home, away = rng.sample(league.teams, 2)
        day = _BASE_DAY + dt.timedelta(days=self._count // len(self.leagues))
        slug = f"{league.abbrev}-{away}-{home}-{day.isoformat()}".lower()
        game_id = _BASE_GAME_ID + self._count * 1_000 + rng.randrange(1_000)
        game = SimGame(game_id=game_id, league=league, home=home, away=away, slug=slug,
                       status=league.words[0])
        self.games[game_id] = game
        return game

    def step(self, ts: int) -> tuple[list[SimGame], list[SimGame], list[SimGame]]:
        """Advance every game one beat at wall time ``ts`` (ms). Returns (changed games,
        games that scored in this step, new games); games dropped are in ``replaced``."""
        changed: list[SimGame] = []
        scored: list[SimGame] = []
        added: list[SimGame] = []
        self.replaced = []
        for game in list(self.games.values()):
            if game.phase == "final":
                game.wait -= 1
                if game.wait <= 0:
                    del self.games[game.game_id]
                    self.replaced.append(game)
                    new = self._schedule(game.league)
                    added.append(new)
                    changed.append(new)
                continue
            before = game.score()
            self._advance(game, ts)
            changed.append(game)
            if game.score() != before:
                scored.append(game)
        return changed, scored, added

    def _advance(self, game: SimGame, ts: int) -> None:
        league, words = game.league, game.league.words
        if game.phase == "scheduled":
            game.wait -= 1
            if game.wait <= 0:
                game.phase, game.status = "live", words[1]
                if league.kind == "sets":
                    game.sets = [(0, 0)]
                if league.possession:
                    game.turn = game.away
            return
        if game.phase == "break":
            game.phase, game.status = "live", words[1]
            return
        if league.kind == "points":
            self._points(game)
        elif league.kind == "esports":
            self._round(game)
        else:
            self._tennis_game(game)
        if self._over(game):
            game.phase, game.status = "final", words[3]
            game.wait = LINGER_STEPS
            game.finished_ms = ts
            game.turn = ""

    def _points(self, game: SimGame) -> None:
        league, rng = game.league, self.rng
        if rng.random() < league.p_score:
            points = rng.choice(league.scores)
            home_side = (game.turn == game.home) if league.possession else rng.random() < 0.5
            if home_side:
                game.home_points += points
            else:
                game.away_points += points
        if league.possession and rng.random() < 0.5:
            game.turn = game.away if game.turn == game.home else game.home
        game.step_in_period += 1
        if game.step_in_period >= league.period_steps:
            game.step_in_period = 0
            game.period += 1
            last = game.period >= len(league.periods)
            if not last:
                game.phase, game.status = "break", league.words[2]

    def _round(self, game: SimGame) -> None:
        r_home, r_away = game.rounds
        if self.rng.random() < 0.5:
            r_home += 1
        else:
            r_away += 1
        if max(r_home, r_away) >= ROUNDS_TO_WIN_MAP:
            if r_home > r_away:
                game.home_points += 1
            else:
                game.away_points += 1
            r_home = r_away = 0
        game.rounds = (r_home, r_away)

    def _tennis_game(self, game: SimGame) -> None:
        a, b = game.sets[-1]
        if self.rng.random() < 0.5:
            a += 1
        else:
            b += 1
        game.sets[-1] = (a, b)
        done = (max(a, b) >= 6 and abs(a - b) >= 2) or max(a, b) == 7
        won = [1 if x > y else -1 for x, y in game.sets
               if (max(x, y) >= 6 and abs(x - y) >= 2) or max(x, y) == 7]
        if done and max(won.count(1), won.count(-1)) < 2:
            game.sets.append((0, 0))

    def _over(self, game: SimGame) -> bool:
        league = game.league
        if league.kind == "points":
            return game.period >= len(league.periods)
        if league.kind == "esports":
            return max(game.home_points, game.away_points) * 2 > BEST_OF
        won = [1 if x > y else -1 for x, y in game.sets
               if (max(x, y) >= 6 and abs(x - y) >= 2) or max(x, y) == 7]
        return max(won.count(1), won.count(-1)) >= 2
