"""PolyBolt (``/live/ws``, PROTOCOLS §3b) in the embedded exchange.

Protocol as served:
- ``auth`` with ``{"apiKey","secret","passphrase"}`` checked against a ``CredentialRegistry``:
  ``authed``, or ``error auth_invalid`` with the socket left open (``auth_failure="close"``
  closes with 4001 instead: which one the real server does is unconfirmed, §3b.5); a frame with
  both or neither of ``auth``/``ticket`` is ``bad_op``; the 9th auth frame gets
  ``auth_attempts`` and close 4008.
- ``subscribe`` (one pair or a ``subscriptions`` batch): per pair an ack in request order, then
  for a new pair a snapshot (``snapshot: true``) of the series' last two minutes (empty for an
  unknown symbol or a TWAP window other than 60); a pair already held gets an ack only. Price
  channels need auth (``auth_required``); ``bad_channel``, ``bad_filter``; the 65th pair gets
  ``sub_limit`` and close 4008. ``unsubscribe`` -> ``unsubscribed``. ``ping`` -> ``pong``.
  More than 20 subscribe/unsubscribe frames in a second (``rate_limited``) or a frame over
  64 KB close with 4008. Anything else -> ``error bad_op``.
- Data: ``{"v":1,"channel","seq","ts","payload":{symbol,value,full_accuracy_value,timestamp,
  source[,window_seconds]}}``; ``seq`` dense per connection and channel; frames dropped by
  ``drop_frames`` leave ``dropped: n`` on the next frame of their channel.
- A WebSocket protocol ping every ``ping_interval`` (25 s); two unanswered close with 4002.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any, Literal

import msgspec
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from pmdash.sim.client_json import loads
from pmdash.sim.credentials import CredentialRegistry
from pmdash.sim.prices import Point, PriceEngine, Series
from pmdash.sim.session import DEFAULT_MAX_QUEUE, Session, SessionRegistry, serving

PATH = "/live/ws"
MAX_PAIRS = 64
MAX_CONTROL_PER_S = 20
MAX_FRAME_BYTES = 64 * 1024
MAX_AUTH_FRAMES = 8
PING_INTERVAL = 25.0
CRYPTO, TWAP, EQUITY, POLYMARKET = (
    "price.crypto", "price.crypto.twap", "price.equity", "price.polymarket")
_GATED = frozenset({CRYPTO, TWAP, EQUITY, "price.equity.twap"})
_encode = msgspec.json.Encoder().encode
AuthFailure = Literal["ack", "close"]


class BoltSession(Session):
    def __init__(self, ws: ServerConnection, path: str, *, max_queue: int) -> None:
        super().__init__(ws, path, max_queue=max_queue)
        self.authed = False
        self.auth_frames = 0
        self.pairs: dict[tuple[str, str, int | None], Series | None] = {}
        """(channel, symbol, window) -> the engine series it streams (None: no data)."""
        self.seq: dict[str, int] = {}
        self.skip: dict[str, int] = {}
        """Channel -> frames still to drop (a fault)."""
        self.dropped: dict[str, int] = {}
        self.control_times: deque[float] = deque()

    def next_seq(self, channel: str) -> int:
        self.seq[channel] = self.seq.get(channel, 0) + 1
        return self.seq[channel]


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def _flush(session: Session, timeout: float = 1.0) -> None:
    """Wait (bounded) until the session's writer has sent what is queued."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while session.queued and loop.time() < deadline:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0)


class PolyBoltFeed:
    """Serves ``/live/ws`` from a ``PriceEngine``'s series."""

    feed_id = "polybolt"
    path = PATH

    def __init__(
        self,
        engine: PriceEngine,
        credentials: CredentialRegistry,
        sessions: SessionRegistry,
        *,
        max_queue: int = DEFAULT_MAX_QUEUE,
        ping_interval: float = PING_INTERVAL,
        auth_failure: AuthFailure = "ack",
        send_source: bool = True,
    ) -> None:
        self.engine = engine
        self.credentials = credentials
        self.sessions = sessions
        self.max_queue = max_queue
        self.ping_interval = ping_interval
        self.auth_failure: AuthFailure = auth_failure
        self.send_source = send_source
        self.auth_attempts = 0
        """Auth frames received, over all connections (tests check there is no retry storm)."""
        self._live: set[BoltSession] = set()
        engine.add_sink(self.publish)

    # --- faults ------------------------------------------------------------------------------

    def drop_frames(self, count: int, channel: str = CRYPTO) -> int:
        """Drop the next ``count`` frames of ``channel`` on every connection (the server's
        loss: the next frame delivered says ``dropped``). Returns connections touched."""
        for session in self._live:
            session.skip[channel] = session.skip.get(channel, 0) + count
        return len(self._live)

    async def close_all(self, code: int, reason: str = "") -> int:
        """Close every connection with ``code`` (4003 draining, 4002 slow consumer...)."""
        live = list(self._live)
        for session in live:
            with contextlib.suppress(ConnectionClosed):
                await session.ws.close(code, reason)
        return len(live)

    # --- connection lifecycle ----------------------------------------------------------------

    async def handle(self, ws: ServerConnection) -> None:
        session = BoltSession(ws, self.path, max_queue=self.max_queue)
        async with serving(self.sessions, session, lambda: self._keepalive(session)):
            self._live.add(session)
            try:
                async for message in ws:
                    try:
                        self._on_message(session, message)
                    except _Close as close:
                        await _flush(session)  # the error ack goes out before the close
                        session.closing = True
                        await ws.close(close.code, close.reason)
                        break
            finally:
                self._live.discard(session)

    async def _keepalive(self, session: BoltSession) -> None:
        missed = 0
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(self.ping_interval)
                waiter = await session.ws.ping()
                try:
                    await asyncio.wait_for(waiter, self.ping_interval)
                    missed = 0
                except TimeoutError:
                    missed += 1
                    if missed >= 2:
                        await session.ws.close(4002, "pong timeout")
                        return

    # --- client ops --------------------------------------------------------------------------

    def _reply(self, session: BoltSession, body: dict[str, Any]) -> None:
        session.send_control(_encode(body))

    def _on_message(self, session: BoltSession, message: str | bytes) -> None:
        if len(message) > MAX_FRAME_BYTES:
            raise _Close(4008, "frame too large")
        try:
            data = loads(message)
        except ValueError:
            self._reply(session, {"op": "error", "code": "bad_op"})
            return
        if not isinstance(data, dict) or not isinstance(data.get("op"), str):
            self._reply(session, {"op": "error", "code": "bad_op"})
            return
        rid = data.get("rid")
        ack: dict[str, Any] = {"rid": rid} if isinstance(rid, str) else {}
        op = data["op"]
        if op == "auth":
            self._auth(session, data, ack)
        elif op in ("subscribe", "unsubscribe"):
            now = time.monotonic()
            times = session.control_times
            while times and now - times[0] > 1.0:
                times.popleft()
            times.append(now)
            if len(times) > MAX_CONTROL_PER_S:
                self._reply(session, {"op": "error", "code": "rate_limited", **ack})
                raise _Close(4008, "rate limited")
            items = data.get("subscriptions")
            if items is None:
                items = [{"channel": data.get("channel"), "filter": data.get("filter")}]
            if not isinstance(items, list):
                self._reply(session, {"op": "error", "code": "bad_op", **ack})
                return
            for item in items:
                if op == "subscribe":
                    self._subscribe(session, item, ack)
                else:
                    self._unsubscribe(session, item, ack)
        elif op == "ping":
            self._reply(session, {"op": "pong", **ack})
        else:
            self._reply(session, {"op": "error", "code": "bad_op", **ack})

    def _auth(self, session: BoltSession, data: dict[str, Any], ack: dict[str, Any]) -> None:
        session.auth_frames += 1
        self.auth_attempts += 1
        if session.auth_frames > MAX_AUTH_FRAMES:
            self._reply(session, {"op": "error", "code": "auth_attempts", **ack})
            raise _Close(4008, "too many auth frames")
        auth, ticket = data.get("auth"), data.get("ticket")
        if (auth is None) == (ticket is None) or (auth is not None and not isinstance(auth, dict)):
            self._reply(session, {"op": "error", "code": "bad_op", **ack})
            return
        if ticket is not None:
            self._reply(session, {"op": "error", "code": "auth_expired", **ack})
            return
        assert isinstance(auth, dict)
        if self.credentials.check(auth.get("apiKey"), auth.get("secret"),
                                  auth.get("passphrase")):
            session.authed = True
            self._reply(session, {"op": "authed", **ack})
            return
        if self.auth_failure == "close":
            raise _Close(4001, "authentication failed")
        self._reply(session, {"op": "error", "code": "auth_invalid", **ack})

    def _pair(self, item: object) -> tuple[str, str, int | None] | str:
        """(channel, symbol, window) of a request item, or an error code."""
        if not isinstance(item, dict):
            return "bad_op"
        channel, flt = item.get("channel"), item.get("filter")
        if channel not in _GATED and channel != POLYMARKET:
            return "bad_channel"
        if not isinstance(flt, dict):
            return "bad_filter"
        if channel == POLYMARKET:
            asset = flt.get("asset_id")
            return (channel, asset, None) if isinstance(asset, str) and asset else "bad_filter"
        symbol = flt.get("symbol")
        if not isinstance(symbol, str) or not symbol or len(symbol) > 32:
            return "bad_filter"
        window = flt.get("window_seconds")
        if channel.endswith(".twap"):
            if not isinstance(window, int) or isinstance(window, bool) or window <= 0:
                return "bad_filter"
        elif window is not None:
            return "bad_filter"
        return channel, symbol.lower(), window

    def _series(self, channel: str, symbol: str, window: int | None) -> Series | None:
        if channel == CRYPTO and symbol in self.engine.crypto_symbols():
            return ("pyth", "spot", symbol)
        if channel == TWAP and window == 60 and symbol in self.engine.crypto_symbols():
            return ("chainlink", "twap", symbol)
        if channel == EQUITY and symbol in self.engine.equity_symbols():
            return ("pyth", "spot", symbol)
        return None

    def _subscribe(self, session: BoltSession, item: object, ack: dict[str, Any]) -> None:
        pair = self._pair(item)
        channel = item.get("channel") if isinstance(item, dict) else None
        where = {"channel": channel} if isinstance(channel, str) else {}
        if isinstance(pair, str):
            self._reply(session, {"op": "error", "code": pair, **where, **ack})
            return
        channel, symbol, window = pair
        if channel in _GATED and not session.authed:
            self._reply(session, {"op": "error", "code": "auth_required", **where, **ack})
            return
        if pair in session.pairs:
            self._reply(session, {"op": "subscribed", "channel": channel, **ack})
            return
        if len(session.pairs) >= MAX_PAIRS:
            self._reply(session, {"op": "error", "code": "sub_limit", **where, **ack})
            raise _Close(4008, "subscription limit")
        series = self._series(channel, symbol, window)
        session.pairs[pair] = series
        self._reply(session, {"op": "subscribed", "channel": channel, **ack})
        frame: dict[str, Any] = {"v": 1, "channel": channel, "seq": session.next_seq(channel),
                                 "ts": self.engine.clock(), "snapshot": True}
        if channel == POLYMARKET:
            frame["payload"] = []
        else:
            points = [] if series is None else self.engine.history(*series)
            payload: dict[str, Any] = {"symbol": symbol, "data": [
                {"timestamp": ts, "value": float(v), "full_accuracy_value": str(v)}
                for ts, v in points]}
            if self.send_source and series is not None:
                payload["source"] = series[0]
            if window is not None:
                payload["window_seconds"] = window
            frame["payload"] = payload
        session.send(_encode(frame))

    def _unsubscribe(self, session: BoltSession, item: object, ack: dict[str, Any]) -> None:
        pair = self._pair(item)
        if isinstance(pair, str):
            self._reply(session, {"op": "error", "code": pair, **ack})
            return
        session.pairs.pop(pair, None)
        self._reply(session, {"op": "unsubscribed", "channel": pair[0], **ack})

    # --- fan-out -----------------------------------------------------------------------------

    def publish(self, points: list[tuple[Series, Point]]) -> None:
        if not self._live:
            return
        latest = dict(points)
        for session in self._live:
            if session.closing:
                continue
            for (channel, symbol, window), series in session.pairs.items():
                point = latest.get(series) if series is not None else None
                if point is None:
                    continue
                if session.skip.get(channel):
                    session.skip[channel] -= 1
                    session.dropped[channel] = session.dropped.get(channel, 0) + 1
                    continue
                ts, value = point
                payload: dict[str, Any] = {"symbol": symbol, "value": float(value),
                                           "full_accuracy_value": str(value), "timestamp": ts}
                if self.send_source:
                    payload["source"] = series[0] if series else ""
                if window is not None:
                    payload["window_seconds"] = window
                frame: dict[str, Any] = {"v": 1, "channel": channel,
                                         "seq": session.next_seq(channel), "ts": ts,
                                         "payload": payload}
                lost = session.dropped.pop(channel, 0)
                if lost:
                    frame["dropped"] = lost
                session.send(_encode(frame))
