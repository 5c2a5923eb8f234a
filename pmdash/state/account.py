"""The account slice: one ``Portfolio`` (both venues) in the Store, fed by any feed.

Every feed that carries your account (the CLOB ``user`` channel, the Polymarket US private
feed) emits the same events (``OrderEvent``, ``Fill``, ``Position``, ``Balance``, each with its
``venue``). An event type goes to one slice only, so the account is ONE slice that takes those
events from every feed: ``shared = True`` makes the Store keep the first ``AccountState`` it is
given and skip another (each feed's ``FeedSpec.slices`` may return one; the dashboard holds one
portfolio). A feed's controller finds it with ``store.slice(AccountState)``.

Dirty keys: ``account:orders``, ``account:fills``, ``account:positions``, ``account:cash``
(``ACCOUNT_KEYS``). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pmdash.models import Balance, Event, FeedError, Fill, OrderEvent, Position, Venue
from pmdash.state.portfolio import TAKES, Portfolio

FEED = "account"
PREFIX = FEED + ":"
ORDERS = PREFIX + "orders"
FILLS = PREFIX + "fills"
POSITIONS = PREFIX + "positions"
CASH = PREFIX + "cash"
ACCOUNT_KEYS = frozenset({ORDERS, FILLS, POSITIONS, CASH})


class AccountState:
    """The Store's slice around one ``Portfolio`` (see the module docstring)."""

    feed = FEED
    shared = True
    """One instance per Store, whichever feeds ask for it."""

    def __init__(self, portfolio: Portfolio | None = None) -> None:
        self.portfolio = portfolio or Portfolio()
        self._dirty: set[str] = set()

    def bind(self, dirty: set[str]) -> None:
        self._dirty = dirty

    def routes(self) -> Mapping[type[Any], Callable[[Any], bool]]:
        return dict.fromkeys(TAKES, self.apply)

    def distrust(self, error: FeedError) -> bool:
        """Nothing: an unreadable account frame is healed by the REST reconcile after a
        reconnect, not by distrusting what is held."""
        return False

    def _mark(self, keys: Iterable[str]) -> bool:
        changed = False
        for key in keys:
            self._dirty.add(PREFIX + key)
            changed = True
        return changed

    def apply(self, event: Event) -> bool:
        """Fold one account event in (what the Store's routes do)."""
        return self._mark(self.portfolio.apply(event))

    def reconcile(
        self,
        venue: Venue,
        *,
        orders: Iterable[OrderEvent] | None = None,
        fills: Iterable[Fill] = (),
        positions: Iterable[Position] | None = None,
        balance: Balance | None = None,
        as_of_ms: int | None = None,
    ) -> bool:
        """Merge a REST snapshot of one venue (``Portfolio.reconcile``); marks what changed."""
        return self._mark(self.portfolio.reconcile(
            venue, orders=orders, fills=fills, positions=positions, balance=balance,
            as_of_ms=as_of_ms))

    def mark_to(self, mids: Callable[[str], int | None]) -> bool:
        """Mark every position to ``mids(asset_id)`` (None: no live mid, forget the mark)."""
        changed = False
        for _, asset_id in list(self.portfolio.positions):
            if self._mark(self.portfolio.mark(asset_id, mids(asset_id))):
                changed = True
        return changed

    def take_notices(self) -> list[str]:
        """Fills to tell the user about since the last call (``Portfolio.take_notices``)."""
        return self.portfolio.take_notices()
