"""The sports socket of the embedded exchange (``/sports``, PROTOCOLS §4).

Protocol as served:
- No subscription: on open the client gets every listed game, one message each, then every
  change as it happens (flat camelCase objects, no envelope).
- The server sends the text ``ping`` every ``ping_interval`` s (5); a client that has not
  answered ``pong`` within ``pong_timeout`` s (10) of the oldest unanswered ``ping`` is closed
  (1008 "pong timeout"). Anything else a client sends is ignored. The ``stop_heartbeats``
  fault makes the server stop pinging (the client's watchdog should notice).

``SportsFeed`` also runs the games (``GameEngine``), one step every ``step_s`` seconds, and,
with ``markets=True``, lists a moneyline market on each game in the exchange (Gamma ``gameId``
and slug link them) whose book moves when the score changes and which resolves when the game
ends. The games are ground truth for tests: ``games()`` is what a client should hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from pmdash.endpoints import PATHS
from pmdash.sim.background import Background
from pmdash.sim.exchange import Exchange
from pmdash.sim.games import GameEngine, SimGame
from pmdash.sim.session import DEFAULT_MAX_QUEUE, Session, SessionRegistry, serving
from pmdash.units import SCALE

PONG_TIMEOUT_CODE = 1008
PONG_TIMEOUT_REASON = "pong timeout"


@dataclass(frozen=True, slots=True)
class SportsSettings:
    """The sports socket's timings (seconds) and whether games get markets."""

    ping_interval: float = 5.0
    pong_timeout: float = 10.0
    step_s: float = 1.0
    """One game beat every this many seconds (0: games only move through ``step()``)."""
    markets: bool = False
    """List a market on each game in the exchange (changes the exchange's market set)."""


class SportsSession(Session):
    def __init__(self, ws: ServerConnection, path: str, *, max_queue: int) -> None:
        super().__init__(ws, path, max_queue=max_queue)
        self.unanswered_since: float | None = None
        """Loop time of the oldest ``ping`` not answered yet."""
        self.pongs = 0


class SportsFeed:
    """Serves ``/sports`` and runs the games."""

    feed_id = "sports"
    path = PATHS["sports"]

    def __init__(self, exchange: Exchange, sessions: SessionRegistry,
                 settings: SportsSettings | None = None, *,
                 max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self.exchange = exchange
        self.sessions = sessions
        self.settings = settings or SportsSettings()
        self.max_queue = max_queue
        self.engine = GameEngine(exchange.seed)
        self.market_of: dict[int, str] = {}
        """Game id -> condition id of its market (``markets=True``)."""
        self.dropped_for_pong = 0
        """Clients closed because they did not answer ``ping`` in time."""
        self._clients: set[SportsSession] = set()
        self._background = Background("sim-sports")
        if self.settings.markets:
            for game in self.engine.games.values():
                self._list_market(game)

    # --- ground truth -----------------------------------------------------------------------

    def games(self) -> list[dict[str, Any]]:
        """Every listed game as the socket sends it."""
        return [game.wire() for game in self.engine.games.values()]

    def step(self, n: int = 1) -> None:
        """Advance the games ``n`` beats now and send the changes."""
        for _ in range(n):
            self._step()

    def step_scored(self) -> list[SimGame]:
        """One beat now (changes sent); the games whose score changed in it."""
        return self._step()

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self.settings.step_s > 0:
            self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.step_s)
            self._step()

    def _step(self) -> list[SimGame]:
        changed, scored, added = self.engine.step(self.exchange.clock())
        if self.settings.markets:
            for game in self.engine.replaced:
                self.market_of.pop(game.game_id, None)
            for game in added:
                self._list_market(game)
            for game in scored:
                self._move_market(game)
            for game in changed:
                if game.ended:
                    self._settle(game)
        for game in changed:
            self._broadcast(game.wire())
        return scored

    # --- markets ----------------------------------------------------------------------------

    def _list_market(self, game: SimGame) -> None:
        market = self.exchange.add_game_market(
            game_id=game.game_id, slug=game.slug, home=game.home, away=game.away,
            league=game.league.abbrev, price=_price(game))
        self.market_of[game.game_id] = market.condition_id

    def _move_market(self, game: SimGame) -> None:
        cid = self.market_of.get(game.game_id)
        if cid is not None:
            self.exchange.move_fair(cid, _price(game))

    def _settle(self, game: SimGame) -> None:
        cid = self.market_of.get(game.game_id)
        if cid is None:
            return
        market = self.exchange.flow.markets.get(cid)
        if market is None or market.closed:
            return
        self.exchange.move_fair(cid, _price(game))
        self.exchange.resolve(cid)

    # --- connections ------------------------------------------------------------------------

    def _broadcast(self, message: dict[str, Any]) -> None:
        frame = json.dumps(message, separators=(",", ":"))
        for session in list(self._clients):
            session.send(frame)

    async def handle(self, ws: ServerConnection) -> None:
        session = SportsSession(ws, self.path, max_queue=self.max_queue)
        async with serving(self.sessions, session, lambda: self._heartbeat(session)):
            for game in self.games():
                session.send(json.dumps(game, separators=(",", ":")))
            self._clients.add(session)
            try:
                async for message in ws:
                    if _text(message).strip().lower() == "pong":
                        session.unanswered_since = None
                        session.pongs += 1
            finally:
                self._clients.discard(session)

    async def _heartbeat(self, session: SportsSession) -> None:
        """``ping`` every interval; close the client once a ``ping`` goes unanswered too long."""
        loop = asyncio.get_running_loop()
        interval, timeout = self.settings.ping_interval, self.settings.pong_timeout
        next_ping = loop.time() + interval
        while True:
            now = loop.time()
            since = session.unanswered_since
            if since is not None and now - since >= timeout:
                self.dropped_for_pong += 1
                session.closing = True
                with contextlib.suppress(ConnectionClosed):
                    await session.ws.close(PONG_TIMEOUT_CODE, PONG_TIMEOUT_REASON)
                return
            if now >= next_ping:
                next_ping = now + interval
                if session.heartbeats and not session.stalled:
                    session.send_control("ping")
                    if session.unanswered_since is None:
                        session.unanswered_since = now
            wake = next_ping
            if session.unanswered_since is not None:
                wake = min(wake, session.unanswered_since + timeout)
            await asyncio.sleep(max(wake - loop.time(), 0.0) + 0.001)


def _text(message: str | bytes) -> str:
    return message if isinstance(message, str) else message.decode("utf-8", "replace")


def _price(game: SimGame) -> int:
    """The home side's win chance as a YES price on the 0.01 grid."""
    return round(game.home_win_chance() * 100) * SCALE // 100
