"""Your CLOB account kept live: the user channel plus the REST reconcile, into a ``Portfolio``.

No Textual; the housekeeping a user-feed controller (``live/user.py`` once the controller shape
lands) wraps. ``UserAccountSync.run()`` opens the user channel (``net/user.py``: refused
credentials stop it with ``authentication rejected``) and at once loads the account over REST
(open orders, positions, cash). After every reconnect it loads again, with your fills since the
last one seen, so what the socket missed while down is merged, never duplicated. While a load
is in flight, socket events wait and are applied after the snapshot, in order. A load that
fails is retried with backoff, its reason kept in ``rest_error`` (and sent on as a
``FeedError`` of feed ``user-rest``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from pmdash.credentials import ClobCredentials
from pmdash.feeds.account_rest import FEED as REST_FEED
from pmdash.models import Event, FeedError, FeedStatus
from pmdash.net.account_rest import AccountRest, AccountSnapshot
from pmdash.net.backoff import Backoff
from pmdash.net.user import user_connection, user_policy
from pmdash.state.portfolio import Portfolio

OnChange = Callable[[list[Event], set[str]], None]
"""Called with each batch of events applied and the Portfolio keys they dirtied."""
CATCH_UP_MARGIN_S = 5
"""Fills are asked for from this long before the last one seen (clock skew, late updates)."""


class UserAccountSync:
    def __init__(
        self,
        url: str,
        creds: ClobCredentials,
        rest: AccountRest,
        *,
        markets: tuple[str, ...] = (),
        on_change: OnChange | None = None,
        within: float = 3.0,
        reload_base: float = 1.0,
        reload_cap: float = 60.0,
        **policy: object,
    ) -> None:
        self.rest = rest
        self.portfolio = Portfolio()
        self.status: FeedStatus | None = None
        self.rest_error = ""
        self.loads = 0
        """REST snapshots merged so far."""
        self._on_change = on_change
        self._loading = 0
        """REST loads in flight: while any is, socket events wait in ``_held``."""
        self._held: list[Event] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._reload_backoff = Backoff(reload_base, reload_cap, jitter="full")
        self._started_ms = int(time.time() * 1000)
        user_policy_ = user_policy(url, creds, rest.identity, markets, **policy)
        self.connection, self.guard = user_connection(
            user_policy_, self._on_events, on_reconnect=self._on_reconnect, within=within)

    async def run(self) -> None:
        """Until ``stop()`` (or the credentials are refused)."""
        self._load_later(fills_after_s=None)
        try:
            await self.connection.run()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def stop(self) -> None:
        self.connection.stop()

    async def wait_loaded(self) -> None:
        """Until no REST load is in flight."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- events -------------------------------------------------------------------------------

    def _on_events(self, events: list[Event], arrival: float) -> None:
        for event in events:
            if isinstance(event, FeedStatus):
                self.status = event
        if self._loading:  # account events wait for the snapshot; the feed's health does not
            now: list[Event] = [e for e in events if isinstance(e, FeedStatus | FeedError)]
            self._held.extend(e for e in events if not isinstance(e, FeedStatus | FeedError))
            if now:
                self._apply(now)
            return
        self._apply(events)

    def _apply(self, events: list[Event]) -> None:
        dirty: set[str] = set()
        for event in events:
            dirty |= self.portfolio.apply(event)
        if self._on_change is not None and events:
            self._on_change(events, dirty)

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
        dirty = self.portfolio.reconcile(
            "clob", orders=snap.orders, fills=snap.fills or (), positions=snap.positions,
            balance=snap.balance, as_of_ms=as_of_ms)
        self.loads += 1
        if self._on_change is not None and dirty:
            self._on_change([], dirty)
        if not self._loading:  # no other load in flight: what waited goes on top, in order
            held, self._held = self._held, []
            self._apply(held)
        if snap.decode_errors:
            self._apply(list(snap.decode_errors))

