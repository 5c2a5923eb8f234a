"""Polymarket US on the embedded exchange: ``/v1/ws/markets``, ``/v1/ws/private`` and the US
REST reads (PROTOCOLS §5, §6.3), readable by Polymarket's own ``polymarket-us`` SDK.

- Every US market is one of the exchange's markets seen from its first outcome, under the slug
  ``us-<slug>``: its US book is that outcome's book, its trades that outcome's trades.
- Both sockets refuse the upgrade with HTTP 401 (``{"error": reason}``) unless the
  ``X-PM-*`` headers sign ``GET <path>`` with a registered key within 30 s (``us_keys``).
- Markets socket: ``subscribe`` (camelCase with string enums; snake_case or integer enums are
  taken too) answers at once with a ``marketData`` / ``marketDataLite`` per slug, then one per
  change of that market's book; ``trade`` per trade. Unknown slugs, more than 100 slugs, an
  unknown type or an unknown requestId to unsubscribe get an ``error`` frame.
- Private socket: the demo account (``us_account``) moves every ``account_s`` seconds;
  ``ORDER`` streams executions, ``ORDER_SNAPSHOT`` the open orders in frames of two until
  ``eof``, ``POSITION`` position changes, ``ACCOUNT_BALANCE`` a snapshot then changes.
- ``{"heartbeat":{}}`` on both sockets every ``heartbeat_s`` seconds.
- REST: ``/v1/market/slug/{slug}``, ``/v1/markets/{slug}/book``, ``/v1/markets/{slug}/bbo``,
  ``/v1/markets``, ``/v1/search?query=``; signed: ``/v1/portfolio/positions``,
  ``/v1/account/balances``, ``/v1/orders/open``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request

from pmdash.endpoints import PATHS
from pmdash.net.us_auth import UsKey
from pmdash.sim.background import Background
from pmdash.sim.client_json import loads
from pmdash.sim.exchange import Exchange
from pmdash.sim.flow import Emission
from pmdash.sim.markets import SimMarket
from pmdash.sim.rest import Query, Reply
from pmdash.sim.server import SimServer
from pmdash.sim.session import DEFAULT_MAX_QUEUE, Session, SessionRegistry, serving
from pmdash.sim.us_account import Quote, Update, UsAccount, amount, iso_ms
from pmdash.sim.us_keys import UsKeyring
from pmdash.units import SCALE, parse_exact, to_decimal_str

Json = dict[str, Any]
PREFIX = "us-"
MAX_SLUGS = 100
SNAPSHOT_PAGE = 2
"""Open orders per ``orderSubscriptionSnapshot`` frame (small, so snapshots span frames)."""
MARKET_DATA = "SUBSCRIPTION_TYPE_MARKET_DATA"
MARKET_DATA_LITE = "SUBSCRIPTION_TYPE_MARKET_DATA_LITE"
TRADE = "SUBSCRIPTION_TYPE_TRADE"
ORDER = "SUBSCRIPTION_TYPE_ORDER"
ORDER_SNAPSHOT = "SUBSCRIPTION_TYPE_ORDER_SNAPSHOT"
POSITION = "SUBSCRIPTION_TYPE_POSITION"
ACCOUNT_BALANCE = "SUBSCRIPTION_TYPE_ACCOUNT_BALANCE"
RFQ = "SUBSCRIPTION_TYPE_RFQ"
MARKET_TYPES = {1: MARKET_DATA, 2: MARKET_DATA_LITE, 3: TRADE}
PRIVATE_TYPES = {1: ORDER, 2: ORDER_SNAPSHOT, 3: POSITION, 4: ACCOUNT_BALANCE, 5: RFQ}
_encode = msgspec.json.Encoder().encode


def us_slug(market: SimMarket) -> str:
    return PREFIX + market.slug


@dataclass
class UsSubscription:
    request_id: str
    kind: str
    slugs: frozenset[str] = frozenset()
    """Empty: every market (private ORDER, POSITION)."""

    def wants(self, slug: str) -> bool:
        return not self.slugs or slug in self.slugs


@dataclass(eq=False)
class UsSession:
    session: Session
    subs: dict[str, UsSubscription] = field(default_factory=dict)

    def send(self, body: Json) -> None:
        self.session.send(_encode(body))


def _request(message: str | bytes, types: Mapping[int, str]) -> tuple[str, Json] | str:
    """A client request as ("subscribe"|"unsubscribe", body), or why it cannot be read."""
    try:
        data = loads(message)
    except ValueError:
        return "invalid message: not JSON"
    if not isinstance(data, dict):
        return "invalid message: not an object"
    for op in ("subscribe", "unsubscribe"):
        body = data.get(op)
        if isinstance(body, dict):
            norm = {
                "requestId": body.get("requestId", body.get("request_id")),
                "subscriptionType": body.get("subscriptionType", body.get("subscription_type")),
                "marketSlugs": body.get("marketSlugs", body.get("market_slugs")) or [],
            }
            kind = norm["subscriptionType"]
            if isinstance(kind, int) and not isinstance(kind, bool):
                norm["subscriptionType"] = types.get(kind, str(kind))
            if not isinstance(norm["requestId"], str) or not norm["requestId"]:
                return f"invalid {op}: requestId is required"
            return op, norm
    return "invalid message: expected subscribe or unsubscribe"


class UsVenue:
    """The US face of one exchange: keys, the demo account, both sockets and REST."""

    def __init__(
        self,
        exchange: Exchange,
        sessions: SessionRegistry,
        keys: UsKeyring,
        *,
        heartbeat_s: float = 5.0,
        account_s: float | None = 0.5,
        max_queue: int = DEFAULT_MAX_QUEUE,
    ) -> None:
        self.exchange = exchange
        self.sessions = sessions
        self.keys = keys
        self.account = UsAccount()
        self.heartbeat_s = heartbeat_s
        self.account_s = account_s
        self.max_queue = max_queue
        self._market_sessions: set[UsSession] = set()
        self._private_sessions: set[UsSession] = set()
        self.markets_feed = _MarketsFeed(self, self._market_sessions)
        self.private_feed = _PrivateFeed(self, self._private_sessions)
        self._turn = 0
        self._background = Background("sim-us")
        exchange.add_sink(self._publish)

    # --- markets ----------------------------------------------------------------------------

    def us_markets(self) -> list[SimMarket]:
        return self.exchange.sim_markets()

    def market(self, slug: str) -> SimMarket | None:
        if not slug.startswith(PREFIX):
            return None
        bare = slug.removeprefix(PREFIX)
        return next((m for m in self.exchange.sim_markets() if m.slug == bare), None)

    def book(self, slug: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(bids, offers) best first of a US market (KeyError when unknown): ground truth."""
        market = self.market(slug)
        if market is None:
            raise KeyError(slug)
        return self.exchange.market_book(market).view(0)

    def market_data(self, market: SimMarket) -> Json:
        book = self.exchange.market_book(market)
        bids, asks = book.view(0)
        last = book.last_trade_of(0)
        return {
            "marketSlug": us_slug(market),
            "bids": [{"px": amount(p), "qty": to_decimal_str(s)} for p, s in bids],
            "offers": [{"px": amount(p), "qty": to_decimal_str(s)} for p, s in asks],
            "state": "MARKET_STATE_CLOSED" if market.closed else "MARKET_STATE_OPEN",
            "stats": None if last is None else {
                "lastTradePx": amount(last), "sharesTraded": to_decimal_str(book.volume),
                "openInterest": "0",
            },
            "transactTime": iso_ms(self.exchange.clock()),
        }

    def market_data_lite(self, market: SimMarket) -> Json:
        book = self.exchange.market_book(market)
        bids, asks = book.view(0)
        last = book.last_trade_of(0)
        return {
            "marketSlug": us_slug(market),
            "bestBid": amount(bids[0][0]) if bids else None,
            "bestAsk": amount(asks[0][0]) if asks else None,
            "lastTradePx": None if last is None else amount(last),
            "bidDepth": len(bids),
            "askDepth": len(asks),
            "sharesTraded": to_decimal_str(book.volume),
            "openInterest": "0",
        }

    def market_json(self, market: SimMarket) -> Json:
        return {
            "id": market.gamma_id,
            "slug": us_slug(market),
            "title": market.question,
            "outcome": market.outcomes[0],
            "description": market.description,
            "active": market.active and not market.closed,
            "closed": market.closed,
            "eventSlug": PREFIX + market.event_slug,
        }

    # --- fan-out of the exchange's flow -----------------------------------------------------

    def _publish(self, emissions: list[Emission]) -> None:
        if not self._market_sessions:
            return
        touched: dict[str, SimMarket] = {}
        trades: list[Json] = []
        for em in emissions:
            kind = em.payload.get("event_type")
            if kind not in ("book", "price_change", "last_trade_price"):
                continue
            market = self.exchange.market_of(em.assets[0]) if em.assets else None
            if market is None:
                continue
            touched[market.condition_id] = market
            if kind == "last_trade_price":
                trades.append(self._trade(market, em.payload))
        for us in list(self._market_sessions):
            for sub in us.subs.values():
                if sub.kind == TRADE:
                    for trade in trades:
                        if trade["marketSlug"] in sub.slugs:
                            us.send({"requestId": sub.request_id, "subscriptionType": TRADE,
                                     "trade": trade})
                    continue
                for market in touched.values():
                    if us_slug(market) in sub.slugs:
                        self.markets_feed.send_picture(us, sub, market)

    def _trade(self, market: SimMarket, payload: Json) -> Json:
        price = parse_exact(str(payload["price"]))
        side = str(payload.get("side", "BUY"))
        if payload.get("asset_id") != market.token_ids[0]:  # the NO token: mirror it
            price, side = SCALE - price, "SELL" if side == "BUY" else "BUY"
        maker = "SELL" if side == "BUY" else "BUY"
        return {
            "marketSlug": us_slug(market),
            "price": amount(price),
            "quantity": {"value": str(payload.get("size", "0")), "currency": "USD"},
            "tradeTime": iso_ms(int(payload.get("timestamp") or self.exchange.clock())),
            "maker": {"side": f"ORDER_SIDE_{maker}", "intent": f"ORDER_INTENT_{maker}_LONG"},
            "taker": {"side": f"ORDER_SIDE_{side}", "intent": f"ORDER_INTENT_{side}_LONG"},
        }

    # --- the demo account -------------------------------------------------------------------

    def quote(self) -> Quote | None:
        """The market the account trades next (round robin over the open ones)."""
        open_markets = [m for m in self.exchange.sim_markets() if not m.closed]
        if not open_markets:
            return None
        market = open_markets[(self._turn // 7) % len(open_markets)]
        bid, ask = self.exchange.market_book(market).touch(0)
        return Quote(us_slug(market), market.question, bid, ask)

    def account_step(self) -> list[Update]:
        """The account's next move, sent to every private subscriber; returns it."""
        quote = self.quote()
        if quote is None:
            return []
        self._turn += 1
        updates = self.account.step(quote, self.exchange.clock())
        for update in updates:
            self.private_feed.fan_out(update)
        return updates

    def positions_json(self) -> Json:
        return {slug: self.account.position_json(slug) for slug in self.account.positions}

    async def start(self) -> None:
        if self.account_s:
            self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        assert self.account_s
        while True:
            await asyncio.sleep(self.account_s)
            if not self.exchange.paused:
                self.account_step()

    def subscriptions(self, feed_id: str) -> list[dict[str, str]]:
        """For each open ``us-markets`` or ``us-private`` socket: requestId -> type it holds."""
        group = self._market_sessions if feed_id == "us-markets" else self._private_sessions
        return [{rid: sub.kind for rid, sub in us.subs.items()} for us in group]

    # --- sessions (shared by both sockets) --------------------------------------------------

    def check(self, request: Request, path: str) -> Reply | None:
        why = self.keys.check(request.headers, "GET", path)
        return None if why is None else (401, {"error": why})

    async def serve(self, ws: ServerConnection, path: str,
                    on_message: Callable[[UsSession, str | bytes], None],
                    group: set[UsSession]) -> None:
        session = Session(ws, path, max_queue=self.max_queue)
        us = UsSession(session)
        async with serving(self.sessions, session, lambda: self._heartbeats(session)):
            group.add(us)
            try:
                async for message in ws:
                    on_message(us, message)
            finally:
                group.discard(us)

    async def _heartbeats(self, session: Session) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if session.heartbeats:
                session.send_control(b'{"heartbeat":{}}')

    # --- REST -------------------------------------------------------------------------------

    def rest_market(self, path: str, query: Query) -> Reply:
        market = self.market(path.removeprefix("/v1/market/slug/"))
        if market is None:
            return 404, {"error": "market not found"}
        return 200, {"market": self.market_json(market)}

    def rest_markets(self, path: str, query: Query) -> Reply:
        rest = path.removeprefix("/v1/markets")
        if rest in ("", "/"):
            slugs = {s for v in query.get("slug", []) for s in v.split(",") if s}
            found = [m for m in self.us_markets() if not slugs or us_slug(m) in slugs]
            return 200, {"markets": [self.market_json(m) for m in found]}
        slug, _, what = rest.strip("/").partition("/")
        market = self.market(slug)
        if market is None:
            return 404, {"error": "market not found"}
        if what == "book":
            return 200, {"marketData": self.market_data(market)}
        if what == "bbo":
            return 200, {"marketData": self.market_data_lite(market)}
        return 404, {"error": "not found"}

    def rest_search(self, path: str, query: Query) -> Reply:
        text = " ".join(query.get("query", [])).strip().lower()
        words = text.split()
        events = []
        for market in self.us_markets():
            haystack = f"{market.question} {market.slug} {market.event_title}".lower()
            if all(w in haystack for w in words):
                events.append({"id": market.event_id, "slug": PREFIX + market.event_slug,
                               "title": market.event_title,
                               "markets": [self.market_json(market)]})
        try:
            limit = int((query.get("limit") or ["10"])[0])
        except ValueError:
            return 400, {"error": "limit must be an integer"}
        return 200, {"events": events[: max(limit, 1)]}

    def rest_signed(self, path: str, query: Query, headers: Mapping[str, str]) -> Reply:
        why = self.keys.check(headers, "GET", path)
        if why is not None:
            return 401, {"error": why}
        now = self.exchange.clock()
        if path == "/v1/portfolio/positions":
            return 200, {"positions": self.positions_json(), "eof": True}
        if path == "/v1/account/balances":
            return 200, {"balances": [self.account.balance_json(now)]}
        if path == "/v1/orders/open":
            return 200, {"orders": [self.account.order_json(o) for o in self.account.open_orders()]}
        return 404, {"error": "not found"}


class _Route:
    """One of the venue's sockets: the key check at the handshake, the sessions, and the
    opening of every request (a malformed one answered, ``unsubscribe`` done here)."""

    feed_id: str
    path: str
    types: Mapping[int, str]

    def __init__(self, venue: UsVenue, sessions: set[UsSession]) -> None:
        self.venue = venue
        self.sessions = sessions

    def check_handshake(self, request: Request) -> Reply | None:
        return self.venue.check(request, self.path)

    async def handle(self, ws: ServerConnection) -> None:
        await self.venue.serve(ws, self.path, self._on_message, self.sessions)

    def _subscription(self, us: UsSession,
                      message: str | bytes) -> tuple[str, Any, dict[str, Any]] | None:
        """A ``subscribe`` request's (requestId, subscriptionType, body); None when the
        request was answered here."""
        got = _request(message, self.types)
        if isinstance(got, str):
            us.session.send_control(_encode({"error": got}))
            return None
        op, body = got
        rid, kind = body["requestId"], body["subscriptionType"]
        if op == "unsubscribe":
            if us.subs.pop(rid, None) is None:
                us.send({"requestId": rid, "error": f"unknown requestId {rid}"})
            return None
        return rid, kind, body

    def _on_message(self, us: UsSession, message: str | bytes) -> None:
        raise NotImplementedError


class _MarketsFeed(_Route):
    feed_id = "us-markets"
    path = PATHS["us-markets"]
    types = MARKET_TYPES

    def send_picture(self, us: UsSession, sub: UsSubscription, market: SimMarket) -> None:
        if sub.kind == MARKET_DATA:
            us.send({"requestId": sub.request_id, "subscriptionType": MARKET_DATA,
                     "marketData": self.venue.market_data(market)})
        elif sub.kind == MARKET_DATA_LITE:
            us.send({"requestId": sub.request_id, "subscriptionType": MARKET_DATA_LITE,
                     "marketDataLite": self.venue.market_data_lite(market)})

    def _on_message(self, us: UsSession, message: str | bytes) -> None:
        got = self._subscription(us, message)
        if got is None:
            return
        rid, kind, body = got
        slugs = body["marketSlugs"]
        problem = ""
        if kind not in (MARKET_DATA, MARKET_DATA_LITE, TRADE):
            problem = f"invalid subscriptionType {kind!r}"
        elif not isinstance(slugs, list) or not slugs or not all(isinstance(s, str) for s in slugs):
            problem = "marketSlugs must be a non-empty list of strings"
        elif len(slugs) > MAX_SLUGS:
            problem = f"at most {MAX_SLUGS} marketSlugs per subscription"
        else:
            unknown = [s for s in slugs if self.venue.market(s) is None]
            if unknown:
                problem = f"market not found: {', '.join(unknown[:5])}"
        if problem:
            us.send({"requestId": rid, "subscriptionType": kind, "error": problem})
            return
        sub = UsSubscription(rid, kind, frozenset(slugs))
        us.subs[rid] = sub
        for slug in dict.fromkeys(slugs):
            market = self.venue.market(slug)
            if market is not None:
                self.send_picture(us, sub, market)


class _PrivateFeed(_Route):
    feed_id = "us-private"
    path = PATHS["us-private"]
    types = PRIVATE_TYPES

    def fan_out(self, update: Update) -> None:
        wanted = {"order": ORDER, "position": POSITION, "balance": ACCOUNT_BALANCE}[update.kind]
        key = {"order": "orderSubscriptionUpdate", "position": "positionSubscription",
               "balance": "accountBalancesUpdate"}[update.kind]
        for us in list(self.sessions):
            for sub in us.subs.values():
                if sub.kind == wanted and (not update.slug or sub.wants(update.slug)):
                    us.send({"requestId": sub.request_id, "subscriptionType": wanted,
                             key: update.payload})

    def _on_message(self, us: UsSession, message: str | bytes) -> None:
        got = self._subscription(us, message)
        if got is None:
            return
        rid, kind, body = got
        slugs = body["marketSlugs"]
        if kind not in PRIVATE_TYPES.values():
            us.send({"requestId": rid, "subscriptionType": kind,
                     "error": f"invalid subscriptionType {kind!r}"})
            return
        if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
            us.send({"requestId": rid, "subscriptionType": kind,
                     "error": "marketSlugs must be a list of strings"})
            return
        account = self.venue.account
        if kind == ORDER_SNAPSHOT:  # one-shot: not kept
            orders = [account.order_json(o) for o in account.open_orders()
                      if not slugs or o.slug in slugs]
            pages = [orders[i:i + SNAPSHOT_PAGE] for i in range(0, len(orders), SNAPSHOT_PAGE)]
            pages = pages or [[]]
            for i, page in enumerate(pages):
                us.send({"requestId": rid, "subscriptionType": kind,
                         "orderSubscriptionSnapshot": {"orders": page,
                                                       "eof": i == len(pages) - 1}})
            return
        us.subs[rid] = UsSubscription(rid, kind, frozenset(slugs))
        if kind == ACCOUNT_BALANCE:
            us.send({"requestId": rid, "subscriptionType": kind, "accountBalancesSnapshot": {
                "balances": [account.balance_json(self.venue.exchange.clock())]}})


DEMO_KEY_ID = "pmdash-demo"


def demo_us_key() -> tuple[UsKey, str]:
    """A fresh key pair for ``--demo``: the key pmdash signs with, and the
    ``KEY_ID:PUBLIC_KEY_BASE64`` the exchange registers."""
    key = UsKey.from_seed(DEMO_KEY_ID, os.urandom(32))
    return key, f"{DEMO_KEY_ID}:{key.public_key_b64}"


def install_us(
    server: SimServer,
    keys: Iterable[str] = (),
    *,
    heartbeat_s: float = 5.0,
    account_s: float | None = 0.5,
    clock: Callable[[], float] = time.time,
) -> UsVenue:
    """Add Polymarket US (both sockets and REST) to ``server``, accepting the ``--us-key``
    values ``keys`` (``KEY_ID:PUBLIC_KEY_BASE64``; ``UsKeySpecError`` for a malformed one).
    Start its account with ``await venue.start()``."""
    ring = UsKeyring(clock=clock)
    for spec in keys:
        ring.add_spec(spec)
    venue = UsVenue(server.exchange, server.sessions, ring, heartbeat_s=heartbeat_s,
                    account_s=account_s, max_queue=server.max_queue)
    server.add_feed(venue.markets_feed)
    server.add_feed(venue.private_feed)
    server.add_route("/v1/market/slug/", venue.rest_market, prefix=True)
    server.add_route("/v1/markets", venue.rest_markets, prefix=True)
    server.add_route("/v1/search", venue.rest_search)
    for signed in ("/v1/portfolio/positions", "/v1/account/balances", "/v1/orders/open"):
        server.add_header_route(signed, venue.rest_signed)
    return venue
