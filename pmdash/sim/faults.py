"""Fault injection on the connections of one path (default: the market channel).

Every method acts on the connections open at the time of the call and returns how many it
touched (``desync``: which asset it lied about). Call them on the exchange's loop: directly
from async tests, through ``RunningExchange.faults`` from other threads, or over HTTP via the
control routes (``control.py``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from pmdash.endpoints import PATHS
from pmdash.sim.session import Session

if TYPE_CHECKING:
    from pmdash.sim.server import SimServer

MARKET = PATHS["market"]
GARBAGE_TEXT = "}{ this frame is not JSON \x01"
GarbageKind = Literal["non_json", "bad_field"]


class Faults:
    def __init__(self, server: SimServer) -> None:
        self._server = server

    def sessions(self, path: str = MARKET) -> list[Session]:
        """Open connections on ``path``, oldest first."""
        return self._server.sessions.on(path)

    def _pick(self, path: str, session_id: int | None) -> list[Session]:
        sessions = self.sessions(path)
        if session_id is None:
            return sessions
        return [s for s in sessions if s.id == session_id]

    def drop(self, path: str = MARKET, session_id: int | None = None) -> int:
        """Abort the TCP connections mid-stream: no close frame, the client sees 1006."""
        picked = self._pick(path, session_id)
        for session in picked:
            session.abort()
        return len(picked)

    def stall(self, seconds: float, path: str = MARKET, session_id: int | None = None) -> int:
        """Send nothing and answer no PING for ``seconds``; queued data follows afterwards
        (PINGs received meanwhile stay unanswered)."""
        until = asyncio.get_running_loop().time() + seconds
        picked = self._pick(path, session_id)
        for session in picked:
            session.stalled_until = max(session.stalled_until, until)
        return len(picked)

    def stop_heartbeats(self, path: str = MARKET, seconds: float | None = None,
                        session_id: int | None = None) -> int:
        """Leave PINGs unanswered (data keeps streaming) for ``seconds``, or until
        ``resume_heartbeats``."""
        picked = self._pick(path, session_id)
        for session in picked:
            session.heartbeats = False
        if seconds is not None:
            asyncio.get_running_loop().call_later(seconds, self._heartbeats_on, picked)
        return len(picked)

    def resume_heartbeats(self, path: str = MARKET) -> int:
        picked = self.sessions(path)
        self._heartbeats_on(picked)
        return len(picked)

    @staticmethod
    def _heartbeats_on(sessions: list[Session]) -> None:
        for session in sessions:
            session.heartbeats = True

    def garbage(self, kind: GarbageKind = "non_json", path: str = MARKET,
                session_id: int | None = None) -> int:
        """Queue a bad frame: ``non_json`` text, or ``bad_field`` (valid JSON event with one
        invalid value, from the feed's ``bad_field_frame``)."""
        feed = self._server.feed(path)
        picked = self._pick(path, session_id)
        for session in picked:
            if kind == "bad_field" and feed is not None and hasattr(feed, "bad_field_frame"):
                session.send(feed.bad_field_frame(session))
            else:
                session.send(GARBAGE_TEXT)
        return len(picked)

    def duplicate(self, count: int = 1, path: str = MARKET,
                  session_id: int | None = None) -> int:
        """Send each of the next ``count`` data frames twice."""
        picked = self._pick(path, session_id)
        for session in picked:
            session.duplicate_next += count
        return len(picked)

    def reorder(self, count: int = 1, path: str = MARKET,
                session_id: int | None = None) -> int:
        """Swap the next ``count`` pairs of data frames (each frame goes out after the one
        that followed it)."""
        picked = self._pick(path, session_id)
        for session in picked:
            session.reorder_next += count
        return len(picked)

    def desync(self, path: str = MARKET, session_id: int | None = None) -> str | None:
        """Send ONE connection (the oldest subscribed, or ``session_id``) a price_change
        that removes its touch level although the exchange did not, carrying the true
        best_bid/best_ask. Returns the asset id lied about, or None."""
        feed = self._server.feed(path)
        if feed is None or not hasattr(feed, "desync_frame"):
            return None
        for session in self._pick(path, session_id):
            made = feed.desync_frame(session)
            if made is not None:
                frame, asset = made
                session.send(frame)
                return str(asset)
        return None
