"""RTDS (``/rtds``, PROTOCOLS §3) in the embedded exchange: the legacy price topics.

Protocol as served:
- Text ``PING`` (any case) is answered with ``PONG``, queued behind the data already sent.
- ``{"action":"subscribe"|"unsubscribe","subscriptions":[{"topic","type"[,"filters"]}]}``
  changes the topics; ``crypto_prices`` (Binance, ``btcusdt``) and ``crypto_prices_chainlink``
  (``btc/usd``) stream every symbol each tick; Chainlink pauses now and then (no new round).
  A subscription with non-empty ``filters`` first gets each symbol's recent history as
  ``type:"subscribe"`` with ``payload.data`` (RTDC README); without filters, none.
- ``retired = True`` models an RTDS whose price topics are gone: it accepts subscriptions and
  answers ``PING`` but sends no prices.
- Other unreadable messages get ``{"message":"invalid request"}``; the socket stays up.
"""

from __future__ import annotations

from typing import Any

import msgspec
from websockets.asyncio.server import ServerConnection

from pmdash.sim.client_json import loads
from pmdash.sim.prices import Point, PriceEngine, Series
from pmdash.sim.session import DEFAULT_MAX_QUEUE, Session, SessionRegistry, serving

PATH = "/rtds"
BINANCE, CHAINLINK = "crypto_prices", "crypto_prices_chainlink"
TOPICS = {BINANCE: "binance", CHAINLINK: "chainlink"}
_encode = msgspec.json.Encoder().encode


def wire_symbol(topic: str, symbol: str) -> str:
    """``btcusd`` as each RTDS topic names it: ``btcusdt`` (Binance), ``btc/usd`` (Chainlink)."""
    coin = symbol.removesuffix("usd")
    return f"{coin}usdt" if topic == BINANCE else f"{coin}/usd"


class RtdsSession(Session):
    def __init__(self, ws: ServerConnection, path: str, *, max_queue: int) -> None:
        super().__init__(ws, path, max_queue=max_queue)
        self.topics: set[str] = set()


class RtdsFeed:
    """Serves ``/rtds`` from a ``PriceEngine``'s Binance and Chainlink spot series."""

    feed_id = "rtds"
    path = PATH

    def __init__(self, engine: PriceEngine, sessions: SessionRegistry, *,
                 max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self.engine = engine
        self.sessions = sessions
        self.max_queue = max_queue
        self.retired = False
        self.pings = 0
        """Text PINGs received over all connections."""
        self._live: set[RtdsSession] = set()
        engine.add_sink(self.publish)

    async def handle(self, ws: ServerConnection) -> None:
        session = RtdsSession(ws, self.path, max_queue=self.max_queue)
        async with serving(self.sessions, session):
            self._live.add(session)
            try:
                async for message in ws:
                    self._on_message(session, message)
            finally:
                self._live.discard(session)

    def _on_message(self, session: RtdsSession, message: str | bytes) -> None:
        if isinstance(message, str) and message.strip().upper() == "PING":
            self.pings += 1
            if session.answers_ping():
                session.send_control("PONG")
            return
        try:
            data = loads(message)
        except ValueError:
            data = None
        subs = data.get("subscriptions") if isinstance(data, dict) else None
        action = data.get("action") if isinstance(data, dict) else None
        if action not in ("subscribe", "unsubscribe") or not isinstance(subs, list):
            session.send_control(_encode({"message": "invalid request"}))
            return
        for sub in subs:
            topic = sub.get("topic") if isinstance(sub, dict) else None
            if topic not in TOPICS:
                continue
            assert isinstance(sub, dict) and isinstance(topic, str)
            if action == "unsubscribe":
                session.topics.discard(topic)
                continue
            session.topics.add(topic)
            if sub.get("filters") and not self.retired:
                self._backfill(session, topic)

    def _backfill(self, session: RtdsSession, topic: str) -> None:
        source = TOPICS[topic]
        for symbol in self.engine.crypto_symbols():
            points = self.engine.history(source, "spot", symbol)
            payload = {"symbol": wire_symbol(topic, symbol),
                       "data": [{"timestamp": ts, "value": float(v)} for ts, v in points]}
            session.send(_encode({"topic": topic, "type": "subscribe",
                                  "timestamp": self.engine.clock(), "payload": payload}))

    def publish(self, points: list[tuple[Series, Point]]) -> None:
        if self.retired or not self._live:
            return
        frames: dict[str, list[bytes]] = {BINANCE: [], CHAINLINK: []}
        for (source, kind, symbol), (ts, value) in points:
            if kind != "spot" or symbol not in self.engine.crypto_symbols():
                continue
            topic = BINANCE if source == "binance" else CHAINLINK if source == "chainlink" else None
            if topic is None:
                continue
            payload: dict[str, Any] = {"symbol": wire_symbol(topic, symbol), "timestamp": ts,
                                       "value": float(value), "full_accuracy_value": str(value)}
            frames[topic].append(_encode({"topic": topic, "type": "update",
                                          "timestamp": self.engine.clock(),
                                          "payload": payload}))
        for session in self._live:
            for topic in session.topics:
                for frame in frames[topic]:
                    session.send(frame)
