"""The CLOB ``user`` feed's controller: your account kept live, for the dashboard and ``tail``.

No Textual. ``run()`` opens the user channel (``net/user.py``: refused credentials stop it
with ``authentication rejected``, one attempt, no retry loop) and at once loads the account over
REST (``net/account_rest.py``: open orders, positions, cash). After every reconnect it loads
again, with your fills since the last one seen, so what the socket missed while down is merged,
never duplicated. While a load is in flight, socket events wait and are applied after the
snapshot, in order. A load that fails is retried with backoff, its reason kept in
``rest_error`` (shown in the feed's status detail, and sent on as a ``FeedError`` of feed
``user-rest``).

Everything goes into the Store's shared account slice (``state.account.AccountState``, one
``Portfolio`` for both venues): socket events through ``tap`` (``tail`` prints them) and
``store.apply``; REST snapshots through ``tap`` too and ``AccountState.reconcile``.
``housekeep`` marks your
positions to the live books' mids when the market feed's state is in the same Store.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Self

from msgspec.structs import replace

from pmdash.credentials import ClobCredentials
from pmdash.feeds.account_rest import FEED as REST_FEED
from pmdash.live.controller import FeedContext, OnConnection, Tap
from pmdash.models import Event, FeedError, FeedStatus
from pmdash.net.account_rest import AccountRest, AccountSnapshot
from pmdash.net.backoff import Backoff
from pmdash.net.user import FEED, user_connection, user_policy, user_rest_bases, user_url
from pmdash.state.account import AccountState
from pmdash.state.market import MarketState
from pmdash.state.portfolio import Portfolio
from pmdash.state.store import Store

CATCH_UP_MARGIN_S = 5
"""Fills are asked for from this long before the last one seen (clock skew, late updates)."""


class UserController(OnConnection):
    """The user channel plus the REST reconcile, into the Store (see the module docstring)."""

    feed = FEED

    def __init__(
        self,
        store: Store,
        url: str,
        creds: ClobCredentials,
        rest: AccountRest,
        *,
        markets: tuple[str, ...] = (),
        tap: Tap | None = None,
        within: float = 3.0,
        reload_base: float = 1.0,
        reload_cap: float = 60.0,
        **policy: Any,
    ) -> None:
        self.store = store
        self.account = store.slice(AccountState)
        self.rest = rest
        self.tap = tap
        self.markets = frozenset(markets)
        """The markets asked for (``tail --condition``); empty: every market of the key."""
        self.rest_error = ""
        self.loads = 0
        """REST snapshots merged so far."""
        self._loading = 0
        """REST loads in flight: while any is, socket events wait in ``_held``."""
        self._held: list[Event] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._reload_backoff = Backoff(reload_base, reload_cap, jitter="full")
        self._started_ms = int(time.time() * 1000)
        self.connection, self.guard = user_connection(
            user_policy(url, creds, rest.identity, markets, **policy),
            self._on_events, on_reconnect=self._on_reconnect, within=within)

    @classmethod
    def from_context(cls, ctx: FeedContext, **options: Any) -> Self:
        """From the feed's credentials (``registry``: ``api_key``, ``secret``,
        ``passphrase``, ``profile_address``, optional ``signer_address``, the profile's when
        not set) and ``tail --condition`` (``ctx.options.condition``: condition ids; none: every
        market of the key)."""
        c = ctx.credentials
        creds = ClobCredentials(c["api_key"], c["secret"], c["passphrase"])
        profile = c["profile_address"]
        clob_base, data_base = user_rest_bases(ctx.endpoints)
        rest = AccountRest(creds, address=c.get("signer_address") or profile, profile=profile,
                           clob_base=clob_base, data_base=data_base)
        conditions = getattr(ctx.options, "condition", None) or ()
        markets = tuple(dict.fromkeys(cid for group in conditions for cid in group))
        return cls(ctx.store, ctx.url or user_url(ctx.endpoints), creds, rest,
                   markets=markets, tap=ctx.tap, **options)

    @property
    def portfolio(self) -> Portfolio:
        return self.account.portfolio

    # --- the Controller protocol -------------------------------------------------------------

    async def run(self) -> None:
        """Until ``stop()`` (or the credentials are refused)."""
        self._load_later(fills_after_s=None)
        try:
            await self.connection.run()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def status(self) -> FeedStatus:
        """The connection's status; refused: ``failed`` with why, from then on; live with a
        failing REST read: that read's reason in the detail."""
        status = self.connection.status()
        if self.guard.rejected:
            return replace(status, state="failed", detail=self.guard.detail, backoff_until=None)
        if self.rest_error and status.state == "live":
            return replace(status, detail=f"account REST: {self.rest_error}"[:300])
        return status

    def housekeep(self, now: float) -> None:
        """Mark positions to the live books' mids (the market feed's state, when present)."""
        market = self.store.find(MarketState)
        if market is None or not self.portfolio.positions:
            return
        books = market.books

        def mid(asset_id: str) -> int | None:
            book = books.get(asset_id)
            return None if book is None or book.state != "live" else book.mid

        self.account.mark_to(mid)

    async def wait_loaded(self) -> None:
        """Until no REST load is in flight."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- events -------------------------------------------------------------------------------

    def _on_events(self, events: list[Event], arrival: float | None) -> None:
        if self._loading:  # account events wait for the snapshot; the feed's health does not
            now: list[Event] = [e for e in events if isinstance(e, FeedStatus | FeedError)]
            self._held.extend(e for e in events if not isinstance(e, FeedStatus | FeedError))
            if now:
                self._apply(now, arrival)
            return
        self._apply(events, arrival)

    def _apply(self, events: list[Event], arrival: float | None = None) -> None:
        if self.tap is not None:
            events = self.tap(events)
        if events:
            self.store.apply(events, arrival)

    def _on_reconnect(self) -> None:
        last = self.portfolio.last_fill_ms("clob") or self._started_ms
        self._load_later(fills_after_s=max(0, last // 1000 - CATCH_UP_MARGIN_S))

    # --- REST ---------------------------------------------------------------------------------

    def _load_later(self, *, fills_after_s: int | None, delay: float = 0.0) -> None:
        if not delay:
            self._loading += 1  # from now: socket events wait for the snapshot
        task = asyncio.get_running_loop().create_task(self._load(fills_after_s, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load(self, fills_after_s: int | None, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
            self._loading += 1
        try:
            as_of_ms = int(time.time() * 1000)
            snap = await self.rest.load(fills_after_s)
        finally:
            self._loading -= 1
        self._merge(snap, as_of_ms)
        if snap.errors:
            retry = self._reload_backoff.next_delay()
            self.rest_error = "; ".join(snap.errors)
            self._apply([FeedError(feed=REST_FEED, message=self.rest_error[:400])])
            self._load_later(fills_after_s=fills_after_s, delay=retry)
        else:
            self.rest_error = ""
            self._reload_backoff.reset()

    def _merge(self, snap: AccountSnapshot, as_of_ms: int) -> None:
        if self.tap is not None:  # ``tail`` prints what the account read found, too
            found: list[Event] = [*(snap.positions or ()), *(snap.orders or ()),
                                  *(snap.fills or ())]
            if self.markets:
                found = [e for e in found if getattr(e, "market", "") in self.markets]
            self.tap([*found, *([snap.balance] if snap.balance is not None else [])])
        self.account.reconcile(
            "clob", orders=snap.orders, fills=snap.fills or (), positions=snap.positions,
            balance=snap.balance, as_of_ms=as_of_ms)
        self.loads += 1
        if not self._loading:  # no other load in flight: what waited goes on top, in order
            held, self._held = self._held, []
            self._apply(held)
        if snap.decode_errors:
            self._apply(list(snap.decode_errors))
