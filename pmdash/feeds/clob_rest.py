"""CLOB REST bodies (PROTOCOLS §6.1): the ``GET /book`` summary and its server hash.

``decode_books`` (the body of ``POST /books``, or one ``GET /book`` summary) normalises like the
market channel's ``book`` event (levels sorted best first, micro-units) and returns
``FeedError(feed="rest")`` instead of raising.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec

from pmdash.feeds.common import json_type_name
from pmdash.feeds.market import validation_message
from pmdash.feeds.market import wire as market_wire
from pmdash.feeds.rest_body import body_error, load_body
from pmdash.models import BookSnapshot, FeedError

FEED = "rest"

def book_hash(summary: dict[str, Any]) -> str:
    """The server's hash of a ``/book`` summary: SHA-1 of compact JSON of the summary with
    ``hash`` set to ``""``, keys in the order the server uses (py_clob_client
    ``generate_orderbook_summary_hash``)."""
    ordered = {
        "market": summary.get("market", ""),
        "asset_id": summary.get("asset_id", ""),
        "timestamp": summary.get("timestamp", ""),
        "hash": "",
        "bids": summary.get("bids", []),
        "asks": summary.get("asks", []),
        "min_order_size": summary.get("min_order_size", ""),
        "tick_size": summary.get("tick_size", ""),
        "neg_risk": summary.get("neg_risk", False),
        "last_trade_price": summary.get("last_trade_price", ""),
    }
    return hashlib.sha1(json.dumps(ordered, separators=(",", ":")).encode()).hexdigest()


def _error(message: str, body: Any) -> FeedError:
    return body_error(FEED, message, body)


def _snapshot(wire: market_wire.WireBook, where: str, body: Any) -> BookSnapshot | FeedError:
    try:
        return market_wire.book_snapshot(wire, feed=FEED)
    except (ValueError, TypeError) as exc:
        return _error(f"{where}.{market_wire.locate_error(wire, exc)}", body)


def _from_value(value: Any, where: str, body: Any) -> BookSnapshot | FeedError:
    """One already-parsed JSON value that should be a book summary."""
    if not isinstance(value, dict):
        return _error(f"{where}: a JSON {json_type_name(value)}, not a book object", body)
    if "error" in value and "bids" not in value:
        return _error(f"{where}: server error: {value['error']!r}", body)
    try:
        wire = msgspec.convert(value, market_wire.WireBook, strict=False)
    except msgspec.ValidationError as exc:
        path, what = validation_message(exc)
        return _error(f"{where}{path}: {what}", body)
    return _snapshot(wire, where, body)


def decode_books(body: str | bytes) -> list[BookSnapshot | FeedError]:
    """The body of ``POST /books``: an array of summaries in arbitrary order (key by asset);
    one summary (the body of ``GET /book``) gives a list of one."""
    try:
        value = load_body(FEED, body)
        if isinstance(value, FeedError):
            return [value]
        if isinstance(value, dict):
            return [_from_value(value, "books", body)]
        if not isinstance(value, list):
            return [_error(f"books: a JSON {json_type_name(value)}, not an array", body)]
        return [_from_value(item, f"books[{i}]", body) for i, item in enumerate(value)]
    except Exception as exc:  # a bug, not bad input; still never raise out of a codec
        return [_error(f"internal decoder error: {type(exc).__name__}: {exc}", body)]
