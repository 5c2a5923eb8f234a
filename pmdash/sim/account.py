"""Demo accounts of the embedded exchange: one per registered CLOB API key, trading by itself.

``AccountDesk.step()`` advances every account by one action and moves each of its fills one
status on: orders are placed at the touch of a trading market (their size joins the public
level: a ``price_change``), partly or fully filled (the level shrinks and a
``last_trade_price`` prints, as for any trade), or cancelled (the level shrinks); each fill goes
``MATCHED -> MINED -> CONFIRMED``, every fourth ``MATCHED -> RETRYING -> FAILED``. A confirmed
fill moves the account's position (average cost) and cash. Your fills are maker fills: your
resting order was hit; they come as ``trade`` events with ``trader_side: MAKER`` and your entry
in ``maker_orders`` (owner your API key, ``maker_address`` your address).

The account is the ground truth tests compare a client's ``Portfolio`` with: ``open_orders``,
``trades`` (final statuses), ``holdings``, ``cash``. Wire payloads follow PROTOCOLS §2.2-§2.4.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pmdash.models import Side
from pmdash.sim import wire
from pmdash.sim.book import Change
from pmdash.sim.exchange import Exchange
from pmdash.sim.flow import Emission
from pmdash.sim.markets import SimMarket
from pmdash.units import SCALE, to_decimal_str

START_CASH = 1_000 * SCALE
MAX_OPEN = 3
KEEP_TRADES = 400
KEEP_CLOSED_ORDERS = 200
FAIL_EVERY = 4
"""Every FAIL_EVERY-th fill of an account ends FAILED."""

Json = dict[str, Any]
UserEmission = tuple[str, str, Json]
"""(api key, condition id, user-channel payload)."""


def demo_addresses(api_key: str) -> tuple[str, str]:
    """The signer and profile (proxy) addresses the embedded exchange gives an API key."""

    def addr(tag: str) -> str:
        return "0x" + hashlib.sha256(f"{tag}:{api_key}".encode()).hexdigest()[:40]

    return addr("signer"), addr("profile")


def _notional(price: int, size: int) -> int:
    return round(price * size / SCALE)


@dataclass
class SimOrder:
    id: str
    market: SimMarket
    side: Side
    price: int
    original: int
    created_s: int
    matched: int = 0
    status: str = "LIVE"
    trades: list[str] = field(default_factory=list)

    @property
    def asset_id(self) -> str:
        return self.market.token_ids[0]

    @property
    def remaining(self) -> int:
        return self.original - self.matched


@dataclass
class SimTrade:
    id: str
    order: SimOrder
    price: int
    size: int
    match_s: int
    fails: bool
    tx_hash: str
    taker_order_id: str
    status: str = "MATCHED"
    history: list[str] = field(default_factory=lambda: ["MATCHED"])
    last_update_ms: int = 0

    @property
    def terminal(self) -> bool:
        return self.status in ("CONFIRMED", "FAILED")


@dataclass
class Holding:
    asset_id: str
    market: SimMarket
    size: int = 0
    cost: int = 0
    realized: int = 0


class SimAccount:
    """One API key's account: orders, fills, positions and cash."""

    def __init__(self, api_key: str, seed: int) -> None:
        self.api_key = api_key
        self.address, self.profile = demo_addresses(api_key)
        self.rng = random.Random(f"{seed}:{api_key}")
        self.cash = START_CASH
        self.orders: dict[str, SimOrder] = {}
        self.trades: dict[str, SimTrade] = {}
        self.holdings: dict[str, Holding] = {}
        self.fills_made = 0

    def __repr__(self) -> str:
        return f"SimAccount({self.api_key!r})"

    def open_orders(self) -> list[SimOrder]:
        return [o for o in self.orders.values() if o.status == "LIVE"]

    def hex_id(self, n: int = 64) -> str:
        return "0x" + "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    # --- wire payloads ------------------------------------------------------------------------

    def order_payload(self, order: SimOrder, kind: str, ts_ms: int) -> Json:
        return {
            "event_type": "order", "type": kind, "id": order.id, "owner": self.api_key,
            "order_owner": self.api_key, "market": order.market.condition_id,
            "asset_id": order.asset_id, "side": order.side, "price": to_decimal_str(order.price),
            "original_size": to_decimal_str(order.original),
            "size_matched": to_decimal_str(order.matched), "outcome": order.market.outcomes[0],
            "associate_trades": list(order.trades) or None, "timestamp": str(ts_ms),
            "created_at": str(order.created_s), "expiration": "0", "order_type": "GTC",
            "status": order.status, "maker_address": self.address,
        }

    def rest_order(self, order: SimOrder) -> Json:
        body = self.order_payload(order, "", 0)
        for key in ("event_type", "type", "timestamp"):
            del body[key]
        body["created_at"] = order.created_s
        return body

    def trade_payload(self, trade: SimTrade, *, rest: bool = False) -> Json:
        o = trade.order
        taker_side = "SELL" if o.side == "BUY" else "BUY"
        size, price = to_decimal_str(trade.size), to_decimal_str(trade.price)
        body: Json = {
            "event_type": "trade", "type": "TRADE", "id": trade.id,
            "taker_order_id": trade.taker_order_id, "market": o.market.condition_id,
            "asset_id": o.asset_id, "side": taker_side, "size": size, "price": price,
            "fee_rate_bps": "0", "status": trade.status,
            "matchtime": str(trade.match_s), "last_update": str(trade.last_update_ms // 1000),
            "timestamp": str(trade.last_update_ms), "outcome": o.market.outcomes[0],
            "owner": self.api_key, "trade_owner": self.api_key, "trader_side": "MAKER",
            "maker_address": self.address, "transaction_hash": trade.tx_hash,
            "maker_orders": [{
                "order_id": o.id, "owner": self.api_key, "maker_address": self.address,
                "matched_amount": size, "price": price, "asset_id": o.asset_id,
                "outcome": o.market.outcomes[0], "side": o.side, "fee_rate_bps": "0",
            }],
        }
        if rest:
            del body["event_type"], body["type"], body["timestamp"], body["matchtime"]
            body["match_time"] = str(trade.match_s)
            body["last_update"] = str(trade.last_update_ms // 1000)
        return body

    def position_rows(self) -> list[Json]:
        rows = []
        for h in self.holdings.values():
            if h.size == 0:
                continue
            rows.append({
                "proxyWallet": self.profile, "asset": h.asset_id,
                "conditionId": h.market.condition_id, "size": h.size / SCALE,
                "avgPrice": round(h.cost * SCALE / h.size) / SCALE,
                "initialValue": h.cost / SCALE, "currentValue": h.cost / SCALE,
                "cashPnl": 0.0, "percentPnl": 0.0, "totalBought": h.cost / SCALE,
                "realizedPnl": h.realized / SCALE, "curPrice": 0.0, "redeemable": False,
                "mergeable": False, "title": h.market.question, "slug": h.market.slug,
                "eventSlug": h.market.event_slug, "outcome": h.market.outcomes[0],
                "outcomeIndex": 0, "oppositeOutcome": h.market.outcomes[1],
                "oppositeAsset": h.market.token_ids[1], "endDate": h.market.end_date,
                "negativeRisk": False,
            })
        return rows

    # --- settlement ---------------------------------------------------------------------------

    def settle(self, trade: SimTrade) -> None:
        """A confirmed fill: position (average cost) and cash move."""
        o = trade.order
        h = self.holdings.setdefault(o.asset_id, Holding(o.asset_id, o.market))
        value = _notional(trade.price, trade.size)
        if o.side == "BUY":
            h.size += trade.size
            h.cost += value
            self.cash -= value
        else:
            closing = min(trade.size, h.size)
            avg_cost = round(h.cost * closing / h.size) if h.size else 0
            h.realized += _notional(trade.price, closing) - avg_cost
            h.cost -= avg_cost
            h.size -= trade.size
            if h.size <= 0:
                h.cost = 0
            self.cash += value


class AccountDesk:
    """Every demo account and the process that trades them (see the module doc)."""

    def __init__(self, exchange: Exchange, *, seed: int = 0) -> None:
        self.exchange = exchange
        self.seed = seed
        self.accounts: dict[str, SimAccount] = {}
        self._sinks: list[Callable[[list[UserEmission]], None]] = []

    def account(self, api_key: str) -> SimAccount:
        found = self.accounts.get(api_key)
        if found is None:
            found = self.accounts[api_key] = SimAccount(api_key, self.seed)
        return found

    def add_sink(self, sink: Callable[[list[UserEmission]], None]) -> None:
        self._sinks.append(sink)

    def step(self, n: int = 1) -> None:
        """Advance every account ``n`` times (fills one status on, then one action)."""
        for _ in range(n):
            for account in list(self.accounts.values()):
                user_out: list[UserEmission] = []
                market_out: list[Emission] = []
                self._advance(account, user_out)
                self._act(account, user_out, market_out)
                self._trim(account)
                if market_out:
                    self.exchange.publish(market_out)
                if user_out:
                    for sink in self._sinks:
                        sink(user_out)

    def settle_all(self) -> None:
        """Run every open fill to its final status (no new orders): the account at rest."""
        for account in self.accounts.values():
            out: list[UserEmission] = []
            for _ in range(4):
                self._advance(account, out)
            for sink in self._sinks:
                sink(out)

    # --- the process --------------------------------------------------------------------------

    def _now(self) -> tuple[int, int]:
        ms = self.exchange.clock()
        return ms, ms // 1000

    def _advance(self, account: SimAccount, out: list[UserEmission]) -> None:
        ms, _ = self._now()
        for trade in list(account.trades.values()):
            if trade.terminal:
                continue
            if trade.status == "MATCHED":
                nxt = "RETRYING" if trade.fails else "MINED"
            elif trade.status == "RETRYING":
                nxt = "FAILED"
            else:
                nxt = "CONFIRMED"
            trade.status = nxt
            trade.history.append(nxt)
            trade.last_update_ms = ms
            if nxt == "CONFIRMED":
                account.settle(trade)
            out.append((account.api_key, trade.order.market.condition_id,
                        account.trade_payload(trade)))

    def _act(self, account: SimAccount, out: list[UserEmission],
             market_out: list[Emission]) -> None:
        rng = account.rng
        open_orders = account.open_orders()
        r = rng.random()
        if len(open_orders) < 1 or (r < 0.3 and len(open_orders) < MAX_OPEN):
            self._place(account, out, market_out)
        elif r < 0.45:
            self._cancel(account, rng.choice(open_orders), out, market_out)
        else:
            order = rng.choice(open_orders)
            whole = order.remaining // SCALE
            if whole >= 2 and rng.random() < 0.5:
                qty = rng.randint(1, whole - 1) * SCALE
            else:
                qty = order.remaining
            self._fill(account, order, qty, out, market_out)

    def _tradable(self, account: SimAccount) -> list[SimMarket]:
        return [m for m in self.exchange.sim_markets() if not m.closed]

    def _place(self, account: SimAccount, out: list[UserEmission],
               market_out: list[Emission]) -> None:
        rng = account.rng
        markets = self._tradable(account)
        if not markets:
            return
        market = rng.choice(markets)
        book = self.exchange.market_book(market)
        held = account.holdings.get(market.token_ids[0])
        selling = sum(o.remaining for o in account.open_orders()
                      if o.side == "SELL" and o.market is market)
        size = rng.randint(5, 40) * SCALE
        side: Side = "BUY"
        if held is not None and held.size - selling >= 5 * SCALE and rng.random() < 0.4:
            side = "SELL"
            size = min(size, held.size - selling) // SCALE * SCALE
        price = book.best_bid() if side == "BUY" else book.best_ask()
        if price is None:
            return
        reserved = sum(_notional(o.price, o.remaining) for o in account.open_orders()
                       if o.side == "BUY")
        if side == "BUY" and _notional(price, size) > account.cash - reserved:
            return
        ms, s = self._now()
        order = SimOrder(account.hex_id(), market, side, price, size, s)
        account.orders[order.id] = order
        change = book.add(side, price, size)
        market_out.append(Emission(wire.price_change(market, book, [change], ms),
                                   market.token_ids))
        out.append((account.api_key, market.condition_id,
                    account.order_payload(order, "PLACEMENT", ms)))

    def _shrink_level(self, order: SimOrder, qty: int) -> Change | None:
        book = self.exchange.market_book(order.market)
        here = book.side(order.side).get(order.price, 0)
        if here <= 0:
            return None
        return book.reduce(order.side, order.price, min(qty, here))

    def _fill(self, account: SimAccount, order: SimOrder, qty: int, out: list[UserEmission],
              market_out: list[Emission]) -> None:
        ms, s = self._now()
        market = order.market
        if not market.closed:
            change = self._shrink_level(order, qty)
            book = self.exchange.market_book(market)
            if change is not None:
                market_out.append(Emission(wire.price_change(market, book, [change], ms),
                                           market.token_ids))
            taker = "SELL" if order.side == "BUY" else "BUY"
            book.last_trade = order.price
            market_out.append(Emission(
                wire.last_trade_price(market, 0, order.price, qty, taker, ms, account.hex_id()),
                (market.token_ids[0],)))
        account.fills_made += 1
        trade = SimTrade(
            id=f"{account.rng.getrandbits(128):032x}", order=order, price=order.price,
            size=qty, match_s=s, fails=account.fills_made % FAIL_EVERY == 0,
            tx_hash=account.hex_id(), taker_order_id=account.hex_id(), last_update_ms=ms)
        account.trades[trade.id] = trade
        order.matched += qty
        order.trades.append(trade.id)
        if order.remaining <= 0:
            order.status = "MATCHED"
        out.append((account.api_key, market.condition_id,
                    account.order_payload(order, "UPDATE", ms)))
        out.append((account.api_key, market.condition_id, account.trade_payload(trade)))

    def _cancel(self, account: SimAccount, order: SimOrder, out: list[UserEmission],
                market_out: list[Emission]) -> None:
        ms, _ = self._now()
        if not order.market.closed:
            change = self._shrink_level(order, order.remaining)
            if change is not None:
                book = self.exchange.market_book(order.market)
                market_out.append(Emission(wire.price_change(order.market, book, [change], ms),
                                           order.market.token_ids))
        order.status = "CANCELED"
        out.append((account.api_key, order.market.condition_id,
                    account.order_payload(order, "CANCELLATION", ms)))

    def _trim(self, account: SimAccount) -> None:
        done = [t for t in account.trades.values() if t.terminal]
        for trade in done[: max(0, len(account.trades) - KEEP_TRADES)]:
            del account.trades[trade.id]
        closed = [o for o in account.orders.values() if o.status != "LIVE"]
        for order in closed[: max(0, len(closed) - KEEP_CLOSED_ORDERS)]:
            del account.orders[order.id]
