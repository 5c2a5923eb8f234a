"""Codec of the Polymarket US private socket ``/v1/ws/private`` (PROTOCOLS §5.2, §5.3).

Dispatch in the SDK's order: ``heartbeat`` -> ``error`` (a truthy ``error`` wins even beside a
payload) -> payload keys, each with every legacy alias still dispatched:

- order snapshot (``orderSubscriptionSnapshot`` / ``ordersSnapshot``, possibly several frames
  until ``eof``): one ``OrderEvent`` per order, ``kind="SNAPSHOT"``;
- order update (``orderSubscriptionUpdate`` / ``orderUpdate``): the execution as an
  ``OrderEvent`` (``kind`` the execution type: ``NEW``, ``PARTIAL_FILL``, ``FILL``,
  ``CANCELED``, ``REJECTED`` ...), plus a ``Fill`` when it traded shares (final at once:
  ``status="CONFIRMED"``; ``role`` taker when it was the aggressor);
- position update (``positionSubscription`` / ``positionSubscriptionUpdate`` /
  ``positionUpdate``, the last one the legacy ``{marketSlug, position}``) and the legacy
  position snapshots: one ``Position`` per market (a position closed out has size 0);
- balances (``accountBalancesSnapshot`` / ``accountBalanceSubscriptionSnapshot``,
  ``accountBalancesUpdate`` / ``accountBalanceSubscriptionUpdate`` / ``accountBalanceUpdate``):
  ``Balance`` events;
- ``rfqEvent``: kept as an ``UnknownEvent`` (pmdash does not trade RFQs).

Every account event has ``venue="us"`` and the market slug as market and asset id. Money is
exact micro-units (the balance numbers arrive as JSON numbers and are read as decimals).
Pure and sans-I/O; never raises.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from pmdash.feeds import us_wire
from pmdash.feeds.us_wire import Amount, FrameError
from pmdash.models import (
    Balance,
    Event,
    FeedError,
    Fill,
    OrderEvent,
    Position,
    UnknownEvent,
    Venue,
)

FEED = "us-private"
ORDER = "SUBSCRIPTION_TYPE_ORDER"
ORDER_SNAPSHOT = "SUBSCRIPTION_TYPE_ORDER_SNAPSHOT"
POSITION = "SUBSCRIPTION_TYPE_POSITION"
ACCOUNT_BALANCE = "SUBSCRIPTION_TYPE_ACCOUNT_BALANCE"
RFQ = "SUBSCRIPTION_TYPE_RFQ"
TYPES = (ORDER, ORDER_SNAPSHOT, POSITION, ACCOUNT_BALANCE, RFQ)
VENUE: Venue = "us"
_TRADED = frozenset({"PARTIAL_FILL", "FILL"})



class MarketMetadata(msgspec.Struct, frozen=True, gc=False):
    slug: str = ""
    title: str = ""
    outcome: str = ""


class Order(msgspec.Struct, frozen=True, gc=False):
    id: str
    marketSlug: str = ""
    side: str = ""
    type: str = ""
    price: Amount | None = None
    quantity: Decimal | None = None
    cumQuantity: Decimal | None = None
    leavesQuantity: Decimal | None = None
    tif: str = ""
    intent: str = ""
    state: str = ""
    marketMetadata: MarketMetadata | None = None
    insertTime: str | None = None
    createTime: str | None = None


class Execution(msgspec.Struct, frozen=True, gc=False):
    order: Order
    id: str = ""
    type: str = ""
    lastShares: Decimal | None = None
    lastPx: Amount | None = None
    text: str = ""
    orderRejectReason: str = ""
    transactTime: str | None = None
    tradeId: str = ""
    aggressor: bool | None = None


class OrderSnapshot(msgspec.Struct, frozen=True, gc=False):
    orders: list[Order] | None = None
    eof: bool = False


class OrderUpdate(msgspec.Struct, frozen=True, gc=False):
    execution: Execution


class UserPosition(msgspec.Struct, frozen=True, gc=False):
    netPosition: Decimal | None = None
    netPositionDecimal: str | None = None
    cost: Amount | None = None
    realized: Amount | None = None
    avgPx: Amount | None = None
    costPerShare: Amount | None = None
    updateTime: str | None = None
    marketMetadata: MarketMetadata | None = None
    positionId: str = ""


class PositionUpdate(msgspec.Struct, frozen=True, gc=False):
    beforePosition: UserPosition | None = None
    afterPosition: UserPosition | None = None
    updateTime: str | None = None
    entryType: str = ""
    tradeId: str = ""
    marketSlug: str = ""
    """Legacy ``positionUpdate``: ``{marketSlug, position}``."""
    position: UserPosition | None = None


class PositionSnapshot(msgspec.Struct, frozen=True, gc=False):
    positions: dict[str, UserPosition] | None = None
    eof: bool = False


class UserBalance(msgspec.Struct, frozen=True, gc=False):
    currentBalance: Decimal | None = None
    buyingPower: Decimal | None = None
    openOrders: Decimal | None = None
    currency: str = "USD"
    lastUpdated: str | None = None


class BalanceChange(msgspec.Struct, frozen=True, gc=False):
    beforeBalance: UserBalance | Decimal | None = None
    afterBalance: UserBalance | Decimal | None = None
    updateTime: str | None = None
    description: str = ""


class BalancesSnapshot(msgspec.Struct, frozen=True, gc=False):
    balances: list[UserBalance] | None = None
    balance: Decimal | None = None
    """Legacy ``accountBalanceSubscriptionSnapshot``: ``{balance, buyingPower}``."""
    buyingPower: Decimal | None = None


class BalancesUpdate(msgspec.Struct, frozen=True, gc=False):
    balanceChange: BalanceChange | None = None
    balance: Decimal | None = None
    """Legacy flat updates: ``{balance, buyingPower}``."""
    buyingPower: Decimal | None = None


class PrivateFrame(us_wire.Envelope, frozen=True, gc=False):
    orderSubscriptionSnapshot: OrderSnapshot | None = None
    ordersSnapshot: OrderSnapshot | None = None
    orderSubscriptionUpdate: OrderUpdate | None = None
    orderUpdate: OrderUpdate | None = None
    positionSubscription: PositionUpdate | None = None
    positionSubscriptionUpdate: PositionUpdate | None = None
    positionUpdate: PositionUpdate | None = None
    positionSubscriptionSnapshot: PositionSnapshot | None = None
    positionsSnapshot: PositionSnapshot | None = None
    accountBalancesSnapshot: BalancesSnapshot | None = None
    accountBalanceSubscriptionSnapshot: BalancesSnapshot | None = None
    accountBalancesUpdate: BalancesUpdate | None = None
    accountBalanceSubscriptionUpdate: BalancesUpdate | None = None
    accountBalanceUpdate: BalancesUpdate | None = None
    rfqEvent: Any = None


def subscribe(request_id: str, subscription_type: str, slugs: list[str] | None = None) -> str:
    """One private subscription; no slugs means every market (ORDER, POSITION)."""
    if subscription_type not in TYPES:
        raise ValueError(f"not a private subscription type: {subscription_type!r}")
    return us_wire.subscribe(request_id, subscription_type, slugs or ())


unsubscribe = us_wire.unsubscribe


def decode(frame: str | bytes) -> list[Event]:
    """One frame -> events (``[]`` for a heartbeat or an empty snapshot). Never raises."""
    return us_wire.decode(FEED, frame, PrivateFrame, _events)


def _first(*candidates: Any) -> Any:
    return next((c for c in candidates if c is not None), None)


def _events(msg: PrivateFrame, frame: str | bytes) -> list[Event]:
    snapshot = _first(msg.orderSubscriptionSnapshot, msg.ordersSnapshot)
    if snapshot is not None:
        return [order_event(o, "SNAPSHOT", 0) for o in snapshot.orders or ()]
    update = _first(msg.orderSubscriptionUpdate, msg.orderUpdate)
    if update is not None:
        return _execution(update.execution)
    position = _first(msg.positionSubscription, msg.positionSubscriptionUpdate,
                      msg.positionUpdate)
    if position is not None:
        return [_position_update(position)]
    positions = _first(msg.positionSubscriptionSnapshot, msg.positionsSnapshot)
    if positions is not None:
        return [position_of(_position_key(slug, p), p, 0)
                for slug, p in (positions.positions or {}).items()]
    balances = _first(msg.accountBalancesSnapshot, msg.accountBalanceSubscriptionSnapshot)
    if balances is not None:
        return _balance_snapshot(balances)
    change = _first(msg.accountBalancesUpdate, msg.accountBalanceSubscriptionUpdate,
                    msg.accountBalanceUpdate)
    if change is not None:
        return [_balance_update(change)]
    if msg.rfqEvent is not None:
        data = us_wire.load(FEED, frame, dict[str, Any])
        if isinstance(data, FeedError):
            return [data]
        return [UnknownEvent(feed=FEED, event_type="rfqEvent", data=data)]
    return [us_wire.error(FEED, "frame without a known payload", frame)]


# --- orders ----------------------------------------------------------------------------------


def _slug(order: Order) -> str:
    slug = order.marketSlug or (order.marketMetadata.slug if order.marketMetadata else "")
    if not slug:
        raise FrameError(f"order {order.id}: no marketSlug")
    return slug


def order_event(order: Order, kind: str, timestamp: int) -> OrderEvent:
    """One order (a snapshot entry, an execution's order, or REST open orders)."""
    slug = _slug(order)
    meta = order.marketMetadata
    outcome = (meta.outcome if meta and meta.outcome else "") or us_wire.outcome_of_intent(
        order.intent
    )
    return OrderEvent(
        feed=FEED,
        venue=VENUE,
        order_id=order.id,
        market=slug,
        asset_id=slug,
        outcome=outcome,
        side=us_wire.side_of(order.side),
        price=us_wire.price(order.price, f"order {order.id} price") if order.price else 0,
        original_size=us_wire.size(order.quantity, f"order {order.id} quantity"),
        size_matched=us_wire.size(order.cumQuantity, f"order {order.id} cumQuantity"),
        status=us_wire.strip_prefix(order.state, "ORDER_STATE_") or "NEW",
        kind=kind,
        order_type=us_wire.strip_prefix(order.type, "ORDER_TYPE_"),
        timestamp=timestamp or us_wire.rfc3339_ms(order.insertTime or order.createTime),
    )


def _execution(ex: Execution) -> list[Event]:
    kind = us_wire.strip_prefix(ex.type, "EXECUTION_TYPE_")
    ts = us_wire.rfc3339_ms(ex.transactTime)
    order = order_event(ex.order, kind, ts)
    events: list[Event] = [order]
    shares = us_wire.size(ex.lastShares, f"execution {ex.id} lastShares")
    if kind in _TRADED and shares:
        px = us_wire.price(ex.lastPx, f"execution {ex.id} lastPx") if ex.lastPx else order.price
        events.append(Fill(
            feed=FEED,
            venue=VENUE,
            trade_id=ex.tradeId or ex.id,
            order_id=order.order_id,
            market=order.market,
            asset_id=order.asset_id,
            outcome=order.outcome,
            side=order.side,
            price=px,
            size=shares,
            status="CONFIRMED",
            role="taker" if ex.aggressor else "maker",
            timestamp=order.timestamp,
        ))
    return events


# --- positions -------------------------------------------------------------------------------


def _position_key(slug: str, pos: UserPosition | None) -> str:
    """What identifies a position: the market slug (its metadata's, or the frame's), else
    the gateway's ``positionId`` (real updates can carry neither metadata nor slug)."""
    if pos is not None and pos.marketMetadata is not None and pos.marketMetadata.slug:
        return pos.marketMetadata.slug
    return slug or (pos.positionId if pos is not None else "")


def position_of(slug: str, pos: UserPosition | None, timestamp: int) -> Position:
    """One ``UserPosition`` (``None``: closed out, size 0). The size is the net position
    (negative: short; ``netPositionDecimal`` when given, else ``netPosition``); the average
    price is ``avgPx``, else ``costPerShare``, else |cost / size|."""
    if not slug:
        raise FrameError("position without a market slug or positionId")
    if pos is None:
        return Position(feed=FEED, venue=VENUE, asset_id=slug, market=slug, size=0,
                        avg_price=0, cost=0, timestamp=timestamp)
    meta = pos.marketMetadata
    exact = pos.netPositionDecimal or None
    net = us_wire.units(_first(exact, pos.netPosition) or 0, f"position {slug} netPosition")
    cost = None if pos.cost is None else us_wire.units(pos.cost.value, f"position {slug} cost")
    avg_amount = _first(pos.avgPx, pos.costPerShare)
    if avg_amount is not None:
        avg = us_wire.units(avg_amount.value, f"position {slug} avgPx")
    elif cost is not None and net:
        avg = abs(cost * 1_000_000 // net)
    else:
        avg = 0
    realized = pos.realized
    return Position(
        feed=FEED,
        venue=VENUE,
        asset_id=slug,
        market=slug,
        outcome=meta.outcome if meta else "",
        title=meta.title if meta else "",
        size=net,
        avg_price=avg,
        cost=cost,
        realized_pnl=None if realized is None else us_wire.units(realized.value,
                                                                 f"position {slug} realized"),
        timestamp=timestamp or us_wire.rfc3339_ms(pos.updateTime),
    )


def _position_update(update: PositionUpdate) -> Position:
    ts = us_wire.rfc3339_ms(update.updateTime)
    if update.position is not None:  # legacy {marketSlug, position}
        return position_of(_position_key(update.marketSlug, update.position), update.position,
                           ts)
    after, before = update.afterPosition, update.beforePosition
    key = _position_key(update.marketSlug, after) or _position_key("", before)
    return position_of(key, after, ts)


# --- balances --------------------------------------------------------------------------------


def balance_of(bal: UserBalance, timestamp: int) -> Balance:
    """One ``UserBalance`` (socket or REST)."""
    return Balance(
        feed=FEED,
        venue=VENUE,
        currency=bal.currency or "USD",
        cash=us_wire.units(bal.currentBalance if bal.currentBalance is not None else 0,
                           "currentBalance"),
        buying_power=None if bal.buyingPower is None else us_wire.units(bal.buyingPower,
                                                                        "buyingPower"),
        open_orders=None if bal.openOrders is None else us_wire.units(bal.openOrders,
                                                                     "openOrders"),
        timestamp=timestamp or us_wire.rfc3339_ms(bal.lastUpdated),
    )


def _legacy_balance(cash: Decimal, buying_power: Decimal | None) -> Balance:
    return Balance(
        feed=FEED, venue=VENUE, currency="USD", cash=us_wire.units(cash, "balance"),
        buying_power=None if buying_power is None else us_wire.units(buying_power, "buyingPower"),
        timestamp=0,
    )


def _balance_snapshot(snap: BalancesSnapshot) -> list[Event]:
    if snap.balances is not None:
        return [balance_of(b, 0) for b in snap.balances]
    if snap.balance is not None:
        return [_legacy_balance(snap.balance, snap.buyingPower)]
    raise FrameError("balance snapshot without balances")


def _balance_update(update: BalancesUpdate) -> Balance:
    change = update.balanceChange
    if change is not None:
        after = change.afterBalance
        ts = us_wire.rfc3339_ms(change.updateTime)
        if isinstance(after, UserBalance):
            return balance_of(after, ts)
        if after is not None:
            return Balance(feed=FEED, venue=VENUE, currency="USD",
                           cash=us_wire.units(after, "afterBalance"), timestamp=ts)
        raise FrameError("balance change without afterBalance")
    if update.balance is not None:
        return _legacy_balance(update.balance, update.buyingPower)
    raise FrameError("balance update without balanceChange")
