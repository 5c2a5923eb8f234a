"""The sports feed's slice: the ``Scoreboard`` and the ``GameLinks`` behind one ``Slice``.

Pure. The Scoreboard takes a clock (the socket's messages carry no time of their own): this
slice stamps each ``GameScore`` with ``clock()`` (Unix ms, injectable for tests). A game that
comes or goes relinks the markets; a score change marks each linked market's mid at that
moment (``GameLinks.on_score_change``), so a market row can show the move since.

The markets and their mids come from the market feed's slice, which this slice does not know:
the sports controller's housekeeping passes them in (``link_markets``, ``on_mid``).

A ``FeedError`` puts nothing in doubt: every message is a whole game, the next one repairs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Set
from typing import Any

from pmdash.models import FeedError, GameScore, MarketInfo
from pmdash.state.game_links import LINKS, GameLinks, PriceMove
from pmdash.state.games import FEED, GAMES, GameState, Scoreboard, score_text, scored
from pmdash.state.row_notes import RowNote

FLASH_MS = 10_000
"""A score that changed this recently is marked on its markets' rows."""
_NOTE_KEYS = ("sports:move:", "sports:game:")


def wall_ms() -> int:
    return int(time.time() * 1000)


class SportsState:
    """The games (``board``) and the markets linked to them (``links``)."""

    feed = FEED

    def __init__(
        self,
        *,
        clock: Callable[[], int] = wall_ms,
        board: Scoreboard | None = None,
        links: GameLinks | None = None,
    ) -> None:
        self.clock = clock
        self.board = board or Scoreboard()
        self.links = links or GameLinks()
        self._dirty: set[str] = set()

    # --- the Slice protocol -----------------------------------------------------------------

    def bind(self, dirty: set[str]) -> None:
        self._dirty = dirty

    def routes(self) -> Mapping[type[Any], Callable[[Any], bool]]:
        return {GameScore: self._take}

    def distrust(self, error: FeedError) -> bool:
        return False

    # --- reading ----------------------------------------------------------------------------

    def games(self) -> list[GameScore]:
        return [state.game for state in self.board.games()]

    def game_of_market(self, condition_id: str) -> GameState | None:
        """The game a linked market is on, or None."""
        game_id = self.links.game_of(condition_id)
        return self.board.get(game_id) if game_id is not None else None

    def move(self, condition_id: str) -> PriceMove | None:
        return self.links.move(condition_id)

    def row_note(self, condition_id: str, now_ms: int) -> RowNote | None:
        """A linked market's row: its game's score, the price move since it changed."""
        state = self.game_of_market(condition_id)
        if state is None:
            return None
        move = self.links.move(condition_id)
        changed = state.score_changed_ms
        return RowNote(
            text=score_text(state.game.score),
            move=move.delta if move is not None else None,
            flash=changed is not None and 0 <= now_ms - changed <= FLASH_MS,
        )

    def notes_changed(self, dirty: Set[str]) -> bool:
        return any(key == LINKS or key.startswith(_NOTE_KEYS) for key in dirty)

    # --- reducing ---------------------------------------------------------------------------

    def _take(self, event: GameScore) -> bool:
        now = self.clock()
        keys = self.board.apply(event, now)
        if not keys:
            return False
        if GAMES in keys:
            keys |= self.links.relink(self.games())
        for game_id in scored(keys):
            keys |= self.links.on_score_change(game_id, now)
        self._dirty |= keys
        return True

    def prune(self) -> set[str]:
        """Drop finished games past their time; the dirty keys (also added to the Store's)."""
        keys = self.board.prune(self.clock())
        if keys:
            keys |= self.links.relink(self.games())
            self._dirty |= keys
        return keys

    def link_markets(self, markets: Iterable[MarketInfo]) -> set[str]:
        """The markets listed now (those no longer listed are forgotten): link each to its
        game where one fits."""
        listed, games = list(markets), self.games()
        keys = self.links.retain((m.condition_id for m in listed), games)
        keys |= self.links.set_markets(listed, games)
        self._dirty |= keys
        return keys

    def on_mid(self, condition_id: str, mid: int | None) -> set[str]:
        """A market's mid now (kept for the linked ones)."""
        keys = self.links.on_mid(condition_id, self.clock(), mid)
        self._dirty |= keys
        return keys
