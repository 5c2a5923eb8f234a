"""Your CLOB account over REST (PROTOCOLS §2.4): pure decoders of the bodies.

- ``decode_balance``: ``GET /balance-allowance`` -> ``Balance``. ``balance`` as an integer
  string or integer is micro-units of the collateral dollar (``"20000000"`` = 20.00); as a
  decimal (``"250.500000"``, ``250.5``) it is dollars. Both ``allowances`` and ``allowance``
  are accepted (and not used).
- ``decode_orders``: one ``GET /data/orders`` page -> (``OrderEvent`` kind ``SNAPSHOT`` per
  open order, next cursor). ``decode_trades``: one ``GET /data/trades`` page -> (your
  ``Fill``s, next cursor). Both take the ``{limit, count, next_cursor, data}`` envelope (a bare
  array too) and read each item as the user channel does (``feeds.user``).
- ``decode_positions``: a Data API ``/positions`` page (a bare array, JSON numbers in shares,
  0..1 prices and dollars) -> ``Position``s.

Nothing raises: a body or an item that cannot be read is a ``FeedError`` (feed ``user-rest``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import msgspec

from pmdash.feeds import user
from pmdash.feeds.common import json_type_name
from pmdash.feeds.rest_body import body_error, load_body
from pmdash.models import Balance, FeedError, Fill, OrderEvent, Position
from pmdash.units import SCALE

_Item = TypeVar("_Item", OrderEvent, Fill)

FEED = "user-rest"
FIRST_CURSOR = "MA=="
LAST_CURSOR = "LTE="
_MAX_UNITS = 10**20


def _error(message: str, body: Any) -> FeedError:
    return body_error(FEED, message, body)


def money_units(value: Any) -> int | None:
    """A balance: an integer (or its text) is micro-units; a decimal is dollars. None when it
    is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < _MAX_UNITS else None
    if isinstance(value, float):
        value = repr(value)
        if "." not in value and "e" not in value.lower():
            value += ".0"
    if not isinstance(value, str) or len(value) > 40:
        return None
    text = value.strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    whole = text.lstrip("-").isdigit()  # micro-units already; else dollars
    units = int(number) if whole else int((number * SCALE).to_integral_value())
    return units if abs(units) < _MAX_UNITS else None


def decode_balance(body: str | bytes, *, timestamp: int = 0) -> Balance | FeedError:
    data = load_body(FEED, body)
    if isinstance(data, FeedError):
        return data
    if not isinstance(data, dict):
        return _error(f"balance: a JSON {json_type_name(data)}, not an object", body)
    if "balance" not in data:
        return _error("balance: no 'balance' field", body)
    cash = money_units(data["balance"])
    if cash is None:
        return _error(f"balance: not a number: {str(data['balance'])[:40]!r}", body)
    return Balance(feed=user.FEED, venue="clob", currency="USDC", cash=cash, timestamp=timestamp)


def read_page(body: str | bytes) -> tuple[list[Any], str] | FeedError:
    data = load_body(FEED, body)
    if isinstance(data, FeedError):
        return data
    if isinstance(data, list):
        return data, LAST_CURSOR
    if not isinstance(data, dict):
        return _error(f"a JSON {json_type_name(data)}, not a page", body)
    items = data.get("data")
    if items is None:
        items = []
    if not isinstance(items, list):
        return _error(f"data: a JSON {json_type_name(items)}, not a list", body)
    cursor = data.get("next_cursor")
    if not isinstance(cursor, str) or not cursor:
        cursor = LAST_CURSOR
    return items, cursor


def decode_orders(
    body: str | bytes, me: user.Identity = user.NOBODY
) -> tuple[list[OrderEvent | FeedError], str]:
    """One page of open orders and the cursor of the next (``LTE=``: none)."""
    return _decode_page(body, me, OrderEvent, "an open order")


def decode_trades(
    body: str | bytes, me: user.Identity = user.NOBODY
) -> tuple[list[Fill | FeedError], str]:
    """One page of trades (your fills in them) and the cursor of the next."""
    return _decode_page(body, me, Fill, "a trade")


def _decode_page(
    body: str | bytes, me: user.Identity, kind: type[_Item], what: str
) -> tuple[list[_Item | FeedError], str]:
    """One page of items the user channel's decoder reads, each a ``kind`` (or a FeedError
    saying why not), and the cursor of the next."""
    page = read_page(body)
    if isinstance(page, FeedError):
        return [page], LAST_CURSOR
    items, cursor = page
    out: list[_Item | FeedError] = []
    for event in user.decode_items(items, me, body):
        if isinstance(event, kind | FeedError):
            out.append(event)
        else:
            out.append(_error(f"{what} reads as a {type(event).__name__}", body))
    return out, cursor


class _Position(msgspec.Struct):
    asset: str
    size: float
    avgPrice: float = 0.0  # wire names
    conditionId: str = ""
    initialValue: float | None = None
    realizedPnl: float | None = None
    title: str = ""
    outcome: str = ""


def _units(value: float) -> int:
    return round(value * SCALE)


def decode_positions(body: str | bytes, *, timestamp: int = 0) -> list[Position | FeedError]:
    """A Data API ``/positions`` page -> one ``Position`` per item (or a FeedError)."""
    data = load_body(FEED, body)
    if isinstance(data, FeedError):
        return [data]
    if not isinstance(data, list):
        return [_error(f"positions: a JSON {json_type_name(data)}, not a list", body)]
    out: list[Position | FeedError] = []
    for item in data:
        try:
            p = msgspec.convert(item, _Position)
        except msgspec.ValidationError as exc:
            out.append(_error(f"position: {exc}", body))
            continue
        if not all(abs(v) < 1e12 for v in (p.size, p.avgPrice)) or p.size != p.size:
            out.append(_error(f"position {p.asset[:40]}: number out of range", body))
            continue
        out.append(Position(
            feed=user.FEED, venue="clob", asset_id=p.asset, market=p.conditionId,
            outcome=p.outcome, title=p.title, size=_units(p.size), avg_price=_units(p.avgPrice),
            cost=None if p.initialValue is None else _units(p.initialValue),
            realized_pnl=None if p.realizedPnl is None else _units(p.realizedPnl),
            timestamp=timestamp,
        ))
    return out
