"""Events as JSON objects for ``pmdash tail`` (every object has ``type`` and ``feed``) and
markets for ``pmdash search --json``; prices and sizes are exact decimal strings (never floats)."""

from __future__ import annotations

from typing import Any

import msgspec

from pmdash.models import Event, MarketInfo
from pmdash.state.book import OrderBook
from pmdash.units import to_decimal_str

# Attributes that hold micro-unit prices or sizes in pmdash.models.
_DECIMAL_FIELDS = frozenset(
    {
        "price",
        "size",
        "best_bid",
        "best_ask",
        "spread",
        "tick_size",
        "old_tick_size",
        "new_tick_size",
        "last_trade_price",
        # the account's (orders, fills, positions, balances): micro-units too
        "original_size",
        "size_matched",
        "avg_price",
        "cost",
        "realized_pnl",
        "cash",
        "buying_power",
        "open_orders",
    }
)
_LEVEL_FIELDS = frozenset({"bids", "asks"})
_DECIMAL_LIST_FIELDS = frozenset({"outcome_prices"})


def _convert(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _convert(v, k) for k, v in value.items()}
    if key in _LEVEL_FIELDS and isinstance(value, list | tuple):
        return [[to_decimal_str(p), to_decimal_str(s)] for p, s in value]
    if key in _DECIMAL_LIST_FIELDS and isinstance(value, list | tuple):
        return [to_decimal_str(v) for v in value]
    if isinstance(value, list | tuple):
        return [_convert(v) for v in value]
    if key in _DECIMAL_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return to_decimal_str(value)
    return value


def event_to_json(event: Event) -> dict[str, Any]:
    """The event's attributes, with its ``type`` tag first and decimals as strings."""
    converted: dict[str, Any] = _convert(msgspec.to_builtins(event))
    return converted


def market_to_json(market: MarketInfo) -> dict[str, Any]:
    """A market as ``pmdash search --json`` prints it: its attributes, decimals as strings."""
    converted: dict[str, Any] = _convert(msgspec.to_builtins(market))
    return converted


def book_state(book: OrderBook) -> dict[str, Any]:
    """The ``book_state`` line ``tail --books`` prints at exit: best levels first."""
    return {
        "type": "book_state",
        "feed": "market",
        "asset_id": book.asset_id,
        "market": book.market,
        "state": book.state,
        "tick_size": to_decimal_str(book.tick),
        "bids": [[to_decimal_str(p), to_decimal_str(s)] for p, s in book.levels("BUY")],
        "asks": [[to_decimal_str(p), to_decimal_str(s)] for p, s in book.levels("SELL")],
    }
