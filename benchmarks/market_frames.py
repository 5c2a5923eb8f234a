"""Deterministic recordings of CLOB market-channel frames (PROTOCOLS §1.4) for benchmarks.

``record(...)`` plays a tiny exchange: every token has a ground-truth book (a dict per side)
whose bids and asks live in disjoint price bands, so it never crosses. Each frame mutates or
reads that truth and is written exactly as the server writes it: string numbers, ``book`` bids
ascending and asks descending (best last), ``price_change`` entries carrying the asset's
``best_bid``/``best_ask`` after that entry. Same seed, same frames.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

SCALE = 1_000_000


@dataclass(frozen=True)
class Recording:
    """An initial dump (one array frame) and the frames that follow it."""

    name: str
    initial: str
    frames: list[str]
    asset_ids: list[str]
    counts: dict[str, int] = field(default_factory=dict)


def _price_str(units: int) -> str:
    whole, frac = divmod(units, SCALE)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:06d}".rstrip("0")


def _size_str(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return str(rng.randint(5, 50_000))
    if roll < 0.8:
        return f"{rng.randint(5, 50_000)}.{rng.randint(1, 99):02d}".rstrip("0")
    return f"{rng.randint(0, 5_000)}.{rng.randint(1, 999_999):06d}".rstrip("0")


def _token_id(rng: random.Random) -> str:
    return str(rng.getrandbits(254))


def _hex(rng: random.Random, chars: int) -> str:
    return f"{rng.getrandbits(chars * 4):0{chars}x}"


class _TruthBook:
    """One token's book in the generator: price units -> size string, per side."""

    def __init__(self, bid_band: list[int], ask_band: list[int]) -> None:
        self.bid_band = bid_band  # descending: best-possible bid first
        self.ask_band = ask_band  # ascending: best-possible ask first
        self.bids: dict[int, str] = {}
        self.asks: dict[int, str] = {}

    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None


@dataclass
class _Market:
    condition_id: str
    tokens: tuple[str, str]
    books: dict[str, _TruthBook]


class _Exchange:
    def __init__(self, rng: random.Random, markets: int, depth: int, tick: int) -> None:
        self.rng = rng
        self.tick = tick
        self.depth = depth
        self.timestamp = 1_790_908_667_676
        self.markets: list[_Market] = []
        spare = max(4, depth // 10)  # empty prices near the top, where levels come and go
        for _ in range(markets):
            yes, no = _token_id(rng), _token_id(rng)
            # YES bids below the centre, asks from the centre up; NO is the mirror image.
            centre = 0.5 * SCALE
            centre = int(centre // tick * tick)
            width = depth + spare
            if tick * width >= centre:
                raise ValueError(f"{depth} levels do not fit at tick {tick}")
            yes_bids = [centre - tick * (i + 1) for i in range(width)]
            yes_asks = [centre + tick * i for i in range(width)]
            no_bids = [SCALE - p for p in yes_asks]
            no_asks = [SCALE - p for p in yes_bids]
            books = {yes: _TruthBook(yes_bids, yes_asks), no: _TruthBook(no_bids, no_asks)}
            for book in books.values():
                for price in book.bid_band[spare // 2 : spare // 2 + depth]:
                    book.bids[price] = _size_str(rng)
                for price in book.ask_band[spare // 2 : spare // 2 + depth]:
                    book.asks[price] = _size_str(rng)
            self.markets.append(_Market("0x" + _hex(rng, 64), (yes, no), books))

    def _tick_time(self) -> str:
        self.timestamp += self.rng.randint(1, 40)
        return str(self.timestamp)

    def book_item(self, market: _Market, token: str) -> dict[str, object]:
        book = market.books[token]
        tick_str = _price_str(self.tick)
        return {
            "event_type": "book",
            "asset_id": token,
            "market": market.condition_id,
            # Live order: bids ascending, asks descending (best last).
            "bids": [{"price": _price_str(p), "size": s} for p, s in sorted(book.bids.items())],
            "asks": [
                {"price": _price_str(p), "size": s}
                for p, s in sorted(book.asks.items(), reverse=True)
            ],
            "timestamp": self._tick_time(),
            "hash": _hex(self.rng, 40),
            "tick_size": tick_str,
            "last_trade_price": _price_str(market.books[token].bid_band[0]),
        }

    def initial_dump(self) -> str:
        items = [self.book_item(m, t) for m in self.markets for t in m.tokens]
        return json.dumps(items, separators=(",", ":"))

    def _pick_level(self, band: list[int]) -> int:
        # Mostly near the top of the band: that is where orders come and go.
        offset = min(int(self.rng.expovariate(1 / 6)), len(band) - 1)
        return band[offset]

    def _mutate(
        self, market: _Market, token: str, side: str, price: int | None = None, size: str = ""
    ) -> tuple[dict[str, str], int]:
        book = market.books[token]
        levels, band = (book.bids, book.bid_band) if side == "BUY" else (book.asks, book.ask_band)
        if price is None:
            price = self._pick_level(band)
            if price in levels:
                size = "0" if self.rng.random() < 0.3 else _size_str(self.rng)
            else:
                size = _size_str(self.rng)
        if size == "0":
            levels.pop(price, None)
        else:
            levels[price] = size
        best_bid, best_ask = book.best_bid(), book.best_ask()
        entry = {
            "asset_id": token,
            "price": _price_str(price),
            "size": size,
            "side": side,
            "hash": _hex(self.rng, 40),
            "best_bid": "" if best_bid is None else _price_str(best_bid),
            "best_ask": "" if best_ask is None else _price_str(best_ask),
        }
        return entry, price

    def price_change(self) -> str:
        rng = self.rng
        market = rng.choice(self.markets)
        yes, no = market.tokens
        entries = rng.choices((1, 2, 3), weights=(3, 5, 2))[0]
        token = rng.choice(market.tokens)
        other = no if token == yes else yes
        side = rng.choice(("BUY", "SELL"))
        first, price = self._mutate(market, token, side)
        changes = [first]
        if entries >= 2:
            # The same order seen from the complementary token: mirrored price, other side.
            mirror_side = "SELL" if side == "BUY" else "BUY"
            mirror, _ = self._mutate(market, other, mirror_side, SCALE - price, first["size"])
            changes.append(mirror)
        if entries == 3:
            changes.append(self._mutate(market, rng.choice(market.tokens), side)[0])
        message = {
            "event_type": "price_change",
            "market": market.condition_id,
            "price_changes": changes,
            "timestamp": self._tick_time(),
        }
        return json.dumps(message, separators=(",", ":"))

    def last_trade(self) -> str:
        rng = self.rng
        market = rng.choice(self.markets)
        token = rng.choice(market.tokens)
        book = market.books[token]
        side = rng.choice(("BUY", "SELL"))
        price = book.best_ask() if side == "BUY" else book.best_bid()
        if price is None:
            price = book.bid_band[0]
        message = {
            "event_type": "last_trade_price",
            "asset_id": token,
            "market": market.condition_id,
            "price": _price_str(price),
            "size": _size_str(rng),
            "side": side,
            "fee_rate_bps": "0",
            "timestamp": self._tick_time(),
            "transaction_hash": "0x" + _hex(rng, 64),
        }
        return json.dumps(message, separators=(",", ":"))

    def book(self) -> str:
        market = self.rng.choice(self.markets)
        token = self.rng.choice(market.tokens)
        return json.dumps(self.book_item(market, token), separators=(",", ":"))


def record(
    name: str,
    *,
    messages: int,
    depth: int,
    tick: int,
    mix: tuple[float, float, float] = (0.7, 0.2, 0.1),
    markets: int = 2,
    seed: int = 20251002,
) -> Recording:
    """``messages`` frames after an initial dump; ``mix``: shares of price_change, trade, book.

    ``depth``: levels per side of every book; ``tick``: price grid in micro-units.
    """
    rng = random.Random(seed)
    exchange = _Exchange(rng, markets, depth, tick)
    initial = exchange.initial_dump()
    makers = (exchange.price_change, exchange.last_trade, exchange.book)
    kinds = ("price_change", "last_trade_price", "book")
    counts = dict.fromkeys(kinds, 0)
    frames = []
    for _ in range(messages):
        index = rng.choices((0, 1, 2), weights=mix)[0]
        counts[kinds[index]] += 1
        frames.append(makers[index]())
    assets = [t for m in exchange.markets for t in m.tokens]
    return Recording(name, initial, frames, assets, counts)
