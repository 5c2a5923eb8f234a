"""The Polymarket US controllers (``us-markets``, ``us-private``), for the dashboard and ``tail``.

- ``UsMarketsController``: the signed ``/v1/ws/markets`` socket. Its books and trades are the
  market feed's events keyed by US slug, folded into the same ``MarketState`` (shared), so they
  show in the same ladder and tape; its slugs are listed after the CLOB's
  (``MarketState.more_listed``). With ``--venue us`` it runs alone and the market panels show
  its books (``MarketSource``). Its markets are named from the US gateway
  (``/v1/market/slug/{slug}``); on an embedded exchange with no slug chosen it follows every US
  market listed there (``/v1/markets``). A lost socket marks its books stale until the next
  full ``marketData``.
- ``UsPrivateController``: the signed ``/v1/ws/private`` socket into the shared account
  (``AccountState``), and the signed REST reads of positions, open orders and balances on
  start and after every reconnect, reconciled into the portfolio (``Portfolio.reconcile``),
  so it never drifts from the exchange. Positions are marked to the US books' mids.

The key (``UsKey``) is built from ``FeedContext.credentials`` (``key_id``, ``secret_key``); a
malformed one is a ``ConfigError`` naming where it came from, never its value.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit

import msgspec

from pmdash.config import ConfigError
from pmdash.endpoints import Endpoints
from pmdash.feedspec import chosen
from pmdash.live.controller import FeedContext, OnConnection, Tap
from pmdash.models import Event, FeedError, MarketInfo
from pmdash.net.connection import Connection
from pmdash.net.http import HttpError, build_url, get_bytes
from pmdash.net.us import MARKETS_PATH, PRIVATE_PATH, us_markets_policy, us_private_policy
from pmdash.net.us_auth import KEY_ID_VAR, SECRET_VAR, UsKey, UsKeyError
from pmdash.net.us_rest import (
    API,
    GATEWAY,
    fetch_balances,
    fetch_open_orders,
    fetch_positions,
    market_by_slug,
)
from pmdash.specs.venue import VENUE
from pmdash.state.account import AccountState
from pmdash.state.book import OrderBook
from pmdash.state.market import MARKETS, MarketState, book_key, tape_key
from pmdash.state.store import Store

MARKETS_FEED = "us-markets"
PRIVATE_FEED = "us-private"
KEY_ID = "key_id"
SECRET_KEY = "secret_key"
"""Names of the key's parts in ``FeedContext.credentials`` (``specs.us.US_CREDENTIALS``)."""
KEY_ID_CONFIG = "polymarket_key_id"
SECRET_KEY_CONFIG = "polymarket_secret_key"
"""The config-file keys that may hold them (``POLYMARKET_KEY_ID``/``_SECRET_KEY`` win)."""
MAX_LISTED = 200
"""US markets followed at most on an embedded exchange."""


@dataclass(frozen=True)
class UsUrls:
    markets_ws: str
    private_ws: str
    gateway: str
    """Public REST (markets by slug, search, books)."""
    api: str
    """Signed REST (positions, open orders, balances)."""


def us_urls(endpoints: Endpoints) -> UsUrls:
    """The US venue's URLs: the real ones, or an embedded exchange's (one host for all)."""
    if not endpoints.embedded:
        ws = urlsplit(API)._replace(scheme="wss").geturl()
        return UsUrls(ws + MARKETS_PATH, ws + PRIVATE_PATH, GATEWAY, API)
    parts = urlsplit(endpoints.market_ws)
    ws = f"{parts.scheme}://{parts.netloc}"
    root = endpoints.gamma_rest.rstrip("/")
    return UsUrls(ws + MARKETS_PATH, ws + PRIVATE_PATH, root, root)


def us_key(credentials: dict[str, str]) -> UsKey:
    """The key from a feed's credentials; ``ConfigError`` (exit 2) naming the variable or
    config key it came from when it is malformed (the value is never shown)."""
    key_id, secret = credentials.get(KEY_ID, ""), credentials.get(SECRET_KEY, "")
    origin = SECRET_VAR if os.environ.get(SECRET_VAR) else f"{SECRET_KEY_CONFIG} in the config file"
    try:
        return UsKey(key_id, secret, origin=origin)
    except UsKeyError as exc:
        text = str(exc)
        if not os.environ.get(KEY_ID_VAR):
            text = text.replace(KEY_ID_VAR, f"{KEY_ID_CONFIG} in the config file")
        raise ConfigError(text) from None


VENUE_LABEL = "US · "
"""Before a US market's question wherever it is listed or named (the CLOB lists its own)."""


def _placeholder(slug: str) -> MarketInfo:
    return MarketInfo(condition_id=slug, question=slug, slug=slug, token_ids=(slug,),
                      outcomes=("Yes",))


def labelled(market: MarketInfo) -> MarketInfo:
    """``market`` with its question marked as the US venue's."""
    if market.question.startswith(VENUE_LABEL):
        return market
    return msgspec.structs.replace(market, question=VENUE_LABEL + market.question)


async def list_us_markets(gateway: str, *, limit: int = MAX_LISTED) -> list[MarketInfo]:
    """``GET /v1/markets``: the markets a US gateway lists (an embedded exchange's)."""
    from pmdash.feeds import us_rest

    url = build_url(gateway, "/v1/markets")
    got = us_rest.decode_markets(await get_bytes(url, timeout=10.0))
    if isinstance(got, FeedError):
        raise HttpError(200, url, got.message)
    return got[:limit]


class UsMarketsController(OnConnection):
    """The US markets socket plus naming and following its markets (module docstring)."""

    feed = MARKETS_FEED

    def __init__(
        self,
        store: Store,
        url: str,
        key: UsKey,
        slugs: Sequence[str],
        *,
        gateway: str | None,
        follow_all: bool = False,
        tap: Tap | None = None,
    ) -> None:
        self.store = store
        self.state = store.slice(MarketState)
        self.tap = tap
        self.gateway = gateway
        self.follow_all = follow_all
        self.pinned: str | None = None
        self._own: list[str] = []
        for slug in dict.fromkeys(slugs):
            self._list(_placeholder(slug))
        self.connection = Connection(
            us_markets_policy(url, key, self._own),
            on_events=self._on_events,
            on_reconnect=self._on_reconnect,
            on_lost=self._on_lost,
        )
        self._lookup: asyncio.Task[None] | None = None

    @classmethod
    def from_context(cls, ctx: FeedContext) -> Self:
        settings = ctx.settings
        # `tail us-markets --market SLUG`, or the dashboard with `--venue us`: US slugs.
        slugs = list(settings.markets) if (chosen(settings, VENUE) == "us" or ctx.tap) else []
        embedded = ctx.endpoints.embedded
        if not slugs and not embedded:
            raise ConfigError(
                "no Polymarket US market selected: pass --market SLUG (with --venue us for the"
                " dashboard), or set venue = \"us\" and markets in the config file (find slugs"
                " with: pmdash search TEXT --venue us)"
            )
        urls = us_urls(ctx.endpoints)
        return cls(
            ctx.store,
            ctx.url or urls.markets_ws,
            us_key(ctx.credentials),
            slugs,
            gateway=urls.gateway if ctx.url is None else None,
            follow_all=embedded and not slugs and ctx.url is None,
            tap=ctx.tap,
        )

    @property
    def listed(self) -> list[str]:
        """Its markets, in order (the market panels list them)."""
        return self._own

    def _list(self, market: MarketInfo) -> bool:
        slug = market.condition_id
        new = slug not in self._own
        if new:
            self._own.append(slug)
            if slug not in self.state.more_listed:
                self.state.more_listed.append(slug)
        # Listed first: the market feed's controller does not take it for a CLOB market.
        self.state.add_market(labelled(market))
        self.state.watch(market.token_ids, slug)
        return new

    # --- the Controller protocol -------------------------------------------------------------

    async def run(self) -> None:
        if self.gateway is not None:
            self._lookup = asyncio.get_running_loop().create_task(self._look_up(self.gateway))
        try:
            await self.connection.run()
        finally:
            if self._lookup is not None:
                self._lookup.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._lookup

    def housekeep(self, now: float) -> None:
        return None

    def book_view(self, book: OrderBook, now: float | None = None) -> tuple[str, str]:
        """A US book is shown as its state says (stale from a lost socket until the next full
        ``marketData``)."""
        state = book.state
        if state == "final":
            return state, "" if book.has_snapshot else "no book was received before it closed"
        return state, book.desync_reason or book.stale_reason or ""

    # --- markets ------------------------------------------------------------------------------

    async def _look_up(self, gateway: str) -> None:
        """Name the chosen markets, or (following an embedded exchange) list and subscribe
        every US market it has. A lookup that fails leaves the slug as its own name."""
        if self.follow_all:
            try:
                found = await list_us_markets(gateway)
            except HttpError as exc:
                self._on_events([FeedError(feed=self.feed, message=f"US markets: {exc}")], None)
                return
            new = [m.condition_id for m in found if self._list(m)]
            if new:
                self.connection.subscribe(new)
            self.store.mark_dirty(MARKETS)
            return
        for slug in list(self._own):
            try:
                market = await market_by_slug(gateway, slug)
            except HttpError as exc:
                self._on_events([FeedError(feed=self.feed, message=f"market {slug}: {exc}")],
                                None)
                continue
            self.state.add_market(labelled(market))
        self.store.mark_dirty(MARKETS)

    # --- the connection's callbacks -----------------------------------------------------------

    def _on_events(self, events: list[Event], arrival: float | None) -> None:
        if self.tap is not None:
            events = self.tap(events)
        self.store.apply(events, arrival)

    def _mark_stale(self, reason: str, *, gap_at_ms: int | None = None) -> None:
        for slug in self._own:
            book = self.state.books.get(slug)
            if book is not None and book.mark_stale(reason):
                self.store.mark_dirty(book_key(slug))
            tape = self.state.tapes.get(slug)
            if gap_at_ms is not None and tape is not None and tape.mark_gap(gap_at_ms):
                self.store.mark_dirty(tape_key(slug))

    def _on_lost(self, reason: str) -> None:
        self._mark_stale(f"connection lost: {reason}", gap_at_ms=int(time.time() * 1000))

    def _on_reconnect(self) -> None:
        self._mark_stale("reconnected: waiting for a fresh snapshot")


class UsPrivateController(OnConnection):
    """The US private socket plus the REST reconciliation of the account (module docstring)."""

    feed = PRIVATE_FEED

    def __init__(
        self,
        store: Store,
        url: str,
        key: UsKey,
        *,
        api: str | None,
        tap: Tap | None = None,
    ) -> None:
        self.store = store
        self.account = store.slice(AccountState)
        self.key = key
        self.api = api
        """Where the signed REST reads go; None (``tail --url``): not read."""
        self.tap = tap
        self.reconciled = 0
        """REST reconciliations done (start-up and one per reconnect)."""
        self.connection = Connection(
            us_private_policy(url, key),
            on_events=self._on_events,
            on_reconnect=self._on_reconnect,
        )
        self._load: asyncio.Task[None] | None = None

    @classmethod
    def from_context(cls, ctx: FeedContext) -> Self:
        urls = us_urls(ctx.endpoints)
        return cls(
            ctx.store,
            ctx.url or urls.private_ws,
            us_key(ctx.credentials),
            api=urls.api if ctx.url is None else None,
            tap=ctx.tap,
        )

    # --- the Controller protocol -------------------------------------------------------------

    async def run(self) -> None:
        self._reload()
        try:
            await self.connection.run()
        finally:
            if self._load is not None:
                self._load.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._load

    def housekeep(self, now: float) -> None:
        """Mark the positions to the mids of the live books (unrealised P&L; the US books are
        in the market slice too)."""
        market = self.store.find(MarketState)
        if market is None:
            return
        books = market.books

        def mid(asset_id: str) -> int | None:
            book = books.get(asset_id)
            return book.mid if book is not None else None

        self.account.mark_to(mid)

    # --- REST ---------------------------------------------------------------------------------

    def _on_reconnect(self) -> None:
        self._reload()

    def _reload(self) -> None:
        if self.api is None:
            return
        if self._load is not None:
            self._load.cancel()
        self._load = asyncio.get_running_loop().create_task(self._reconcile(self.api))

    async def _reconcile(self, api: str) -> None:
        """Positions, open orders and balances read over signed REST, merged into the account
        (what the socket's snapshots said is checked against them, not left to drift)."""
        as_of = int(time.time() * 1000)
        errors: list[FeedError] = []
        try:
            positions = await fetch_positions(api, self.key, errors=errors)
            orders = await fetch_open_orders(api, self.key, errors=errors)
            balances = await fetch_balances(api, self.key)
        except HttpError as exc:
            self._on_events([FeedError(feed=self.feed, message=f"account REST: {exc}")], None)
            return
        balance = balances[0] if balances else None
        if self.tap is not None:
            self.tap([*positions, *orders, *([balance] if balance is not None else [])])
        self.account.reconcile("us", orders=orders, positions=positions, balance=balance,
                               as_of_ms=as_of)
        self.reconciled += 1
        if errors:
            self._on_events(list(errors), None)

    # --- the connection's callbacks -----------------------------------------------------------

    def _on_events(self, events: list[Event], arrival: float | None) -> None:
        if self.tap is not None:
            events = self.tap(events)
        self.store.apply(events, arrival)
