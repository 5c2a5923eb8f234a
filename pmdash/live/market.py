"""The market feed's controller, written once for the dashboard and ``pmdash tail``.

Beyond decoding, the market feed needs housekeeping: books that lost sync are healed with a
fresh subscription (``resync``); after a reconnect every book is stale until its snapshot, and
a while later Gamma is asked what the socket missed (``catch_up``); following a whole embedded
exchange, markets it announces are subscribed and resolved ones no longer streamed
(``state.following``); a book the server never sends is said missing after ``no_book_after_s``
with the feed open (``FirstBookWaits``), and while the socket is open but not answering the
live books are shown stale (``doubt``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace
from typing import Protocol, Self

from pmdash.catch_up import CATCH_UP_AFTER_S, CatchUp, catch_up_later
from pmdash.live.controller import FeedContext, OnConnection, Tap
from pmdash.models import Event, MarketInfo
from pmdash.net.connection import Connection
from pmdash.net.market import market_policy
from pmdash.net.policy import Heartbeat
from pmdash.state.book import OrderBook
from pmdash.state.first_books import FirstBookWaits
from pmdash.state.following import ResolvedStreams, announced, to_retire
from pmdash.state.market import FEED, MARKETS, MarketState
from pmdash.state.store import Store

NO_BOOK_AFTER_S = 10.0
"""Seconds the market feed has been open since an asset's subscription before a book that never
came is said to be missing (a token id the server does not know, or has no book for)."""
TRUST = "market:trust"
"""Dirty key: which books are to be shown stale or missing changed without an event (the feed
went quiet or answered again; a wait for a first book ran out)."""

class MarketSource(Protocol):
    """What the market panels ask of the controller whose books they show (the market feed's,
    or the US venue's when it runs alone)."""

    state: MarketState
    store: Store
    pinned: str | None

    @property
    def listed(self) -> list[str]:
        """The markets it lists, in order."""
        ...

    def book_view(self, book: OrderBook, now: float | None = None) -> tuple[str, str]: ...


class MarketController(OnConnection):
    """The market channel's connection plus its housekeeping (see the module docstring).

    ``listed``: the markets shown, in order (the selection, then those followed). ``pinned``:
    the market on screen, never retired while shown (the dashboard sets it)."""

    feed = FEED

    def __init__(
        self,
        store: Store,
        url: str,
        markets: tuple[MarketInfo, ...] | list[MarketInfo],
        *,
        follow_new_markets: bool = False,
        gamma_rest: str | None = None,
        catch_up_after_s: float = CATCH_UP_AFTER_S,
        no_book_after_s: float = NO_BOOK_AFTER_S,
        heartbeat: Heartbeat | None = None,
        tap: Tap | None = None,
    ) -> None:
        self.store = store
        self.state = store.slice(MarketState)
        self.follow_new_markets = follow_new_markets
        self.gamma_rest = gamma_rest
        """Where the markets were looked up, asked after a reconnect what the socket missed;
        None (``tail --url``: not the feed's exchange): not asked."""
        self.catch_up_after_s = catch_up_after_s
        self.tap = tap
        self.listed: list[str] = []
        self.pinned: str | None = None
        for market in markets:
            self.state.add_market(market)
            self.state.watch(market.token_ids, market.condition_id)
            if market.condition_id not in self.listed:
                self.listed.append(market.condition_id)
        policy = market_policy(url, [t for m in markets for t in m.token_ids])
        if heartbeat is not None:  # tests: a quicker one
            policy = replace(policy, heartbeat=heartbeat)
        self.connection = Connection(
            policy,
            on_events=self._on_events,
            on_reconnect=self._on_reconnect,
            on_lost=self._on_lost,
        )
        self.first_books = FirstBookWaits(no_book_after_s)
        self.doubt: str | None = None
        """Why the socket is open but not trusted right now (a late PONG), or None: its live
        books are shown stale meanwhile, without waiting for new snapshots."""
        self._unstreamed = ResolvedStreams()
        self._markets_seen = -1
        self._catch_up: asyncio.Task[None] | None = None

    @classmethod
    def from_context(
        cls,
        ctx: FeedContext,
        *,
        no_book_after_s: float = NO_BOOK_AFTER_S,
        heartbeat: Heartbeat | None = None,
    ) -> Self:
        endpoints, settings = ctx.endpoints, ctx.settings
        return cls(
            ctx.store,
            ctx.url or endpoints.market_ws,
            list(ctx.markets),
            # With no explicit selection on an embedded exchange, follow every market it
            # lists, including the ones it announces later with `new_market`.
            follow_new_markets=endpoints.embedded and not (settings.markets or settings.assets),
            gamma_rest=endpoints.gamma_rest if ctx.url is None else None,
            tap=ctx.tap,
            no_book_after_s=no_book_after_s,
            heartbeat=heartbeat,
        )

    # --- the Controller protocol -------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self.connection.run()
        finally:
            if self._catch_up is not None:
                self._catch_up.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._catch_up

    def housekeep(self, now: float) -> None:
        """Heal desynced books, follow the markets, note the feed's trust and the first-book
        waits (``now``: ``time.perf_counter()``)."""
        heals = self.state.take_heals()
        if heals:
            self.connection.resync(heals)
        if self.state.markets_version != self._markets_seen:
            self._markets_seen = self.state.markets_version
            self._stop_streaming_resolved()
            if self.follow_new_markets:
                self._follow_new_markets(now)
        status = self.status()
        if status.state in ("live", "stale"):
            # Stale (a server gone quiet) keeps the socket and the subscription: the waits
            # for first books go on.
            self.first_books.feed_open(now)
        else:
            self.first_books.feed_closed()
        doubt = None
        if status.state == "stale":
            doubt = status.detail or "no answer from the server"
        if doubt != self.doubt:
            self.doubt = doubt
            self.store.mark_dirty(TRUST)
        if self.first_books.ran_out(now):
            self.store.mark_dirty(TRUST)

    # --- what a book is to be shown as --------------------------------------------------------

    def book_view(self, book: OrderBook, now: float | None = None) -> tuple[str, str]:
        """The state to show for ``book`` and why: a live book of a feed in doubt is stale; a
        book that never came, with the feed open ``no_book_after_s`` since it was asked for,
        is missing."""
        now = time.perf_counter() if now is None else now
        state = book.state
        waits = self.first_books
        if state == "live" and self.doubt is not None:
            return "stale", self.doubt
        if (
            state in ("empty", "stale")
            and not book.has_snapshot
            and not book.final
            and waits.missing(book.asset_id, now)
        ):
            return "missing", (
                f"no book from the server after {waits.after:g} s — is the token id right?"
            )
        if (
            state == "stale"
            and book.has_snapshot
            and self.doubt is None
            and waits.missing(book.asset_id, now)
        ):
            # Open that long and still no fresh book: not a slow snapshot any more.
            return state, (
                f"no fresh book from the server {waits.after:g} s after reconnecting"
                " — it may no longer list this market"
            )
        if state == "final":
            if book.desync_reason:
                return state, f"out of sync when it closed ({book.desync_reason})"
            return state, "" if book.has_snapshot else "no book was received before it closed"
        return state, book.desync_reason or book.stale_reason or ""

    # --- the connection's callbacks (once per frame) ----------------------------------------

    def _on_events(self, events: list[Event], arrival: float | None) -> None:
        if self.tap is not None:
            events = self.tap(events)
        self.store.apply(events, arrival)

    def _on_lost(self, reason: str) -> None:
        self.state.mark_feed_lost(reason, int(time.time() * 1000))
        self.first_books.feed_closed()

    def _on_reconnect(self) -> None:
        """Every book is stale until its fresh snapshot; a while later, Gamma says which
        markets closed (or, following the whole exchange, were listed) while the socket was
        down: no snapshot or announcement will come for those on the new socket."""
        self.state.mark_feed_reconnected()
        if self.gamma_rest is None:
            return
        if self._catch_up is not None:  # a newer reconnect's catch-up replaces a pending one
            self._catch_up.cancel()
        self._catch_up = asyncio.get_running_loop().create_task(
            catch_up_later(
                self.gamma_rest,
                self.state,
                follow_all=self.follow_new_markets,
                apply=self._caught_up,
                delay=self.catch_up_after_s,
            )
        )

    def _caught_up(self, found: CatchUp) -> None:
        """Markets resolved while the socket was down go through like the feed's own
        ``market_resolved``; markets listed meanwhile are followed at the next housekeeping."""
        for market in found.listed:
            self.state.add_market(market)
        if found.resolved:
            self._on_events(list(found.resolved), None)

    # --- following ---------------------------------------------------------------------------

    def _stop_streaming_resolved(self) -> None:
        """A resolved market's feed has nothing more to say: unsubscribe its tokens, so a
        reconnect neither asks for them nor waits on them (their books stay listed, final)."""
        for market in self._unstreamed.take_new(self.state):
            self.connection.unsubscribe(market.token_ids)
            self.first_books.unsubscribed(market.token_ids)

    def _follow_new_markets(self, now: float) -> None:
        """List and subscribe markets announced with ``new_market``, and retire old resolved
        ones (``state.following``) — only when following the whole exchange: the real feed
        announces every new Polymarket market, and a client watching a chosen few must not
        grow a list of markets it does not stream (nor drop one the user chose). The market on
        screen (``pinned``) stays until the user moves off it."""
        state = self.state
        for market in announced(state, {*self.listed, *state.more_listed}):
            self.listed.append(market.condition_id)
            state.watch(market.token_ids, market.condition_id)
            self.connection.subscribe(market.token_ids)
            self.first_books.subscribed(market.token_ids, now)
        for cid in to_retire(state, self.listed, keep=self.pinned):
            self.listed.remove(cid)
            retired = state.markets.get(cid)
            if retired is not None:
                state.unwatch(retired.token_ids)
                self.connection.unsubscribe(retired.token_ids)
                self.first_books.unsubscribed(retired.token_ids)
        self.store.mark_dirty(MARKETS)
