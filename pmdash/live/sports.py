"""The sports feed's controller, for the dashboard and ``pmdash tail sports``.

The socket needs no subscription and answers ``ping`` itself (``net.sports``). Beyond that the
feed's housekeeping links games to markets: when the market feed runs beside it (the
dashboard), the markets it lists are linked to their games (Gamma ``gameId`` or slug) and the
mid of each linked market is followed, so a score change can be set against the price move
after it. Finished games are pruned once a second. ``tail`` has no market feed: it links
nothing.
"""

from __future__ import annotations

from typing import Self

from pmdash.live.controller import FeedContext, OnConnection, Tap
from pmdash.models import Event
from pmdash.net.connection import Connection
from pmdash.net.sports import PING_TIMEOUT_S, sports_policy, sports_url
from pmdash.state.market import MarketState
from pmdash.state.sports import SportsState
from pmdash.state.store import Store

PRUNE_EVERY_S = 1.0


class SportsController(OnConnection):
    """The sports socket plus the game-market links (see the module docstring)."""

    feed = "sports"

    def __init__(
        self,
        store: Store,
        url: str,
        *,
        tap: Tap | None = None,
        ping_timeout: float = PING_TIMEOUT_S,
    ) -> None:
        self.store = store
        self.state = store.slice(SportsState)
        self.tap = tap
        policy = sports_policy(url, ping_timeout=ping_timeout)
        self.connection = Connection(policy, on_events=self._on_events)
        self._markets_seen = -1
        self._pruned_at = 0.0

    @classmethod
    def from_context(cls, ctx: FeedContext, *, ping_timeout: float = PING_TIMEOUT_S) -> Self:
        return cls(
            ctx.store,
            ctx.url or sports_url(ctx.endpoints),
            tap=ctx.tap,
            ping_timeout=ping_timeout,
        )

    # --- the Controller protocol -------------------------------------------------------------

    async def run(self) -> None:
        await self.connection.run()

    def housekeep(self, now: float) -> None:
        """Link the market feed's markets to their games and follow their mids; prune
        finished games (``now``: ``time.perf_counter()``)."""
        if now - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = now
            self.state.prune()
        market = self.store.find(MarketState)
        if market is None:
            return
        if market.markets_version != self._markets_seen:
            self._markets_seen = market.markets_version
            self.state.link_markets(market.markets.values())
        for info, _ in self.state.links.linked():
            book = market.books.get(info.token_ids[0]) if info.token_ids else None
            if book is not None and book.has_snapshot:
                self.state.on_mid(info.condition_id, book.mid)

    def _on_events(self, events: list[Event], arrival: float | None) -> None:
        if self.tap is not None:
            events = self.tap(events)
        self.store.apply(events, arrival)

