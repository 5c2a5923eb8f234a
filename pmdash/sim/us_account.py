"""The embedded exchange's demo Polymarket US account: orders that rest, fill partly and fully,
get cancelled or rejected, with the positions and balance that follow from them.

``step(market)`` runs the next move of a fixed seven-move script against one market's live
book (``Quote``: its slug, title and touch), so prices are the book's own:

0. BUY 10 at the best bid (``NEW``: it rests; its cost is held as ``openOrders``)
1. 4 of them fill (``PARTIAL_FILL``)      2. the other 6 fill (``FILL``)
3. SELL 3 at the best ask (``NEW``)         4. that order is cancelled (``CANCELED``)
5. BUY 5 five ticks under the bid (``NEW``, left resting; beyond three resting orders the
   oldest is cancelled first)               6. a BUY larger than the buying power (``REJECTED``)

Each move returns ``Update``s (an execution, a position change, a balance change) as wire
payloads (PROTOCOLS §5.3); ``sim/us.py`` frames them per subscription. Money is kept in exact
micro-units; balance numbers go out as JSON numbers, as the gateway sends them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from pmdash.units import SCALE, to_decimal_str

Json = dict[str, Any]
MAX_RESTING = 3
START_CASH = 1_000 * SCALE
_TICK = 10_000


def iso_ms(ms: int) -> str:
    """Unix ms as RFC-3339 with milliseconds and ``Z``."""
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def amount(units: int) -> Json:
    return {"value": to_decimal_str(units), "currency": "USD"}


def money(units: int) -> float:
    """Micro-units as the JSON number the gateway sends (its shortest form is exact)."""
    return units / SCALE


@dataclass(frozen=True)
class Quote:
    """One US market as the account sees it: slug, title and the book's touch."""

    slug: str
    title: str
    bid: int | None
    ask: int | None


@dataclass
class DemoOrder:
    id: str
    slug: str
    title: str
    side: Literal["BUY", "SELL"]
    price: int
    shares: int
    created_ms: int
    filled: int = 0
    state: str = "NEW"

    @property
    def leaves(self) -> int:
        return 0 if self.state in ("FILLED", "CANCELED", "REJECTED") else self.shares - self.filled


@dataclass
class DemoPosition:
    slug: str
    title: str
    shares: int = 0
    cost: int = 0
    """Micro-units of USD paid for the shares held."""
    realized: int = 0
    updated_ms: int = 0


@dataclass(frozen=True)
class Update:
    """One private payload: ``kind`` is ``order`` (an execution), ``position`` or ``balance``."""

    kind: Literal["order", "position", "balance"]
    slug: str
    payload: Json


@dataclass
class UsAccount:
    cash: int = START_CASH
    orders: dict[str, DemoOrder] = field(default_factory=dict)
    positions: dict[str, DemoPosition] = field(default_factory=dict)
    move: int = 0
    _seq: int = 0
    _current: str = ""
    _selling: str = ""

    # --- views (wire shapes) ----------------------------------------------------------------

    def open_orders(self) -> list[DemoOrder]:
        return [o for o in self.orders.values() if o.leaves > 0]

    def held(self) -> int:
        """Cash held by resting BUY orders."""
        return sum(o.leaves * o.price // SCALE for o in self.open_orders() if o.side == "BUY")

    def order_json(self, order: DemoOrder) -> Json:
        return {
            "id": order.id,
            "marketSlug": order.slug,
            "side": f"ORDER_SIDE_{order.side}",
            "type": "ORDER_TYPE_LIMIT",
            "price": amount(order.price),
            "quantity": order.shares // SCALE,
            "cumQuantity": order.filled // SCALE,
            "leavesQuantity": order.leaves // SCALE,
            "tif": "TIME_IN_FORCE_GOOD_TILL_CANCEL",
            "intent": "ORDER_INTENT_BUY_LONG" if order.side == "BUY" else "ORDER_INTENT_SELL_LONG",
            "state": f"ORDER_STATE_{order.state}",
            "marketMetadata": {"slug": order.slug, "title": order.title, "outcome": "Yes"},
            "createTime": iso_ms(order.created_ms),
        }

    def position_json(self, slug: str) -> Json:
        pos = self.positions[slug]
        avg = pos.cost * SCALE // pos.shares if pos.shares else 0
        return {
            "netPosition": str(pos.shares // SCALE),
            "netPositionDecimal": to_decimal_str(pos.shares),
            "cost": amount(pos.cost),
            "realized": amount(pos.realized),
            "avgPx": amount(avg),
            "expired": False,
            "updateTime": iso_ms(pos.updated_ms),
            "marketMetadata": {"slug": slug, "title": pos.title, "outcome": "Yes"},
        }

    def balance_json(self, now_ms: int) -> Json:
        held = self.held()
        return {
            "currentBalance": money(self.cash),
            "currency": "USD",
            "buyingPower": money(self.cash - held),
            "openOrders": money(held),
            "lastUpdated": iso_ms(now_ms),
        }

    # --- the script -------------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}-{self._seq}"

    def _execution(self, order: DemoOrder, kind: str, now_ms: int, *, shares: int = 0,
                   reason: str = "") -> Update:
        body: Json = {
            "id": self._next_id("exec"),
            "order": self.order_json(order),
            "lastShares": to_decimal_str(shares),
            "lastPx": amount(order.price),
            "type": f"EXECUTION_TYPE_{kind}",
            "text": reason,
            "orderRejectReason": reason,
            "transactTime": iso_ms(now_ms),
            "aggressor": False,
        }
        if shares:
            body["tradeId"] = self._next_id("trd")
        return Update("order", order.slug, {"execution": body})

    def _balance(self, now_ms: int, before: Json, why: str) -> Update:
        change = {"beforeBalance": before, "afterBalance": self.balance_json(now_ms),
                  "description": why, "updateTime": iso_ms(now_ms),
                  "entryType": "LEDGER_ENTRY_TYPE_TRADE" if "fill" in why else ""}
        return Update("balance", "", {"balanceChange": change})

    def _place(self, quote: Quote, side: Literal["BUY", "SELL"], price: int, shares: int,
               now_ms: int) -> tuple[DemoOrder, list[Update]]:
        before = self.balance_json(now_ms)
        price = min(max(price, _TICK), SCALE - _TICK)
        order = DemoOrder(self._next_id("ord"), quote.slug, quote.title, side, price,
                          shares * SCALE, now_ms)
        updates: list[Update] = []
        if side == "BUY" and shares * price > self.cash - self.held():
            order.state = "REJECTED"
            updates.append(self._execution(order, "REJECTED", now_ms,
                                           reason="insufficient buying power"))
            return order, updates
        self.orders[order.id] = order
        updates.append(self._execution(order, "NEW", now_ms))
        if side == "BUY":
            updates.append(self._balance(now_ms, before, "order placed"))
        return order, updates

    def _fill(self, order: DemoOrder, shares: int, now_ms: int) -> list[Update]:
        before = self.balance_json(now_ms)
        shares = min(shares * SCALE, order.leaves)
        order.filled += shares
        order.state = "FILLED" if order.filled >= order.shares else "PARTIALLY_FILLED"
        value = shares * order.price // SCALE
        pos = self.positions.setdefault(order.slug, DemoPosition(order.slug, order.title))
        before_pos = self.position_json(order.slug)
        if order.side == "BUY":
            self.cash -= value
            pos.shares += shares
            pos.cost += value
        else:
            avg_cost = pos.cost * shares // pos.shares if pos.shares else 0
            self.cash += value
            pos.realized += value - avg_cost
            pos.cost -= avg_cost
            pos.shares -= shares
        pos.updated_ms = now_ms
        kind = "FILL" if order.state == "FILLED" else "PARTIAL_FILL"
        execution = self._execution(order, kind, now_ms, shares=shares)
        trade_id = execution.payload["execution"]["tradeId"]
        if order.state == "FILLED":
            self.orders.pop(order.id, None)
        position = Update("position", order.slug, {
            "beforePosition": before_pos,
            "afterPosition": self.position_json(order.slug),
            "updateTime": iso_ms(now_ms),
            "entryType": "LEDGER_ENTRY_TYPE_TRADE",
            "tradeId": trade_id,
            "referenceId": "", "description": "", "allocationGroupId": "",
            "transferReferenceTradeIds": [], "shortTransfer": False, "updateTradeDate": None,
        })
        return [execution, position, self._balance(now_ms, before, f"{kind.lower()}")]

    def _cancel(self, order: DemoOrder, now_ms: int) -> list[Update]:
        before = self.balance_json(now_ms)
        order.state = "CANCELED"
        self.orders.pop(order.id, None)
        updates = [self._execution(order, "CANCELED", now_ms)]
        if order.side == "BUY":
            updates.append(self._balance(now_ms, before, "order cancelled"))
        return updates

    def step(self, quote: Quote, now_ms: int) -> list[Update]:
        """The next move of the script on ``quote``'s market (see the module docstring)."""
        move, self.move = self.move, (self.move + 1) % 7
        bid = quote.bid if quote.bid is not None else SCALE // 2
        ask = quote.ask if quote.ask is not None else bid + _TICK
        current = self.orders.get(self._current)
        if move == 0:
            order, updates = self._place(quote, "BUY", bid, 10, now_ms)
            self._current = order.id
            return updates
        if move in (1, 2):
            return self._fill(current, 4 if move == 1 else 6, now_ms) if current else []
        if move == 3:
            held = self.positions.get(quote.slug)
            if held is None or held.shares < 3 * SCALE:
                return []
            order, updates = self._place(quote, "SELL", ask, 3, now_ms)
            self._selling = order.id
            return updates
        if move == 4:
            selling = self.orders.get(self._selling)
            return self._cancel(selling, now_ms) if selling else []
        if move == 5:
            cancels: list[Update] = []
            resting = self.open_orders()
            while len(resting) >= MAX_RESTING:
                cancels += self._cancel(resting.pop(0), now_ms)
            return cancels + self._place(quote, "BUY", bid - 5 * _TICK, 5, now_ms)[1]
        return self._place(quote, "BUY", bid, self.cash // max(bid, _TICK) + 1_000, now_ms)[1]
