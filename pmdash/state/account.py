"""The account slice: your orders, fills, positions and cash on both venues, one ``Portfolio``.

Pure: no asyncio, no I/O. The CLOB ``user`` feed and the Polymarket US ``us-private`` feed both
fold into it, so it is ``shared`` (``Store.add_slice`` keeps the first one made: each feed's
``FeedSpec.slices`` makes one and finds the kept one with ``store.slice(AccountState)``). Its
dirty keys are ``account:<what>`` (``orders``, ``fills``, ``positions``, ``cash``), whichever
venue changed them; controllers that reconcile from REST call ``reconcile`` here so the same
keys are marked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pmdash.models import Balance, Event, FeedError, Fill, OrderEvent, Position, Venue
from pmdash.state.portfolio import Portfolio

FEED = "account"
"""The prefix of the slice's dirty keys (not a feed id: both venues' private feeds share it)."""
PREFIX = FEED + ":"


def account_key(what: str) -> str:
    """The dirty key of one part of the account (``orders``, ``fills``, ``positions``,
    ``cash``)."""
    return PREFIX + what


class AccountState:
    """A ``Slice`` over one ``Portfolio`` (see the module docstring)."""

    feed = FEED
    shared = True

    def __init__(self) -> None:
        self.portfolio = Portfolio()
        self.panel_made = False
        """Set by the first feed that made the account panel: the others make none."""
        self._dirty: set[str] = set()

    # --- the Slice protocol ------------------------------------------------------------------

    def bind(self, dirty: set[str]) -> None:
        dirty |= self._dirty
        self._dirty = dirty

    def routes(self) -> Mapping[type[Any], Callable[[Any], bool]]:
        return {OrderEvent: self.apply, Fill: self.apply, Position: self.apply,
                Balance: self.apply}

    def distrust(self, error: FeedError) -> bool:
        return False  # what the account holds is reconciled from REST after a reconnect

    # --- folding -----------------------------------------------------------------------------

    def apply(self, event: Event) -> bool:
        return self._mark(self.portfolio.apply(event))

    def reconcile(
        self,
        venue: Venue,
        *,
        orders: Iterable[OrderEvent] | None = None,
        positions: Iterable[Position] | None = None,
        balance: Balance | None = None,
        as_of_ms: int | None = None,
    ) -> bool:
        """``Portfolio.reconcile`` of one venue's REST snapshot, its changes marked dirty."""
        return self._mark(self.portfolio.reconcile(
            venue, orders=orders, positions=positions, balance=balance, as_of_ms=as_of_ms))

    def mark(self, asset_id: str, mid: int | None) -> bool:
        """The mid a position's unrealised P&L is marked to (``Portfolio.mark``)."""
        return self._mark(self.portfolio.mark(asset_id, mid))

    def _mark(self, changed: set[str]) -> bool:
        for what in changed:
            self._dirty.add(PREFIX + what)
        return bool(changed)
