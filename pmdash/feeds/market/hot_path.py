"""The market channel's hot path: ``price_change``, ``last_trade_price`` and ``book``, nearly all
of the traffic.

``decode`` first reads a frame with one of two reused decoders into the structs below
(``HOT_SHORT_DECODER`` for a frame shorter than ``SHORT_FRAME``, else ``HOT_DECODER``), which are
stricter than the wire shapes (``wire``: no nulls; sides checked and sizes parsed and
range-checked by msgspec, in C), and converts them with no per-field error handling. Anything
this path does not take as it is (another event type, a null, a lower-case side, a size that may
not be exact, a price not cached yet, a bad value) sends the whole frame to the typed path, which
gives the same events or says exactly what is wrong. A short frame's ``book`` has its levels
decoded with it; in a longer frame a ``book``'s sides are read as raw text and decoded
separately (``_hot_levels``), a long one reusing its asset's previous levels through a cache of
level texts (``_long_side``).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Annotated, Any

import msgspec

from pmdash.feeds.market.wire import (
    CACHE_LIMIT,
    FEED,
    FLOAT_EXACT_UNITS,
    Millis,
    level_prices,
    opt_prices,
    price_units,
    size_cache,
)
from pmdash.models import BookDelta, BookSnapshot, Level, LevelChange, MarketEvent, Side, Trade
from pmdash.units import SCALE


class _NotHot(Exception):
    """This frame takes the typed path."""


_MAX_SHARES = int(FLOAT_EXACT_UNITS / 1e6)
_HotSize = (
    Annotated[int, msgspec.Meta(ge=0, lt=_MAX_SHARES)]
    | Annotated[float, msgspec.Meta(ge=0.0, lt=float(_MAX_SHARES))]
)
"""A size msgspec parses from its string and range-checks (NaN fails too), in C: an int for
a whole number of shares (exact: times ``SCALE``), else a float (``_micro``, inline)."""


class _HotChange(msgspec.Struct, gc=False):
    asset_id: str
    price: str
    size: _HotSize
    side: Side  # msgspec checks it and hands back the interned "BUY" or "SELL"
    hash: str = ""
    best_bid: str = ""
    best_ask: str = ""


class HotPriceChange(msgspec.Struct, tag_field="event_type", tag="price_change", gc=False):
    market: str
    timestamp: Millis
    price_changes: list[_HotChange]


class HotTrade(msgspec.Struct, tag_field="event_type", tag="last_trade_price", gc=False):
    asset_id: str
    market: str
    price: str
    size: _HotSize  # absent or "": the typed path makes it None
    side: Side  # absent or "": the typed path makes it None
    timestamp: Millis
    fee_rate_bps: str = ""
    transaction_hash: str = ""


class _HotBook(msgspec.Struct, tag_field="event_type", tag="book", gc=False):
    asset_id: str
    market: str
    bids: msgspec.Raw  # read by ``_hot_levels``
    asks: msgspec.Raw
    timestamp: Millis
    hash: str = ""
    tick_size: str = ""
    last_trade_price: str = ""


class _HotLevel(msgspec.Struct, gc=False):
    price: str
    size: _HotSize


class _HotShortBook(msgspec.Struct, tag_field="event_type", tag="book", gc=False):
    """A ``book`` in a frame too short to hold a long side: its levels decoded in one pass."""

    asset_id: str
    market: str
    bids: list[_HotLevel]
    asks: list[_HotLevel]
    timestamp: Millis
    hash: str = ""
    tick_size: str = ""
    last_trade_price: str = ""


_Hot = HotPriceChange | HotTrade | _HotBook
HOT_DECODER = msgspec.json.Decoder(list[_Hot] | _Hot, strict=False)
_HotShort = HotPriceChange | HotTrade | _HotShortBook
HOT_SHORT_DECODER = msgspec.json.Decoder(list[_HotShort] | _HotShort, strict=False)
"""For frames shorter than ``SHORT_FRAME`` (nearly all): no side can be long, so a ``book``'s
levels are decoded with it rather than skipped as raw text and decoded again."""
_HOT_LEVEL = msgspec.json.Decoder(_HotLevel, strict=False)
_HOT_SIDE = msgspec.json.Decoder(list[_HotLevel], strict=False)


_NEAREST = 6755399441055744.0
"""1.5 * 2**52: for 0 <= x < 2**51, ``x + _NEAREST - _NEAREST`` is the whole number nearest x
(ties to even, as ``round``), as a float. The hot loops write the constant out (a literal, not
a global to look up); comparing ``x`` with that float, not with ``round(x)``, spares the
conversion of a multi-digit int to a float (``_PyLong_Frexp``) at every size of a thousand
shares or more: 1% of all ingest instructions."""


def _hot_units(size: float) -> int:
    """A size msgspec parsed (``_HotSize``) in micro-units; ``_NotHot`` if maybe not exact.
    ``hot_price_change`` and ``_short_side``, the hottest loops, write this out rather than
    call it (a call per level cost a book about 5% of its instructions)."""
    if type(size) is int:
        return size * SCALE
    scaled = size * 1e6  # ``_micro``, inline (msgspec checked the range: below 1e14)
    whole = scaled + 6755399441055744.0 - 6755399441055744.0  # ``_NEAREST``
    if not -0.01 < scaled - whole < 0.01 or (not whole and scaled):  # never 0 for not 0
        raise _NotHot
    return int(whole)


class _LevelCache(dict[bytes, Level]):
    """The text of one book level between its braces (``"price":"0.51","size":"10"``) -> the
    level. Consecutive books of an asset repeat most of their levels, text for text.

    A miss decodes the text, wrapped in braces, as one level: a text with a brace in it is
    refused (``_NotHot``), so every cached text is exactly one level object. The cache is
    emptied when it has grown to its bound.
    """

    def __missing__(self, text: bytes) -> Level:
        if 123 in text or 125 in text:  # a brace (``b"{" in text`` is 8x slower on 3.11)
            raise _NotHot
        w = _HOT_LEVEL.decode(b"{" + text + b"}")
        size = _hot_units(w.size)  # a miss: the call costs nothing that matters
        price = w.price
        try:
            level = (level_prices[price], size)
        except KeyError:
            level = (price_units(price), size)
        if len(self) >= CACHE_LIMIT:
            self.clear()
        self[text] = level
        return level


_levels = _LevelCache()

_LONG_SIDE = 4096
"""A side at least this long (about 150 levels) reuses the levels of its asset's previous
book on that side up to the first byte that differs (``_long_side``)."""
SHORT_FRAME = _LONG_SIDE
"""A frame shorter than this (in characters or bytes) cannot hold a long side: it is read with
``HOT_SHORT_DECODER``. A str frame's characters may be fewer than its bytes; a long side taken
as short is still decoded right, only without its previous levels' reuse."""
_SIDES_LIMIT = 512
_sides: dict[tuple[str, bool], tuple[bytes, bytes, list[Level], bool]] = {}
"""(asset id, bids?) -> the last long side's text, its separator, its levels in wire order,
and whether they were in the server's order (strictly worst to best). Emptied when full."""


def clear_value_caches() -> None:
    """Empty the caches of sizes and book levels (prices keep theirs: a small, fixed domain).
    For benchmarks that replay the same frames and must not find every value cached."""
    size_cache.clear()
    _levels.clear()
    _sides.clear()


def _hot_levels(raw: msgspec.Raw, asset_id: str, best_high: bool) -> tuple[Level, ...]:
    """One side of a hot ``book``, sorted best first (``best_high``: bids).

    A short side (most books) is decoded as levels and converted in one loop: in the running
    App that is about 30% cheaper per book than looking each level's text up in a cache of
    tens of thousands of texts, whose memory is cold between frames. A long side reuses the
    levels of its asset's previous book (``_long_side``).
    """
    if len(raw) >= _LONG_SIDE:
        text = bytes(raw)
        if text[:2] != b"[{" or text[-2:] != b"}]":
            raise _NotHot
        return _long_side(text, asset_id, best_high)
    return _short_side(_HOT_SIDE.decode(raw), best_high)


def _short_side(wire: list[_HotLevel], best_high: bool) -> tuple[Level, ...]:
    """Decoded levels, sorted best first (``best_high``: bids)."""
    prices = level_prices  # a price not cached yet (KeyError): the typed path caches it
    levels: list[Level] = []
    append = levels.append
    for level in wire:
        size = level.size
        if type(size) is int:
            append((prices[level.price], size * SCALE))
        else:
            scaled = size * 1e6
            whole = scaled + 6755399441055744.0 - 6755399441055744.0  # ``_NEAREST``
            if not -0.01 < scaled - whole < 0.01 or (not whole and scaled):
                raise _NotHot
            append((prices[level.price], int(whole)))
    levels.sort(reverse=best_high)  # one pass: the server sends each side sorted
    return tuple(levels)


def _long_side(text: bytes, asset_id: str, best_high: bool) -> tuple[Level, ...]:
    """``_hot_levels`` of a long side (``[{...}]``).

    Consecutive books of an asset differ mostly near the best prices, which the server sends
    last: the pieces before the first byte that differs from the previous text of this side
    are that text's pieces, so their levels are taken from it, not looked up again; and when
    those were in the server's order (worst to best) and the rest continue it, best first is
    that order reversed, not sorted.
    """
    sep = b"},{" if text.find(b"},{") >= 0 or text.find(b"}, {") < 0 else b"}, {"
    key = (asset_id, best_high)
    previous = _sides.get(key)
    if previous is not None and previous[1] == sep:
        old, _, old_levels, in_order = previous
        cut = text.rfind(sep, 2, _common_prefix(old, text))
    else:
        cut = -1
    if cut < 0:
        head: list[Level] = []
        start = 2
        in_order = True
    else:
        start = cut + len(sep)
        # Separators before ``start`` are the old text's (no separator overlaps itself).
        head = old_levels[: len(old_levels) - 1 - old.count(sep, start, len(old) - 2)]
    tail = list(map(_levels.__getitem__, text[start:-2].split(sep)))
    if in_order:
        # Worst to best: bids up, asks down, strictly (else sorted, as the typed path does).
        prices = list(map(itemgetter(0), head[-1:] + tail))
        in_order = prices == sorted(prices, reverse=not best_high)
        in_order = in_order and len(set(prices)) == len(prices)
    levels = head + tail
    if len(_sides) >= _SIDES_LIMIT:
        _sides.clear()
    _sides[key] = (text, sep, levels, in_order)
    if in_order:
        return tuple(reversed(levels))
    return tuple(sorted(levels, reverse=best_high))


def _common_prefix(a: bytes, b: bytes) -> int:
    """How many leading bytes ``a`` and ``b`` share (a binary search of C comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if b.startswith(a[low:mid], low):
            low = mid
        else:
            high = mid - 1
    return low


def _book_prices(last_trade_price: str, tick_size: str) -> tuple[int | None, int | None]:
    """A hot book's last trade price and tick size in micro-units ("": None), from the cache
    of prices only (``opt_prices``: one not seen yet, or a tick that is not positive, takes
    the typed path, which caches the price or says what is wrong)."""
    tick = opt_prices[tick_size]
    if tick is not None and tick <= 0:
        raise _NotHot
    return opt_prices[last_trade_price], tick


def _hot_book(w: _HotBook) -> BookSnapshot:
    ltp, tick = _book_prices(w.last_trade_price, w.tick_size)
    asset_id = w.asset_id
    return BookSnapshot(
        feed=FEED,
        asset_id=asset_id,
        market=w.market,
        bids=_hot_levels(w.bids, asset_id, True),
        asks=_hot_levels(w.asks, asset_id, False),
        timestamp=w.timestamp,
        hash=w.hash,
        tick_size=tick,
        last_trade_price=ltp,
    )


def _hot_short_book(w: _HotShortBook) -> BookSnapshot:
    ltp, tick = _book_prices(w.last_trade_price, w.tick_size)
    return BookSnapshot(
        feed=FEED,
        asset_id=w.asset_id,
        market=w.market,
        bids=_short_side(w.bids, True),
        asks=_short_side(w.asks, False),
        timestamp=w.timestamp,
        hash=w.hash,
        tick_size=tick,
        last_trade_price=ltp,
    )


def hot_price_change(w: HotPriceChange) -> BookDelta:
    prices = level_prices  # a price not cached yet (KeyError): the typed path caches it
    optional = opt_prices
    changes = []
    for c in w.price_changes:
        size = c.size
        if type(size) is int:  # ``_hot_units``, inline
            size *= SCALE
        else:
            scaled = size * 1e6
            whole = scaled + 6755399441055744.0 - 6755399441055744.0  # ``_NEAREST``
            if not -0.01 < scaled - whole < 0.01 or (not whole and scaled):
                raise _NotHot
            size = int(whole)
        changes.append(
            LevelChange(
                c.asset_id,
                c.side,
                prices[c.price],
                size,
                optional[c.best_bid],
                optional[c.best_ask],
                c.hash,
            )
        )
    return BookDelta(feed=FEED, market=w.market, timestamp=w.timestamp, changes=tuple(changes))


def hot_trade(w: HotTrade) -> Trade:
    return Trade(
        feed=FEED,
        asset_id=w.asset_id,
        market=w.market,
        price=level_prices[w.price],
        size=_hot_units(w.size),
        side=w.side,
        timestamp=w.timestamp,
        fee_rate_bps=w.fee_rate_bps,
        transaction_hash=w.transaction_hash,
    )


HOT_CONVERT: dict[type, Callable[[Any], MarketEvent]] = {
    HotPriceChange: hot_price_change,
    HotTrade: hot_trade,
    _HotBook: _hot_book,
    _HotShortBook: _hot_short_book,
}

