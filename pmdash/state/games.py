"""The live games the sports socket reports: a pure reducer over ``GameScore`` events.

Each message is a whole game, so a game's state is its last message. The ``Scoreboard`` keeps,
per ``game_id``: that message, when it last changed (the caller's wall clock, Unix ms: the
socket's messages carry no time of their own), and a bounded history of score changes. Finished
games stay for ``keep_finished_ms`` after they were seen to end, at most ``max_finished`` of
them; at most ``max_games`` games in all. Everything it holds is bounded.

Dirty keys (``apply`` returns them): ``sports:games`` (the set or order of games changed),
``sports:game:<id>`` (that game changed), ``sports:score:<id>`` (its score changed: the
linked markets mark the price there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from pmdash.models import Event, GameScore, Score
from pmdash.printable import printable

FEED = "sports"
GAMES = "sports:games"
MAX_HISTORY = 50
KEEP_FINISHED_MS = 15 * 60_000
MAX_FINISHED = 40
MAX_GAMES = 400
Phase = Literal["live", "upcoming", "final"]


def game_key(game_id: int) -> str:
    """Dirty key: this game changed."""
    return f"sports:game:{game_id}"


def score_key(game_id: int) -> str:
    """Dirty key: this game's score changed."""
    return f"sports:score:{game_id}"


def scored(dirty: Iterable[str]) -> set[int]:
    """The game ids whose score changed, from dirty keys (``sports:score:<id>``)."""
    prefix = "sports:score:"
    return {int(k[len(prefix):]) for k in dirty if k.startswith(prefix)}


def score_text(score: Score) -> str:
    """A score as one short text: ``88-91``, ``2-1 Bo3 (13-9)``, ``6-4 3-6 2-1``."""
    if score.format == "points":
        return f"{score.home}-{score.away}"
    if score.format == "esports":
        best_of = f" Bo{score.best_of}" if score.best_of else ""
        rounds = f" ({score.parts[0][0]}-{score.parts[0][1]})" if score.parts else ""
        return f"{score.home}-{score.away}{best_of}{rounds}"
    if score.format == "sets":
        return " ".join(f"{a}-{b}" for a, b in score.parts)
    return printable(score.raw) or "-"


def phase_of(game: GameScore) -> Phase:
    if game.live:
        return "live"
    return "final" if game.ended else "upcoming"


def clock_text(game: GameScore) -> str:
    """Period and clock (``Q4 3:42``), or the status when there is neither."""
    parts = [p for p in (game.period, game.elapsed) if p]
    return printable(" ".join(parts) if parts else game.status)


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """One change of a game's score, as seen by this client."""

    at_ms: int
    before: str
    after: str
    period: str = ""
    elapsed: str = ""


@dataclass(frozen=True, slots=True)
class GameState:
    """One game: its last message, when it changed, its score changes (oldest first)."""

    game: GameScore
    first_seen_ms: int
    changed_ms: int
    """When any field of the game last changed."""
    changes: tuple[ScoreChange, ...] = ()
    ended_seen_ms: int | None = None
    """When this client first saw the game ended (its drop timer starts here)."""

    @property
    def score_changed_ms(self) -> int | None:
        return self.changes[-1].at_ms if self.changes else None


class Scoreboard:
    """Games by ``game_id``. Pure: the caller passes the time."""

    feed = FEED
    EVENT_TYPES: tuple[type[Event], ...] = (GameScore,)
    """The event types this slice takes."""

    def __init__(
        self,
        *,
        max_history: int = MAX_HISTORY,
        keep_finished_ms: int = KEEP_FINISHED_MS,
        max_finished: int = MAX_FINISHED,
        max_games: int = MAX_GAMES,
    ) -> None:
        if min(max_history, max_finished, max_games) < 1 or keep_finished_ms < 0:
            raise ValueError("Scoreboard bounds must be positive")
        self.max_history = max_history
        self.keep_finished_ms = keep_finished_ms
        self.max_finished = max_finished
        self.max_games = max_games
        self._games: dict[int, GameState] = {}

    # --- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._games)

    def get(self, game_id: int) -> GameState | None:
        return self._games.get(game_id)

    def games(self) -> list[GameState]:
        """Every game held, in the order first seen."""
        return list(self._games.values())

    def find_slug(self, slug: str) -> GameState | None:
        for state in self._games.values():
            if state.game.slug == slug:
                return state
        return None

    # --- reducing ---------------------------------------------------------------------------

    def apply(self, event: Event, now_ms: int) -> set[str]:
        """Fold one event in (others than ``GameScore`` are ignored); the dirty keys."""
        if not isinstance(event, GameScore):
            return set()
        dirty: set[str] = set()
        old = self._games.get(event.game_id)
        if old is None:
            state = GameState(game=event, first_seen_ms=now_ms, changed_ms=now_ms,
                              ended_seen_ms=now_ms if event.ended else None)
            dirty.update((GAMES, game_key(event.game_id)))
        elif old.game == event:
            return set()
        else:
            changes = old.changes
            if old.game.score.raw != event.score.raw:
                change = ScoreChange(at_ms=now_ms, before=old.game.score.raw,
                                     after=event.score.raw, period=event.period,
                                     elapsed=event.elapsed)
                changes = (*changes, change)[-self.max_history:]
                dirty.add(score_key(event.game_id))
            ended = old.ended_seen_ms
            if event.ended and ended is None:
                ended = now_ms
            elif not event.ended:
                ended = None
            if event.live != old.game.live or event.ended != old.game.ended:
                dirty.add(GAMES)  # live games sort first: the order may change
            state = replace(old, game=event, changed_ms=now_ms, changes=changes,
                            ended_seen_ms=ended)
            dirty.add(game_key(event.game_id))
        self._games[event.game_id] = state
        dirty |= self.prune(now_ms)
        return dirty

    def apply_all(self, events: Iterable[Event], now_ms: int) -> set[str]:
        dirty: set[str] = set()
        for event in events:
            dirty |= self.apply(event, now_ms)
        return dirty

    def prune(self, now_ms: int) -> set[str]:
        """Drop finished games past their time (and the oldest beyond the bounds)."""
        drop = {gid for gid, s in self._games.items()
                if s.ended_seen_ms is not None and now_ms - s.ended_seen_ms > self.keep_finished_ms}
        finished = sorted((s.ended_seen_ms, gid) for gid, s in self._games.items()
                          if s.ended_seen_ms is not None and gid not in drop)
        excess = len(finished) - self.max_finished
        if excess > 0:
            drop.update(gid for _, gid in finished[:excess])
        excess = len(self._games) - len(drop) - self.max_games
        if excess > 0:  # still too many: the ones that changed longest ago
            rest = sorted((s.changed_ms, gid) for gid, s in self._games.items()
                          if gid not in drop)
            drop.update(gid for _, gid in rest[:excess])
        if not drop:
            return set()
        for gid in drop:
            del self._games[gid]
        return {GAMES, *(game_key(gid) for gid in drop)}
