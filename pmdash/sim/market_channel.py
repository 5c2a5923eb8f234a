"""The CLOB market channel (``/ws/market``, PROTOCOLS §1) of the embedded exchange.

Protocol as served:
- The first message must be ``{"type":"market","assets_ids":[...]}`` (type case-insensitive;
  optional ``custom_feature_enabled``, ``initial_dump``). Anything else first, ``PING``
  included, closes the socket with 1008 "invalid subscription payload".
- ``PING`` (text) is answered with ``PONG`` (text), queued behind the data already sent.
- ``{"operation":"subscribe"|"unsubscribe","assets_ids":[...]}`` change the subscription.
  Newly subscribed assets get a fresh ``book`` dump (one JSON array); a request naming only
  unknown or closed tokens gets a bare ``[]``. A subscribe naming an asset that is already
  active is rejected as a whole (nothing subscribed, no dump) with the text frame
  ``{"event_type":"error","error":"duplicate assets","assets_ids":[...]}`` -- the real reject
  frame's shape is unconfirmed (PROTOCOLS §8.3); ``custom_feature_enabled`` in it still applies.
  A later ``{"type":"market",...}`` message is treated as a subscribe.
- Other unreadable messages get ``{"event_type":"error","error":...}`` and the socket stays up.
- Each connection gets the events of the assets it subscribed: a market's ``price_change``
  (carrying both tokens) goes to a connection subscribed to either token. ``best_bid_ask``,
  ``new_market`` (to every such connection) and ``market_resolved`` only go to connections
  with ``custom_feature_enabled``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec
from websockets.asyncio.server import ServerConnection

from pmdash.endpoints import PATHS
from pmdash.sim import wire
from pmdash.sim.client_json import loads
from pmdash.sim.exchange import Exchange
from pmdash.sim.flow import Emission
from pmdash.sim.session import DEFAULT_MAX_QUEUE, Session, SessionRegistry, serving
from pmdash.units import to_decimal_str

INVALID_SUBSCRIPTION = "invalid subscription payload"
MAX_UNKNOWN_ASSETS = 1_000
"""Ids of no market this exchange has that one connection's subscription keeps at most: they
never get an event, and a client naming millions of them took the sim to 1.6 GB. Beyond the
cap such ids are answered as now (no book for them) and not kept."""
_encode = msgspec.json.Encoder().encode


class MarketSession(Session):
    def __init__(self, ws: ServerConnection, path: str, *, max_queue: int) -> None:
        super().__init__(ws, path, max_queue=max_queue)
        self.assets: set[str] = set()
        self.unknown_assets = 0
        """How many of ``assets`` name no market of the exchange (bounded)."""
        self.custom = False


def _error(message: str, **extra: Any) -> str:
    return json.dumps({"event_type": "error", "error": message, **extra})


def _assets(data: dict[str, Any]) -> list[str] | None:
    assets = data.get("assets_ids")
    if not isinstance(assets, list) or not all(isinstance(a, str) for a in assets):
        return None
    return list(dict.fromkeys(assets))


def parse_subscription(message: str | bytes) -> dict[str, Any] | None:
    """The initial ``{"type":"market",...}`` request, or None when it is not one."""
    if not isinstance(message, str):
        return None
    try:
        data = loads(message)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if not isinstance(kind, str) or kind.lower() != "market" or _assets(data) is None:
        return None
    return data


class MarketChannel:
    """Serves ``/ws/market``: subscriptions, dumps and the fan-out of exchange events."""

    feed_id = "market"
    path = PATHS["market"]

    def __init__(self, exchange: Exchange, sessions: SessionRegistry, *,
                 max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self.exchange = exchange
        self.sessions = sessions
        self.max_queue = max_queue
        self._subs: dict[str, set[MarketSession]] = {}
        self._custom: set[MarketSession] = set()
        exchange.add_sink(self.publish)

    # --- connection lifecycle ---------------------------------------------------------------

    async def handle(self, ws: ServerConnection) -> None:
        session = MarketSession(ws, self.path, max_queue=self.max_queue)
        async with serving(self.sessions, session):
            try:
                request = parse_subscription(await ws.recv())
                if request is None:
                    await ws.close(1008, INVALID_SUBSCRIPTION)
                    return
                self._set_custom(session, request)
                self._subscribe(session, _assets(request) or [],
                                dump=request.get("initial_dump", True) is not False)
                async for message in ws:
                    self._on_message(session, message)
            finally:
                self._forget(session)

    def _forget(self, session: MarketSession) -> None:
        for asset in session.assets:
            subs = self._subs.get(asset)
            if subs is not None:
                subs.discard(session)
                if not subs:
                    del self._subs[asset]
        session.assets.clear()
        self._custom.discard(session)

    # --- client messages --------------------------------------------------------------------

    def _on_message(self, session: MarketSession, message: str | bytes) -> None:
        if message == "PING":
            if session.answers_ping():
                session.send_control("PONG")
            return
        try:
            data = loads(message)
        except ValueError:
            session.send_control(_error("invalid message: not JSON"))
            return
        if not isinstance(data, dict):
            session.send_control(_error("invalid message: not an object"))
            return
        assets = _assets(data) if "assets_ids" in data else []
        if assets is None:
            session.send_control(_error("invalid message: assets_ids must be a list of strings"))
            return
        operation = str(data.get("operation", "")).lower()
        kind = str(data.get("type", "")).lower()
        if operation == "unsubscribe":
            self._set_custom(session, data)
            self._unsubscribe(session, assets)
        elif operation == "subscribe" or (not operation and kind == "market"):
            self._set_custom(session, data)
            self._subscribe(session, assets, dump=data.get("initial_dump", True) is not False)
        else:
            session.send_control(_error(f"invalid operation: {data.get('operation')!r}"))

    def _set_custom(self, session: MarketSession, data: dict[str, Any]) -> None:
        if "custom_feature_enabled" not in data:
            return
        session.custom = data["custom_feature_enabled"] is True
        if session.custom:
            self._custom.add(session)
        else:
            self._custom.discard(session)

    def _subscribe(self, session: MarketSession, assets: list[str], *, dump: bool) -> None:
        duplicates = [a for a in assets if a in session.assets]
        if duplicates:
            session.send_control(_error("duplicate assets", assets_ids=duplicates))
            return
        ts = self.exchange.clock()
        books = []
        for asset in assets:
            market = self.exchange.market_of(asset)
            if market is not None and not market.closed:
                outcome = market.token_ids.index(asset)
                books.append(wire.book_event(market, outcome,
                                             self.exchange.market_book(market), ts))
            elif market is None:
                if session.unknown_assets >= MAX_UNKNOWN_ASSETS:
                    continue
                session.unknown_assets += 1
            session.assets.add(asset)
            self._subs.setdefault(asset, set()).add(session)
        if dump and assets:
            session.send(_encode(books))

    def _unsubscribe(self, session: MarketSession, assets: list[str]) -> None:
        for asset in assets:
            if asset in session.assets:
                session.assets.discard(asset)
                if self.exchange.market_of(asset) is None:
                    session.unknown_assets -= 1
                subs = self._subs.get(asset)
                if subs is not None:
                    subs.discard(session)
                    if not subs:
                        del self._subs[asset]

    # --- fan-out ----------------------------------------------------------------------------

    def publish(self, emissions: list[Emission]) -> None:
        """Queue each event once-encoded on every connection that should get it."""
        subs = self._subs
        for em in emissions:
            targets: set[MarketSession] | list[MarketSession]
            if em.broadcast:
                targets = self._custom
            else:
                found = [s for s in (subs.get(a) for a in em.assets) if s]
                if not found:
                    continue
                targets = found[0] if len(found) == 1 else set().union(*found)
                if em.custom:
                    targets = [s for s in targets if s.custom]
            if not targets:
                continue
            frame = _encode(em.payload)
            for session in targets:
                session.send(frame)

    # --- fault frames -----------------------------------------------------------------------

    def _target_asset(self, session: MarketSession) -> str | None:
        for asset in sorted(session.assets):
            market = self.exchange.market_of(asset)
            if market is not None and not market.closed:
                return asset
        return None

    def desync_frame(self, session: MarketSession) -> tuple[str, str] | None:
        """A ``price_change`` claiming the best level of one subscribed asset was removed
        (the exchange did not do it) while carrying the TRUE best_bid/best_ask: a client that
        cross-checks sees its touch disagree. Returns (frame, asset_id)."""
        asset = self._target_asset(session)
        if asset is None:
            return None
        market = self.exchange.market_of(asset)
        assert market is not None
        bids, asks = self.exchange.book(asset)
        side, levels = ("BUY", bids) if bids else ("SELL", asks)
        if not levels:
            return None
        price = to_decimal_str(levels[0][0])
        ts = self.exchange.clock()
        entry = {
            "asset_id": asset,
            "price": price,
            "size": "0",
            "side": side,
            "hash": hashlib.sha1(f"desync:{asset}:{ts}".encode()).hexdigest(),
            "best_bid": to_decimal_str(bids[0][0]) if bids else "",
            "best_ask": to_decimal_str(asks[0][0]) if asks else "",
        }
        frame = json.dumps({"event_type": "price_change", "market": market.condition_id,
                            "price_changes": [entry], "timestamp": str(ts)})
        return frame, asset

    def bad_field_frame(self, session: MarketSession) -> str:
        """Well-formed JSON with one bad field: a ``price_change`` whose price is not a
        number (a client must reject the entry and keep going)."""
        asset = self._target_asset(session) or "0"
        market = self.exchange.market_of(asset)
        entry = {"asset_id": asset, "price": "not-a-price", "size": "10", "side": "BUY",
                 "hash": "", "best_bid": "", "best_ask": ""}
        return json.dumps({"event_type": "price_change",
                           "market": market.condition_id if market else "0x0",
                           "price_changes": [entry],
                           "timestamp": str(self.exchange.clock())})
