"""Your account on both venues (CLOB and Polymarket US): orders, fills, positions, cash. Pure.

- Orders by (venue, order id): the latest ``OrderEvent`` wins (a later event never goes back
  to an older timestamp). Open: not in a closed status and not fully matched. Closed ones are
  kept, the newest ``MAX_CLOSED`` of them.
- Fills by (venue, trade id, order id) (a trade can fill two of your maker orders), each with
  the history of statuses it went through. A status after a terminal one (``CONFIRMED``,
  ``FAILED``) is recorded but does not change it.
- Positions by (venue, asset id): from REST (``Position`` events, or ``reconcile``), then moved
  by each fill once it settles (CLOB: ``CONFIRMED``; US: at once), with average price, cost
  and realised P&L (average-cost method); unrealised P&L is marked to a mid given with
  ``mark``. Cash: from ``Balance``, then moved by settled fills (a buy pays price x size).
- ``reconcile``: a REST snapshot (after a start or a reconnect) merged without duplicates:
  open orders replace the venue's open set (an order no longer listed is closed: matched when
  its fills cover it, else cancelled), fills merge by key, positions and cash replace what
  was held, and every fill known as settled by then counts as already in them.

``apply(event)`` returns the dirty keys (``orders``, ``fills``, ``positions``, ``cash``);
``take_notices()`` the notices for a toast (an order filled, partly or fully; a fill failed).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace

from msgspec.structs import replace as replace_event

from pmdash.models import Balance, Event, Fill, OrderEvent, Position, Venue
from pmdash.units import SCALE, fmt_price, fmt_size

TAKES = (OrderEvent, Fill, Position, Balance)
"""The event types ``Portfolio.apply`` takes."""
CLOSED_STATUSES = frozenset({"CANCELED", "CANCELLED", "MATCHED", "FILLED", "INVALID",
                             "UNMATCHED", "EXPIRED", "REJECTED", "KILLED"})
TERMINAL_FILLS = frozenset({"CONFIRMED", "FAILED"})
MAX_CLOSED = 200
MAX_FILLS = 500
MAX_NOTICES = 50

OrderKey = tuple[Venue, str]
FillKey = tuple[Venue, str, str]
PositionKey = tuple[Venue, str]


@dataclass(frozen=True, slots=True)
class FillRecord:
    fill: Fill
    history: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Holding:
    """One position: ``size`` shares (micro-units), ``cost`` paid for them (micro-dollars,
    so ``avg_price = cost / size``), ``realized`` P&L so far."""

    venue: Venue
    asset_id: str
    market: str = ""
    outcome: str = ""
    title: str = ""
    size: int = 0
    cost: int = 0
    realized: int = 0

    @property
    def avg_price(self) -> int:
        return 0 if self.size == 0 else round(self.cost * SCALE / self.size)

    def unrealized(self, mid: int | None) -> int | None:
        """P&L of the shares held, marked to ``mid`` (None: no mark)."""
        if mid is None:
            return None
        return round(self.size * mid / SCALE) - self.cost


def order_is_open(order: OrderEvent) -> bool:
    if order.status in CLOSED_STATUSES:
        return False
    return not (order.original_size and order.size_matched >= order.original_size)


def settles(fill: Fill) -> bool:
    """Whether this step of a fill moves positions and cash."""
    return fill.status == "CONFIRMED" if fill.venue == "clob" else fill.status != "FAILED"


def _notional(price: int, size: int) -> int:
    return round(price * size / SCALE)


class Portfolio:
    """Orders, fills, positions and cash of both venues."""

    def __init__(self) -> None:
        self.orders: dict[OrderKey, OrderEvent] = {}
        self.fills: dict[FillKey, FillRecord] = {}
        self.positions: dict[PositionKey, Holding] = {}
        self.cash: dict[Venue, Balance] = {}
        self.marks: dict[str, int] = {}
        self._applied: set[FillKey] = set()
        """Fills already counted in positions and cash."""
        self._as_of: dict[Venue, int] = {}
        """When each venue's REST positions and cash were read: a fill settled by then is in
        them already."""
        self._closed: deque[OrderKey] = deque()
        self._notices: deque[str] = deque(maxlen=MAX_NOTICES)

    # --- events ------------------------------------------------------------------------------

    def apply(self, event: Event) -> set[str]:
        if isinstance(event, OrderEvent):
            return self._order(event)
        if isinstance(event, Fill):
            return self._fill(event)
        if isinstance(event, Position):
            self._set_position(event)
            return {"positions"}
        if isinstance(event, Balance):
            self.cash[event.venue] = event
            return {"cash"}
        return set()

    def _order(self, event: OrderEvent) -> set[str]:
        key = (event.venue, event.order_id)
        old = self.orders.get(key)
        if old is not None and 0 < event.timestamp < old.timestamp:
            return set()  # older than what is held (a replay, or a reordered frame)
        self.orders[key] = event
        if not order_is_open(event) and (old is None or order_is_open(old)):
            self._closed.append(key)
            while len(self._closed) > MAX_CLOSED:
                self.orders.pop(self._closed.popleft(), None)
        return {"orders"}

    def _fill(self, fill: Fill) -> set[str]:
        key = (fill.venue, fill.trade_id, fill.order_id)
        record = self.fills.get(key)
        dirty = {"fills"}
        if record is None:
            self.fills[key] = FillRecord(fill, (fill.status,))
            if fill.status != "FAILED":
                part = self._order_part(fill)
                self._notices.append(
                    f"{fill.venue.upper()} order {part}: {fill.side} {fmt_size(fill.size)} "
                    f"@ {fmt_price(fill.price)} ({fill.status})")
            self._trim_fills()
        else:
            if record.history[-1] == fill.status:
                return set()
            kept = record.fill if record.fill.status in TERMINAL_FILLS else fill
            self.fills[key] = FillRecord(kept, (*record.history, fill.status))
        latest = self.fills[key].fill
        if latest.status == "FAILED" and (record is None or record.fill.status != "FAILED"):
            self._notices.append(f"{latest.venue.upper()} fill FAILED: {latest.side} "
                                 f"{fmt_size(latest.size)} @ {fmt_price(latest.price)}")
        if settles(latest) and key not in self._applied:
            self._applied.add(key)
            if latest.timestamp > self._as_of.get(latest.venue, -1):
                self._settle(latest)
                dirty |= {"positions", "cash"}
        return dirty

    def _order_part(self, fill: Fill) -> str:
        order = self.orders.get((fill.venue, fill.order_id))
        if order is None:
            return "filled"
        matched = sum(r.fill.size for k, r in self.fills.items()
                      if k[0] == fill.venue and k[2] == fill.order_id
                      and r.fill.status != "FAILED")
        return "filled" if matched >= order.original_size else "partly filled"

    def _trim_fills(self) -> None:
        while len(self.fills) > MAX_FILLS:
            oldest = next(iter(self.fills))
            del self.fills[oldest]
            self._applied.discard(oldest)

    def _set_position(self, p: Position) -> None:
        cost = p.cost if p.cost is not None else round(p.size * p.avg_price / SCALE)
        self.positions[(p.venue, p.asset_id)] = Holding(
            venue=p.venue, asset_id=p.asset_id, market=p.market, outcome=p.outcome,
            title=p.title, size=p.size, cost=cost, realized=p.realized_pnl or 0)

    def _settle(self, fill: Fill) -> None:
        key = (fill.venue, fill.asset_id)
        h = self.positions.get(key) or Holding(venue=fill.venue, asset_id=fill.asset_id,
                                               market=fill.market, outcome=fill.outcome)
        size, cost, realized = h.size, h.cost, h.realized
        signed = fill.size if fill.side == "BUY" else -fill.size
        if size == 0 or (size > 0) == (signed > 0):  # opening or adding
            size += signed
            cost += _notional(fill.price, signed) if signed > 0 else -_notional(fill.price,
                                                                                -signed)
        else:  # reducing (and maybe reversing)
            closing = min(abs(signed), abs(size))
            avg_cost = round(cost * closing / abs(size))
            proceeds = _notional(fill.price, closing)
            realized += proceeds - avg_cost if size > 0 else avg_cost - proceeds
            cost -= avg_cost if size > 0 else -avg_cost
            size += signed
            rest = abs(signed) - closing
            if rest:
                cost = _notional(fill.price, rest) * (1 if signed > 0 else -1)
        self.positions[key] = replace(h, size=size, cost=cost if size else 0,
                                      realized=realized, market=h.market or fill.market,
                                      outcome=h.outcome or fill.outcome)
        cash = self.cash.get(fill.venue)
        if cash is not None:
            paid = _notional(fill.price, fill.size)
            delta = -paid if fill.side == "BUY" else paid
            self.cash[fill.venue] = replace_event(cash, cash=cash.cash + delta,
                                            timestamp=max(cash.timestamp, fill.timestamp))

    # --- marks and reconciliation ------------------------------------------------------------

    def mark(self, asset_id: str, mid: int | None) -> set[str]:
        """The mid unrealised P&L is marked to (None forgets it)."""
        if mid is None:
            return {"positions"} if self.marks.pop(asset_id, None) is not None else set()
        if self.marks.get(asset_id) == mid:
            return set()
        self.marks[asset_id] = mid
        return {"positions"}

    def reconcile(
        self,
        venue: Venue,
        *,
        orders: Iterable[OrderEvent] | None = None,
        fills: Iterable[Fill] = (),
        positions: Iterable[Position] | None = None,
        balance: Balance | None = None,
        as_of_ms: int | None = None,
    ) -> set[str]:
        """Merge a REST snapshot of one venue (see the module doc). ``None``: that part was
        not loaded, and what is held of it stays. ``as_of_ms``: when the positions and cash
        were read; a fill settling later with an older time is taken as already in them (so
        events that arrived while the snapshot loaded can be applied after it)."""
        dirty: set[str] = set()
        if as_of_ms is not None and positions is not None:
            self._as_of[venue] = as_of_ms
        listed = None if orders is None else {o.order_id: o for o in orders}
        for fill in fills:
            key = (fill.venue, fill.trade_id, fill.order_id)
            if positions is not None and settles(fill):
                self._applied.add(key)  # the REST positions already hold it
            dirty |= self._fill(fill)
        if listed is not None:
            for okey, old in list(self.orders.items()):
                if okey[0] == venue and order_is_open(old) and okey[1] not in listed:
                    matched = self._matched(venue, okey[1])
                    full = matched >= old.original_size > 0
                    self._order(replace_event(old, size_matched=max(old.size_matched, matched),
                                        status="MATCHED" if full else "CANCELED",
                                        kind="RECONCILED"))
            for order in listed.values():
                if as_of_ms is not None and order.timestamp < as_of_ms:
                    order = replace_event(order, timestamp=as_of_ms)  # as listed then
                self._order(order)
            dirty.add("orders")
        if positions is not None:
            for pkey in [k for k in self.positions if k[0] == venue]:
                del self.positions[pkey]
            for p in positions:
                self._set_position(p)
            for key, record in self.fills.items():
                if key[0] == venue and settles(record.fill):
                    self._applied.add(key)
            dirty.add("positions")
        if balance is not None:
            self.cash[venue] = balance
            dirty.add("cash")
        return dirty

    def _matched(self, venue: Venue, order_id: str) -> int:
        return sum(r.fill.size for k, r in self.fills.items()
                   if k[0] == venue and k[2] == order_id and r.fill.status != "FAILED")

    # --- reading -----------------------------------------------------------------------------

    def open_orders(self, venue: Venue | None = None) -> list[OrderEvent]:
        return [o for (v, _), o in self.orders.items()
                if order_is_open(o) and (venue is None or v == venue)]

    def last_fill_ms(self, venue: Venue) -> int:
        """The newest fill time seen on ``venue`` (0: none): where a REST catch-up starts."""
        return max((k_r.fill.timestamp for k, k_r in self.fills.items() if k[0] == venue),
                   default=0)

    def take_notices(self) -> list[str]:
        out = list(self._notices)
        self._notices.clear()
        return out
