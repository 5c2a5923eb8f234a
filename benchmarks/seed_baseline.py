"""The seed guide's local order book (seeds/002, "Complete Orderbook Class"), as a baseline.

``LocalOrderbook`` is the guide's class, its methods as the guide writes them (type hints
added): a dict ``price string -> float size`` per side, and ``max()``/``min()`` over the keys on
every read of the best bid or ask (``spread`` reads both again). Two things make it correct
against the real feed, as the benchmark brief asks: a ``book`` replaces the book
(``load_snapshot``, the guide's own method) instead of being merged by ``apply_update``, and each
``price_changes[]`` entry goes through ``apply_price_change``, the guide's ``apply_update`` rule
for one level (no wrapper dict per entry).

``SeedClient.on_item`` is the dispatch of the guide's receive loop (on ``event_type``) for
several tokens; the loop itself (``if message == "PONG": continue``, ``json.loads``, then the
``print(f"Bid: ... | Ask: ... | Spread: ...")`` line, built but not printed) is in
``benchmarks/ingest.py``, beside pmdash's, so both are written the same way.
"""

from __future__ import annotations

from collections import deque
from typing import Any


class LocalOrderbook:
    def __init__(self, token_id: str) -> None:
        self.token_id = token_id
        self.bids: dict[str, float] = {}  # price -> size
        self.asks: dict[str, float] = {}  # price -> size

    def load_snapshot(self, snapshot: dict[str, Any]) -> None:
        self.bids = {level["price"]: float(level["size"]) for level in snapshot.get("bids", [])}
        self.asks = {level["price"]: float(level["size"]) for level in snapshot.get("asks", [])}

    def apply_update(self, message: dict[str, Any]) -> None:
        for bid in message.get("bids", []):
            price, size = bid["price"], float(bid["size"])
            if size == 0:
                self.bids.pop(price, None)
            else:
                self.bids[price] = size
        for ask in message.get("asks", []):
            price, size = ask["price"], float(ask["size"])
            if size == 0:
                self.asks.pop(price, None)
            else:
                self.asks[price] = size

    def apply_price_change(self, change: dict[str, Any]) -> None:
        """One ``price_changes[]`` entry, with ``apply_update``'s rule for one level."""
        side = self.bids if change["side"] == "BUY" else self.asks
        price, size = change["price"], float(change["size"])
        if size == 0:
            side.pop(price, None)
        else:
            side[price] = size

    @property
    def best_bid(self) -> str | None:
        return max(self.bids.keys()) if self.bids else None

    @property
    def best_ask(self) -> str | None:
        return min(self.asks.keys()) if self.asks else None

    @property
    def spread(self) -> float | None:
        if self.best_bid and self.best_ask:
            return float(self.best_ask) - float(self.best_bid)
        return None


class SeedClient:
    """The guide's message loop over several tokens: books per token, recent trades."""

    def __init__(self, token_ids: list[str], trades_kept: int = 500) -> None:
        self.books = {token: LocalOrderbook(token) for token in token_ids}
        self.trades: dict[str, deque[dict[str, Any]]] = {
            token: deque(maxlen=trades_kept) for token in token_ids
        }

    def on_item(self, data: dict[str, Any]) -> list[str]:
        """Apply one event; return the tokens whose book it touched."""
        event_type = data.get("event_type")
        if event_type == "price_change":
            touched = []
            for change in data["price_changes"]:
                book = self.books.get(change["asset_id"])
                if book is not None:
                    book.apply_price_change(change)
                    touched.append(change["asset_id"])
            return touched
        if event_type == "book":
            book = self.books.get(data["asset_id"])
            if book is not None:
                book.load_snapshot(data)
                return [data["asset_id"]]
        elif event_type == "last_trade_price":
            trades = self.trades.get(data["asset_id"])
            if trades is not None:
                trades.append(data)
                return [data["asset_id"]]
        return []
