"""Games linked to their markets, and how each market's price moved since the score changed.

Pure. A market is linked to a game by Gamma's ``gameId`` (``MarketInfo.game_id``, from the
market or its event), else by slug: the market's slug is the game's (``nba-bos-mia-2026-10-02``)
or starts with it and a dash (``...-2026-10-02-map-handicap-away-1pt5``). ``GameLinks`` keeps,
per linked market, a bounded history of its mid price, and at every score change of its game
the mid at that moment (the "mark"): ``move(condition_id)`` is the price move since then.

Dirty keys: ``sports:links`` (which markets belong to which game changed), ``sports:move:<cid>``
(a linked market's price or its mark changed).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from pmdash.models import GameScore, MarketInfo

LINKS = "sports:links"
MAX_POINTS = 600


def move_key(condition_id: str) -> str:
    return f"sports:move:{condition_id}"


def game_for(market: MarketInfo, games: Iterable[GameScore]) -> int | None:
    """The game ``market`` is on: by ``gameId``, else by slug; None when none fits."""
    by_slug = None
    for game in games:
        if market.game_id is not None and market.game_id == game.game_id:
            return game.game_id
        if game.slug and by_slug is None and (
            market.slug == game.slug or market.slug.startswith(game.slug + "-")
        ):
            by_slug = game.game_id
    if market.game_id is not None:
        return None  # it names its game: a slug match with another game is not it
    return by_slug


@dataclass(frozen=True, slots=True)
class PriceMove:
    """A linked market's mid now against its mid when its game's score last changed."""

    at_ms: int
    """When the score changed."""
    before: int | None
    """The mid then (micro-units); None when the market had no price yet."""
    now: int | None

    @property
    def delta(self) -> int | None:
        if self.before is None or self.now is None:
            return None
        return self.now - self.before


class GameLinks:
    """Which markets follow which game, their mid history, and the marks at score changes."""

    def __init__(self, *, max_points: int = MAX_POINTS) -> None:
        if max_points < 2:
            raise ValueError("max_points must be at least 2")
        self.max_points = max_points
        self._markets: dict[str, MarketInfo] = {}
        self._game_of: dict[str, int] = {}
        self._history: dict[str, deque[tuple[int, int]]] = {}
        self._marks: dict[str, tuple[int, int | None]] = {}

    # --- reading ----------------------------------------------------------------------------

    def game_of(self, condition_id: str) -> int | None:
        return self._game_of.get(condition_id)

    def markets_of(self, game_id: int) -> list[MarketInfo]:
        """The markets linked to this game, in the order they were added."""
        return [m for cid, m in self._markets.items() if self._game_of.get(cid) == game_id]

    def linked(self) -> list[tuple[MarketInfo, int]]:
        """Every linked market and its game id."""
        return [(self._markets[cid], gid) for cid, gid in self._game_of.items()]

    def mid(self, condition_id: str) -> int | None:
        points = self._history.get(condition_id)
        return points[-1][1] if points else None

    def history(self, condition_id: str) -> tuple[tuple[int, int], ...]:
        """(Unix ms, mid) points of a linked market, oldest first (bounded)."""
        return tuple(self._history.get(condition_id, ()))

    def move(self, condition_id: str) -> PriceMove | None:
        """The price move since the last score change of its game (None before any)."""
        mark = self._marks.get(condition_id)
        if mark is None:
            return None
        return PriceMove(at_ms=mark[0], before=mark[1], now=self.mid(condition_id))

    # --- reducing ---------------------------------------------------------------------------

    def set_markets(self, markets: Iterable[MarketInfo], games: Iterable[GameScore]) -> set[str]:
        """Add (or refresh) markets and link each to its game where one fits."""
        for market in markets:
            self._markets[market.condition_id] = market
        return self.relink(games)

    def retain(self, condition_ids: Iterable[str], games: Iterable[GameScore]) -> set[str]:
        """Forget the markets not in ``condition_ids`` (no longer listed), then relink."""
        keep = set(condition_ids)
        for cid in [c for c in self._markets if c not in keep]:
            del self._markets[cid]
        return self.relink(games)

    def relink(self, games: Iterable[GameScore]) -> set[str]:
        """Link the known markets again against these games (call when games come or go)."""
        listed = list(games)
        links: dict[str, int] = {}
        for cid, market in self._markets.items():
            gid = game_for(market, listed)
            if gid is not None:
                links[cid] = gid
        if links == self._game_of:
            return set()
        self._game_of = links
        for cid in [c for c in self._history if c not in links]:
            del self._history[cid]
            self._marks.pop(cid, None)
        return {LINKS}

    def on_mid(self, condition_id: str, at_ms: int, mid: int | None) -> set[str]:
        """A linked market's mid price now (others are ignored); kept when it changed."""
        if condition_id not in self._game_of or mid is None:
            return set()
        points = self._history.get(condition_id)
        if points is None:
            points = self._history[condition_id] = deque(maxlen=self.max_points)
        elif points[-1][1] == mid:
            return set()
        points.append((at_ms, mid))
        return {move_key(condition_id)}

    def on_score_change(self, game_id: int, at_ms: int) -> set[str]:
        """The game's score changed: each of its markets takes its mid now as the mark."""
        dirty: set[str] = set()
        for cid, gid in self._game_of.items():
            if gid == game_id:
                self._marks[cid] = (at_ms, self.mid(cid))
                dirty.add(move_key(cid))
        return dirty
