"""After a reconnect: what the market feed could not say while its socket was down.

A market that resolved meanwhile sends the new socket no ``market_resolved`` and no snapshot of
its tokens, so its books would wait, STALE, for good. A market an embedded exchange listed
meanwhile announced itself (``new_market``) to no one. ``CATCH_UP_AFTER_S`` after a reconnect,
the dashboard and ``tail`` ask Gamma (``catch_up``): the markets of books still waiting for a
snapshot that Gamma says are closed are resolved (their books final, the winner the outcome
Gamma prices at 1), and when following a whole exchange, the open markets it lists that are not
known yet are added (the caller subscribes them, as after a ``new_market``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from pmdash.models import MarketInfo, MarketResolved
from pmdash.net import rest
from pmdash.net.http import HttpError
from pmdash.selection import MAX_WATCHED_MARKETS
from pmdash.state.market import MarketState
from pmdash.units import SCALE

CATCH_UP_AFTER_S = 5.0
"""How long after a reconnect books may wait for their fresh snapshot before Gamma is asked
whether their markets closed meanwhile."""


@dataclass(frozen=True)
class CatchUp:
    resolved: list[MarketResolved]
    """Markets of waiting books that are closed: apply these to the store."""
    listed: list[MarketInfo]
    """Open markets the exchange lists that the store does not know (following it whole)."""


def waiting_markets(store: MarketState) -> list[str]:
    """Condition ids of the markets with a book still waiting for a snapshot (stale, or never
    given one) and not final, in the order the store holds the books."""
    waiting: dict[str, None] = {}
    for asset_id, book in store.books.items():
        if book.state in ("stale", "empty"):
            info = store.market_of(asset_id)
            market = book.market or (info.condition_id if info is not None else "")
            if market:
                waiting[market] = None
    return list(waiting)


def resolution(market: MarketInfo, timestamp_ms: int) -> MarketResolved:
    """The ``market_resolved`` a closed market's Gamma record stands for; the winner is the
    one outcome Gamma prices at 1, or none when it prices no single outcome so."""
    winners = [i for i, price in enumerate(market.outcome_prices) if price == SCALE]
    index = winners[0] if len(winners) == 1 and winners[0] < len(market.token_ids) else None
    return MarketResolved(
        feed="market",
        id=market.gamma_id,
        market=market.condition_id,
        asset_ids=market.token_ids,
        winning_asset_id=market.token_ids[index] if index is not None else "",
        winning_outcome=market.outcomes[index] if index is not None else "",
        timestamp=timestamp_ms,
    )


async def catch_up(
    gamma_base: str, store: MarketState, *, follow_all: bool, timeout: float = rest.TIMEOUT
) -> CatchUp:
    """Ask Gamma what happened while the socket was down (see the module). Raises
    ``HttpError`` when Gamma gives no usable answer: the books then stay STALE, which is
    true."""
    waiting = waiting_markets(store)
    resolved: list[MarketResolved] = []
    if waiting:
        asked = set(waiting)
        now_ms = int(time.time() * 1000)
        closed = await rest.markets_by_condition(gamma_base, waiting, closed=True, timeout=timeout)
        resolved = [
            resolution(m, now_ms)
            for m in closed
            if m.closed and m.condition_id in asked and m.condition_id not in store.resolved
        ]
    listed: list[MarketInfo] = []
    if follow_all:
        known = store.markets
        listed = [
            m
            for m in await rest.list_markets(
                gamma_base, limit=MAX_WATCHED_MARKETS, timeout=timeout
            )
            if m.condition_id not in known and m.token_ids and not m.closed
        ]
    return CatchUp(resolved, listed)


async def catch_up_later(
    gamma_base: str,
    store: MarketState,
    *,
    follow_all: bool,
    apply: Callable[[CatchUp], None],
    delay: float = CATCH_UP_AFTER_S,
) -> None:
    """After a reconnect: wait ``delay`` s (fresh snapshots arrive meanwhile), then
    ``catch_up`` and hand what it found to ``apply``. A Gamma that gives no usable answer
    changes nothing: books still waiting stay STALE, which is true."""
    await asyncio.sleep(delay)
    try:
        found = await catch_up(gamma_base, store, follow_all=follow_all)
    except HttpError:
        return
    if found.resolved or found.listed:
        apply(found)
