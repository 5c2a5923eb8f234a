"""The CLOB user channel (``/ws/user``, PROTOCOLS §2) and the account REST reads (§2.4) of the
embedded exchange.

Protocol as served:
- The first message must be ``{"type":"user","auth":{"apiKey","secret","passphrase"},
  "markets":[...]}`` with credentials in the registry (``sim/credentials.py``); anything else
  closes the socket at once (1008 "invalid auth"), as the real server closes on bad
  credentials. ``markets`` (condition ids) filters the events; omitted or empty: every market.
- ``PING`` -> ``PONG``; ``{"operation":"subscribe"|"unsubscribe","markets":[...]}`` change the
  filter (a filter emptied by unsubscribing sends nothing).
- The key's demo account (``sim/account.py``) trades by itself from the start; its ``order``
  and ``trade`` events go to every socket of that key whose filter takes the market.

REST, L2-signed (``POLY_*`` headers; a bad or missing signature, key, passphrase or address is
401): ``/balance-allowance``, ``/data/orders`` and ``/data/trades?after=`` (paged by
``next_cursor``, ``MA==`` first, ``LTE=`` last; ``PAGE`` items a page). Public:
``/positions?user=<profile>`` (Data API shape; ``offset``/``limit``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from pmdash.endpoints import PATHS
from pmdash.net.clob_auth import verify
from pmdash.sim.account import AccountDesk, SimAccount, UserEmission
from pmdash.sim.background import Background
from pmdash.sim.client_json import loads
from pmdash.sim.credentials import CredentialRegistry
from pmdash.sim.exchange import Exchange
from pmdash.sim.rest import Query, Reply
from pmdash.sim.session import DEFAULT_MAX_QUEUE, Session, SessionRegistry, serving

if TYPE_CHECKING:
    from pmdash.sim.server import SimServer

log = logging.getLogger(__name__)
SignedHandler = Callable[[str, Query, Mapping[str, str]], Reply]
INVALID_AUTH = "invalid auth"
UNAUTHORIZED = {"error": "Unauthorized/Invalid api key"}
PAGE = 3
"""Items a REST page (small, so clients page through cursors)."""
END_CURSOR = "LTE="


class UserSession(Session):
    def __init__(self, ws: ServerConnection, path: str, api_key: str, *,
                 max_queue: int) -> None:
        super().__init__(ws, path, max_queue=max_queue)
        self.api_key = api_key
        self.markets: set[str] | None = None
        """None: every market."""


def _markets(value: Any) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        return None
    return list(dict.fromkeys(value))


def _cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def _offset(cursor: str) -> int | None:
    try:
        value = int(base64.b64decode(cursor.encode(), validate=True).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return value if value >= 0 else None


def _first(query: Query, key: str, default: str = "") -> str:
    values = query.get(key)
    return values[0] if values else default


class UserChannel:
    """Serves ``/ws/user`` and the account REST routes; runs the ``AccountDesk``."""

    feed_id = "user"
    path = PATHS["user"]

    def __init__(self, exchange: Exchange, sessions: SessionRegistry,
                 credentials: CredentialRegistry, *, interval_s: float = 0.4,
                 max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self.exchange = exchange
        self.sessions = sessions
        self.credentials = credentials
        self.interval_s = interval_s
        self.max_queue = max_queue
        self.desk = AccountDesk(exchange, seed=exchange.seed)
        self.desk.add_sink(self.publish)
        self._by_key: dict[str, set[UserSession]] = {}
        self._background = Background("sim-user")
        self.refused = 0
        """Sockets closed for bad credentials."""

    def account(self, api_key: str) -> SimAccount | None:
        """The demo account of a registered key (made on first use)."""
        if api_key not in self.credentials.api_keys():
            return None
        return self.desk.account(api_key)

    # --- the trading loop -------------------------------------------------------------------

    async def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    def step(self, n: int = 1) -> None:
        """Advance every registered key's account ``n`` times now."""
        for key in self.credentials.api_keys():
            self.desk.account(key)
        self.desk.step(n)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if self.exchange.paused:
                continue
            try:
                self.step()
            except Exception:  # a bug in the desk must not end the exchange
                log.exception("account desk step failed")

    # --- the socket ---------------------------------------------------------------------------

    async def handle(self, ws: ServerConnection) -> None:
        try:
            first = await ws.recv()
        except ConnectionClosed:
            return
        request = self._auth(first)
        if request is None:
            self.refused += 1
            with contextlib.suppress(ConnectionClosed):
                await ws.close(1008, INVALID_AUTH)
            return
        api_key, markets = request
        session = UserSession(ws, self.path, api_key, max_queue=self.max_queue)
        session.markets = set(markets) if markets else None
        self.desk.account(api_key)
        async with serving(self.sessions, session):
            self._by_key.setdefault(api_key, set()).add(session)
            try:
                async for message in ws:
                    self._on_message(session, message)
            finally:
                self._by_key.get(api_key, set()).discard(session)

    def _auth(self, message: str | bytes) -> tuple[str, list[str]] | None:
        try:
            data = loads(message)
        except ValueError:
            return None
        if not isinstance(data, dict) or str(data.get("type", "")).lower() != "user":
            return None
        auth = data.get("auth")
        if not isinstance(auth, dict):
            return None
        key, secret, phrase = auth.get("apiKey"), auth.get("secret"), auth.get("passphrase")
        if not self.credentials.check(key, secret, phrase):
            return None
        markets = _markets(data.get("markets"))
        if markets is None:
            return None
        assert isinstance(key, str)
        return key, markets

    def _on_message(self, session: UserSession, message: str | bytes) -> None:
        if message == "PING":
            if session.answers_ping():
                session.send_control("PONG")
            return
        try:
            data = loads(message)
        except ValueError:
            session.send_control(json.dumps({"event_type": "error", "error": "not JSON"}))
            return
        operation = str(data.get("operation", "")).lower() if isinstance(data, dict) else ""
        markets = _markets(data.get("markets")) if isinstance(data, dict) else None
        if operation not in ("subscribe", "unsubscribe") or markets is None:
            session.send_control(json.dumps({"event_type": "error",
                                             "error": "invalid operation"}))
            return
        if operation == "subscribe":
            if session.markets is not None:
                session.markets.update(markets)
        else:
            if session.markets is None:
                session.markets = set()
            session.markets.difference_update(markets)

    def publish(self, emissions: list[UserEmission]) -> None:
        for api_key, market, payload in emissions:
            sessions = self._by_key.get(api_key)
            if not sessions:
                continue
            frame = json.dumps(payload)
            for session in sessions:
                if session.markets is None or market in session.markets:
                    session.send(frame)

    # --- REST ---------------------------------------------------------------------------------

    def signed_routes(self) -> dict[str, SignedHandler]:
        return {
            "/balance-allowance": self.balance,
            "/data/orders": self.orders,
            "/data/trades": self.trades,
        }

    def _signed(self, path: str, headers: Mapping[str, str]) -> SimAccount | None:
        """The account an L2-signed GET of ``path`` is for, or None (answer 401)."""
        key = headers.get("POLY_API_KEY", "")
        secret = self.credentials.secret_of(key)
        if secret is None:
            return None
        account = self.desk.account(key)
        phrase_ok = self.credentials.check(key, secret, headers.get("POLY_PASSPHRASE", ""))
        address_ok = hmac.compare_digest(headers.get("POLY_ADDRESS", "").lower(),
                                         account.address.lower())
        signed = verify(secret, headers.get("POLY_SIGNATURE", ""),
                        headers.get("POLY_TIMESTAMP", ""), "GET", path)
        stamp_ok = headers.get("POLY_TIMESTAMP", "").isdigit()
        return account if phrase_ok and address_ok and signed and stamp_ok else None

    def balance(self, path: str, query: Query, headers: Mapping[str, str]) -> Reply:
        account = self._signed(path, headers)
        if account is None:
            return 401, UNAUTHORIZED
        return 200, {"balance": str(account.cash),
                     "allowances": {"0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e": "0"}}

    def _paged(self, items: list[Any], query: Query) -> Reply:
        offset = _offset(_first(query, "next_cursor", "MA=="))
        if offset is None:
            return 400, {"error": "invalid next_cursor"}
        page = items[offset: offset + PAGE]
        nxt = offset + PAGE
        cursor = _cursor(nxt) if nxt < len(items) else END_CURSOR
        return 200, {"limit": PAGE, "count": len(page), "next_cursor": cursor, "data": page}

    def orders(self, path: str, query: Query, headers: Mapping[str, str]) -> Reply:
        account = self._signed(path, headers)
        if account is None:
            return 401, UNAUTHORIZED
        return self._paged([account.rest_order(o) for o in account.open_orders()], query)

    def trades(self, path: str, query: Query, headers: Mapping[str, str]) -> Reply:
        account = self._signed(path, headers)
        if account is None:
            return 401, UNAUTHORIZED
        after_text = _first(query, "after", "0")
        if not after_text.isdigit():
            return 400, {"error": "invalid after"}
        after = int(after_text)
        items = [account.trade_payload(t, rest=True) for t in account.trades.values()
                 if t.last_update_ms // 1000 >= after]
        return self._paged(items, query)

    def positions(self, path: str, query: Query) -> Reply:
        user = _first(query, "user").lower()
        if not user:
            return 400, {"error": "user is required"}
        rows: list[Any] = []
        for account in self.desk.accounts.values():
            if account.profile.lower() == user:
                rows = account.position_rows()
        offset_text, limit_text = _first(query, "offset", "0"), _first(query, "limit", "100")
        if not (offset_text.isdigit() and limit_text.isdigit()):
            return 400, {"error": "invalid offset or limit"}
        offset, limit = int(offset_text), min(int(limit_text), 500)
        return 200, rows[offset: offset + limit]


def add_user_channel(server: SimServer, credentials: CredentialRegistry, *,
                     interval_s: float = 0.4) -> UserChannel:
    """Serve ``/ws/user``, the signed account reads and ``/positions`` on ``server``; start
    its trading with ``await channel.start()``."""
    channel = UserChannel(server.exchange, server.sessions, credentials,
                          interval_s=interval_s, max_queue=server.max_queue)
    server.add_feed(channel)
    for path, handler in channel.signed_routes().items():
        server.add_header_route(path, handler)
    server.add_route("/positions", channel.positions)
    return channel
