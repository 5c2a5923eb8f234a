"""Following a whole exchange (``--demo``, ``--base-url`` with no selection): which markets to
list as the exchange announces and resolves them. One policy for the dashboard and ``tail``;
the callers do the subscribing.

A market announced with ``new_market`` is listed (unless already resolved); a resolved market
is no longer streamed (its books stay, final); only the ``KEEP_RESOLVED`` markets resolved last
stay listed, so a client left running all day keeps its size.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from pmdash.models import MarketInfo
from pmdash.state.market import MarketState

KEEP_RESOLVED = 5
"""How many resolved markets stay listed (the last ones to resolve)."""
MAX_FOLLOWED = 1_000
"""Most markets listed (and streamed) while following a whole exchange."""


def announced(
    store: MarketState, listed: Collection[str], most: int = MAX_FOLLOWED
) -> list[MarketInfo]:
    """Markets added to the store since the last call that are not listed yet, not resolved,
    and have tokens: the ones the exchange announced since, to list and subscribe. At most
    enough to bring ``listed`` to ``most``: a server announcing markets without end (a
    ``new_market`` flood) fills the list once, not memory; the rest are not followed. O(new
    markets), not O(every market known), so a flood costs each frame only what it brought."""
    room = most - len(listed)
    fresh = store.take_new_markets()
    if room <= 0:
        return []
    resolved = store.resolved
    found: list[MarketInfo] = []
    for market in fresh:
        cid = market.condition_id
        if cid not in listed and cid not in resolved and market.token_ids:
            found.append(market)
            if len(found) == room:
                break
    return found


def to_retire(store: MarketState, listed: Iterable[str], keep: str | None = None) -> list[str]:
    """The listed markets resolved before the ``KEEP_RESOLVED`` last ones, oldest first, but
    ``keep`` (the one on screen): to unlist, unwatch and unsubscribe."""
    shown = set(listed)
    resolved = [cid for cid in store.resolved if cid in shown]  # oldest first
    return [cid for cid in resolved[: max(0, len(resolved) - KEEP_RESOLVED)] if cid != keep]


class ResolvedStreams:
    """Which resolved markets were already unsubscribed (bounded with the store's resolved)."""

    def __init__(self) -> None:
        self._done: set[str] = set()

    def take_new(self, store: MarketState) -> list[MarketInfo]:
        """The resolved markets not handed out before: their tokens are to be unsubscribed."""
        resolved = store.resolved
        if len(self._done) > 2 * len(resolved) + 64:
            self._done &= resolved.keys()
        fresh: list[MarketInfo] = []
        for cid in resolved:
            if cid in self._done:
                continue
            self._done.add(cid)
            market = store.markets.get(cid)
            if market is not None:
                fresh.append(market)
        return fresh
