"""The issue's reference point for ingest: "msgspec decoding plus a good book", written plainly.

Issue 2 sets pmdash's target (300,000 messages/s on the mix) beside one figure it measured on
its own machine: msgspec decoding plus a good book, about 420,000. That figure came from another
machine; this module is that approach written the way a competent engineer would in a few
dozen lines, so ``benchmarks/ingest.py`` can measure it in the same process as pmdash and say
what 420,000 there corresponds to here.

What it does, and what it leaves out (pmdash does all of these, the reference none):
- msgspec decodes each frame into typed structs of strings (a tagged union, object or array);
- prices and sizes become integer micro-units through dict caches (``round(float(s) * 1e6)``
  on a miss: no exactness check, no range check, no error for a bad number);
- a book is a dict ``price -> size`` per side, its best price kept current on every change
  (``max``/``min`` over the keys only when the best level is removed), so reads cost nothing;
- a trade is appended to the token's deque, as the seed guide's loop does;
- no check against the server's ``best_bid``/``best_ask``, no desync or stale state, no record
  of what changed for a screen, no timestamps, no hash, no tick size, no typed events between
  decoding and the book, nothing for any other event type.
"""

from __future__ import annotations

from collections import deque

import msgspec


class _Level(msgspec.Struct, gc=False):
    price: str
    size: str


class _Book(msgspec.Struct, tag_field="event_type", tag="book", gc=False):
    asset_id: str
    bids: list[_Level]
    asks: list[_Level]


class _Change(msgspec.Struct, gc=False):
    asset_id: str
    price: str
    size: str
    side: str


class _PriceChange(msgspec.Struct, tag_field="event_type", tag="price_change", gc=False):
    price_changes: list[_Change]


class _Trade(msgspec.Struct, tag_field="event_type", tag="last_trade_price", gc=False):
    asset_id: str
    price: str
    size: str = ""
    side: str = ""


_Event = _Book | _PriceChange | _Trade
DECODER = msgspec.json.Decoder(list[_Event] | _Event)


class Units(dict[str, int]):
    """Decimal text -> micro-units, parsed once per distinct text."""

    def __missing__(self, text: str) -> int:
        units = self[text] = round(float(text) * 1_000_000)
        return units


class ReferenceBook:
    """A dict per side, best prices kept current."""

    __slots__ = ("asks", "best_ask", "best_bid", "bids")

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.best_bid: int | None = None
        self.best_ask: int | None = None

    @property
    def spread(self) -> int | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else ask - bid

    def load(self, bids: dict[int, int], asks: dict[int, int]) -> None:
        self.bids = bids
        self.asks = asks
        self.best_bid = max(bids) if bids else None
        self.best_ask = min(asks) if asks else None

    def set_bid(self, price: int, size: int) -> None:
        bids = self.bids
        if size:
            bids[price] = size
            best = self.best_bid
            if best is None or price > best:
                self.best_bid = price
        elif bids.pop(price, None) is not None and price == self.best_bid:
            self.best_bid = max(bids) if bids else None

    def set_ask(self, price: int, size: int) -> None:
        asks = self.asks
        if size:
            asks[price] = size
            best = self.best_ask
            if best is None or price < best:
                self.best_ask = price
        elif asks.pop(price, None) is not None and price == self.best_ask:
            self.best_ask = min(asks) if asks else None


class ReferenceClient:
    """Books and trade deques per token; ``on_frame`` returns the tokens a frame touched."""

    def __init__(self, token_ids: list[str], trades_kept: int = 500) -> None:
        self.books = {token: ReferenceBook() for token in token_ids}
        self.trades: dict[str, deque[_Trade]] = {
            token: deque(maxlen=trades_kept) for token in token_ids
        }
        self.prices = Units()
        self.sizes = Units()

    def on_frame(self, frame: str) -> dict[str, None]:
        data = DECODER.decode(frame)
        touched: dict[str, None] = {}
        for event in data if type(data) is list else (data,):
            kind = type(event)
            if kind is _PriceChange:
                prices, sizes, books = self.prices, self.sizes, self.books
                for change in event.price_changes:
                    book = books.get(change.asset_id)
                    if book is not None:
                        if change.side == "BUY":
                            book.set_bid(prices[change.price], sizes[change.size])
                        else:
                            book.set_ask(prices[change.price], sizes[change.size])
                        touched[change.asset_id] = None
            elif kind is _Trade:
                trades = self.trades.get(event.asset_id)
                if trades is not None:
                    trades.append(event)
                    touched[event.asset_id] = None
            elif kind is _Book:
                book = self.books.get(event.asset_id)
                if book is not None:
                    prices, sizes = self.prices, self.sizes
                    book.load(
                        {prices[lv.price]: sizes[lv.size] for lv in event.bids},
                        {prices[lv.price]: sizes[lv.size] for lv in event.asks},
                    )
                    touched[event.asset_id] = None
        return touched
