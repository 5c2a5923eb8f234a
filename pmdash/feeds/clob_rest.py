"""CLOB REST bodies (PROTOCOLS §6.1): the ``GET /book`` summary and its server hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any


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
