"""CLOB market channel codec (PROTOCOLS §1): text frames in, typed events out; requests out.

Decoding has three paths, each taking what the one before it does not:

1. The hot path (``price_change``, ``last_trade_price`` and ``book`` exactly as the server
   writes them, nearly all of the traffic): one reused msgspec decoder into strict structs
   (sides checked, sizes parsed and range-checked by msgspec in C; a book's levels read from
   their JSON text through a cache of level texts), converted with no per-field error
   handling. Anything unusual anywhere in the frame sends the whole frame to the typed path.
2. The typed path decodes the whole frame into the wire structs (a union tagged on
   ``event_type``, as an object or an array of them) and says which field of an item is bad.
3. Anything the typed path rejects (an unknown or missing ``event_type``, the older
   single-change ``price_change``, a wrong type anywhere) goes to the slow path, which decodes
   the frame generically and handles each item on its own, so the good items of an array
   survive a bad one.

The hot path gives exactly the events the typed path gives for the frames it takes (the tests
check both on the same frames). Sizes may be JSON strings or numbers on every path; a number
must be a whole number of micro-units.

Items without ``event_type`` are typed by their shape (first rule that matches wins):

1. ``price_changes`` -> ``price_change``
2. ``bids`` or ``asks`` -> ``book``
3. ``new_tick_size`` -> ``tick_size_change``
4. ``winning_asset_id`` -> ``market_resolved``
5. ``assets_ids``, ``clob_token_ids`` or ``question`` -> ``new_market``
6. ``best_bid``, ``best_ask`` or ``spread`` -> ``best_bid_ask``
7. ``price`` with ``hash`` -> ``price_change`` (the older single-change shape)
8. ``price`` -> ``last_trade_price``

Anything else without ``event_type`` is a ``FeedError``; an unknown ``event_type`` is an
``UnknownEvent``. Nothing raises out of ``decode``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Annotated, Any

import msgspec

from pmdash.models import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    FeedError,
    Level,
    LevelChange,
    MarketEvent,
    MarketResolved,
    NewMarket,
    Side,
    TickSizeChange,
    Trade,
    UnknownEvent,
)
from pmdash.units import SCALE, UnitError, parse_price, parse_size

FEED = "market"
PING = "PING"
PONG = "PONG"

SAMPLE_CHARS = 120
_MESSAGE_CHARS = 400
_CACHE_LIMIT = 65_536
# Below this many micro-units (1e8 shares) a float parsed from a decimal with at most 6
# decimals, times 1e6, is within 0.03 of the exact count (see ``_micro``).
_FLOAT_EXACT_UNITS = 1e14

# --- Wire shapes ---------------------------------------------------------------------------
# Field names and types as the server sends them. Optional strings accept null as absent.
# Decoded with ``strict=False`` so msgspec turns the string timestamps into ints in C (it then
# also takes a JSON integer there). Sizes are strings, or JSON numbers (the hot path below has
# msgspec parse them as floats, which takes both, so this path takes both too); every other
# field stays a strict string.

Millis = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
_Size = str | float


class WireLevel(msgspec.Struct, gc=False):
    price: str
    size: _Size


class WireBook(msgspec.Struct, tag_field="event_type", tag="book", gc=False):
    """A ``book`` event, also the body of REST ``GET /book`` (which has no ``event_type``)."""

    asset_id: str
    market: str
    bids: list[WireLevel]
    asks: list[WireLevel]
    timestamp: Millis
    hash: str | None = ""
    tick_size: str | None = ""
    last_trade_price: str | None = ""


class _WireChange(msgspec.Struct, gc=False):
    asset_id: str
    price: str
    size: _Size
    side: str
    hash: str | None = ""
    best_bid: str | None = ""
    best_ask: str | None = ""


class _WirePriceChange(msgspec.Struct, tag_field="event_type", tag="price_change", gc=False):
    market: str
    timestamp: Millis
    price_changes: list[_WireChange]


class _WireOldPriceChange(msgspec.Struct, gc=False):
    """The older ``price_change``: one change at the top level, no ``price_changes``."""

    asset_id: str
    market: str
    price: str
    size: _Size
    side: str
    timestamp: Millis
    hash: str | None = ""


class _WireTrade(msgspec.Struct, tag_field="event_type", tag="last_trade_price", gc=False):
    asset_id: str
    market: str
    price: str
    timestamp: Millis
    size: _Size | None = ""
    side: str | None = ""
    fee_rate_bps: str | None = ""
    transaction_hash: str | None = ""


class _WireTick(msgspec.Struct, tag_field="event_type", tag="tick_size_change", gc=False):
    asset_id: str
    market: str
    new_tick_size: str
    timestamp: Millis
    old_tick_size: str | None = ""


class _WireBestBidAsk(msgspec.Struct, tag_field="event_type", tag="best_bid_ask", gc=False):
    asset_id: str
    market: str
    timestamp: Millis
    best_bid: str | None = ""
    best_ask: str | None = ""
    spread: str | None = ""


_IdList = list[str] | str | None


class _WireNewMarket(msgspec.Struct, tag_field="event_type", tag="new_market"):
    id: str | int
    timestamp: Millis
    market: str | None = ""
    condition_id: str | None = ""
    question: str | None = ""
    slug: str | None = ""
    assets_ids: _IdList = None
    clob_token_ids: _IdList = None
    outcomes: _IdList = None
    order_price_min_tick_size: str | None = ""


class _WireResolved(msgspec.Struct, tag_field="event_type", tag="market_resolved"):
    id: str | int
    timestamp: Millis
    market: str | None = ""
    condition_id: str | None = ""
    assets_ids: _IdList = None
    winning_asset_id: str | None = ""
    winning_outcome: str | None = ""


_Wire = (
    WireBook
    | _WirePriceChange
    | _WireTrade
    | _WireTick
    | _WireBestBidAsk
    | _WireNewMarket
    | _WireResolved
)
_FAST = msgspec.json.Decoder(list[_Wire] | _Wire, strict=False)
_ANY = msgspec.json.Decoder()
_BY_TAG: dict[str, type] = {
    "book": WireBook,
    "price_change": _WirePriceChange,
    "last_trade_price": _WireTrade,
    "tick_size_change": _WireTick,
    "best_bid_ask": _WireBestBidAsk,
    "new_market": _WireNewMarket,
    "market_resolved": _WireResolved,
}
_TAG_OF: dict[type, str] = {v: k for k, v in _BY_TAG.items()}
_TAG_OF[_WireOldPriceChange] = "price_change"

# --- Field parsers ---------------------------------------------------------------------------

_level_prices: dict[str, int] = {}
"""Price text -> micro-units, filled by ``_price``."""
_opt_prices: dict[str, int | None] = {"": None}
"""The same, and ``""`` (absent) -> None: the hot path reads optional prices with no test."""


def _price(text: str) -> int:
    """A required price (``""`` is an error), through a bounded cache."""
    try:
        return _level_prices[text]
    except KeyError:
        pass
    units = parse_price(text)
    if units is None:
        raise UnitError("empty price")
    if len(_level_prices) < _CACHE_LIMIT:
        _level_prices[text] = units
        _opt_prices[text] = units
    return units


def _opt_price(text: str | None) -> int | None:
    return parse_price(text) if text else None


class _SizeCache(dict[str | float, int]):
    """Size (string, or a JSON number) -> micro-units. A miss is parsed by ``_new_size``,
    which keeps it (and empties the cache when it is full)."""

    def __missing__(self, value: str | float) -> int:
        return _new_size(value)


_sizes = _SizeCache()


def _micro(value: float) -> int | None:
    """``value`` (a parsed decimal) in micro-units, or None when that may not be exact.

    Below ``_FLOAT_EXACT_UNITS`` a float parsed from a decimal with at most 6 decimals is within
    0.03 of its exact micro-unit count, so ``round`` gives it; a 7th decimal leaves at least
    0.07 over a whole count, and the 0.01 test sends it to the exact parser (which rejects it).
    Negative, NaN and infinite values give None.
    """
    scaled = value * 1e6
    if 0.0 <= scaled < _FLOAT_EXACT_UNITS:
        units = round(scaled)
        if -0.01 < scaled - units < 0.01:
            return units
    return None


def _size(value: str | float) -> int:
    """A size in micro-units through a bounded cache; exact, as ``units.parse_size``."""
    return _sizes[value]


def _new_size(value: str | float) -> int:
    """Parse a size the cache does not hold and remember it (the cache is cleared when full).

    A string size with 8 or more decimals may be rounded to the micro-unit instead of rejected.
    A JSON number must be a whole number of micro-units below ``_FLOAT_EXACT_UNITS``.
    """
    if type(value) is float:
        units = _micro(value)
        if units is None:
            if value < 0:
                raise UnitError(f"negative size: {value!r}")
            raise UnitError(f"size is a JSON number that is not exact in micro-units: {value!r}")
    else:
        units = _micro(float(value))  # its ValueError is reported like a UnitError
        if units is None:
            units = parse_size(value)
    if len(_sizes) >= _CACHE_LIMIT:
        _sizes.clear()
    _sizes[value] = units
    return units


def _opt_size(value: str | float | None) -> int | None:
    return None if value is None or value == "" else _size(value)


def _tick(text: str) -> int:
    units = _price(text)
    if units <= 0:
        raise UnitError(f"tick size is not positive: {text!r}")
    return units


def _opt_tick(text: str | None) -> int | None:
    return _tick(text) if text else None


def _side(text: str) -> str:
    if text == "BUY" or text == "SELL":
        return text
    upper = text.upper()
    if upper == "BUY" or upper == "SELL":
        return upper
    raise UnitError(f"side is not BUY or SELL: {text!r}")


def _opt_side(text: str | None) -> str | None:
    return _side(text) if text else None


def _ids(value: list[str] | str | None) -> tuple[str, ...]:
    """A list of strings, or the same list JSON-encoded in a string (as Gamma sends it)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = msgspec.json.decode(value, type=list[str])
        except msgspec.DecodeError:
            raise UnitError(f"not a list of strings: {value[:60]!r}") from None
    return tuple(value)


# --- Wire -> event ------------------------------------------------------------------------


def book_snapshot(w: WireBook, feed: str = FEED) -> BookSnapshot:
    """A ``book`` (or REST ``/book`` body) as a BookSnapshot, levels sorted best first.

    Raises ValueError or TypeError on a bad field; ``locate_error`` says which.
    """
    prices = _level_prices
    sizes = _sizes
    # A book repeats the prices and most sizes of the last one: one cache lookup per field
    # (a price the cache misses, rare, costs that side a second pass).
    try:
        bids = [(prices[lv.price], sizes[lv.size]) for lv in w.bids]
    except KeyError:
        bids = [(_price(lv.price), sizes[lv.size]) for lv in w.bids]
    try:
        asks = [(prices[lv.price], sizes[lv.size]) for lv in w.asks]
    except KeyError:
        asks = [(_price(lv.price), sizes[lv.size]) for lv in w.asks]
    bids.sort(reverse=True)  # one pass over the server's order (ascending for bids)
    asks.sort()
    ltp = w.last_trade_price
    tick = w.tick_size
    return BookSnapshot(
        feed=feed,
        asset_id=w.asset_id,
        market=w.market,
        bids=tuple(bids),
        asks=tuple(asks),
        timestamp=w.timestamp,
        hash=w.hash or "",
        tick_size=_tick(tick) if tick else None,
        last_trade_price=parse_price(ltp) if ltp else None,
    )


def _price_change(w: _WirePriceChange) -> BookDelta:
    sizes = _sizes
    changes = []
    for c in w.price_changes:
        bid = c.best_bid
        ask = c.best_ask
        changes.append(
            LevelChange(
                c.asset_id,
                _side(c.side),
                _price(c.price),
                sizes[c.size],
                _price(bid) if bid else None,
                _price(ask) if ask else None,
                c.hash or "",
            )
        )
    return BookDelta(feed=FEED, market=w.market, timestamp=w.timestamp, changes=tuple(changes))


def _old_price_change(w: _WireOldPriceChange) -> BookDelta:
    change = LevelChange(
        w.asset_id,
        _side(w.side),
        _price(w.price),
        _size(w.size),
        None,
        None,
        w.hash or "",
    )
    return BookDelta(feed=FEED, market=w.market, timestamp=w.timestamp, changes=(change,))


def _trade(w: _WireTrade) -> Trade:
    size = w.size
    side = w.side
    return Trade(
        feed=FEED,
        asset_id=w.asset_id,
        market=w.market,
        price=_price(w.price),
        size=_opt_size(size),
        side=_side(side) if side else None,
        timestamp=w.timestamp,
        fee_rate_bps=w.fee_rate_bps or "",
        transaction_hash=w.transaction_hash or "",
    )


def _tick_change(w: _WireTick) -> TickSizeChange:
    return TickSizeChange(
        feed=FEED,
        asset_id=w.asset_id,
        market=w.market,
        old_tick_size=_opt_tick(w.old_tick_size),
        new_tick_size=_tick(w.new_tick_size),
        timestamp=w.timestamp,
    )


def _best_bid_ask(w: _WireBestBidAsk) -> BestBidAsk:
    return BestBidAsk(
        feed=FEED,
        asset_id=w.asset_id,
        market=w.market,
        best_bid=_opt_price(w.best_bid),
        best_ask=_opt_price(w.best_ask),
        spread=_opt_price(w.spread),
        timestamp=w.timestamp,
    )


def _condition_id(w: _WireNewMarket | _WireResolved) -> str:
    market = w.market or w.condition_id
    if not market:
        raise UnitError("missing: neither `market` nor `condition_id` is set")
    return market


def _new_market(w: _WireNewMarket) -> NewMarket:
    return NewMarket(
        feed=FEED,
        id=str(w.id),
        market=_condition_id(w),
        question=w.question or "",
        slug=w.slug or "",
        asset_ids=_ids(w.assets_ids) or _ids(w.clob_token_ids),
        outcomes=_ids(w.outcomes),
        tick_size=_opt_tick(w.order_price_min_tick_size),
        timestamp=w.timestamp,
    )


def _resolved(w: _WireResolved) -> MarketResolved:
    return MarketResolved(
        feed=FEED,
        id=str(w.id),
        market=_condition_id(w),
        asset_ids=_ids(w.assets_ids),
        winning_asset_id=w.winning_asset_id or "",
        winning_outcome=w.winning_outcome or "",
        timestamp=w.timestamp,
    )


_CONVERT: dict[type, Callable[[Any], MarketEvent]] = {
    WireBook: book_snapshot,
    _WirePriceChange: _price_change,
    _WireOldPriceChange: _old_price_change,
    _WireTrade: _trade,
    _WireTick: _tick_change,
    _WireBestBidAsk: _best_bid_ask,
    _WireNewMarket: _new_market,
    _WireResolved: _resolved,
}

# --- Locating a bad field (error path only) ------------------------------------------------

_Check = Callable[[Any], object]
_LEVEL_CHECKS: dict[str, _Check] = {"price": _price, "size": _size}
_CHANGE_CHECKS: dict[str, _Check] = {
    "price": _price,
    "size": _size,
    "side": _side,
    "best_bid": _opt_price,
    "best_ask": _opt_price,
}
_CHECKS: dict[type, dict[str, _Check]] = {
    WireBook: {"tick_size": _opt_tick, "last_trade_price": _opt_price},
    _WirePriceChange: {},
    _WireOldPriceChange: {"price": _price, "size": _size, "side": _side},
    _WireTrade: {"price": _price, "size": _opt_size, "side": _opt_side},
    _WireTick: {"old_tick_size": _opt_tick, "new_tick_size": _tick},
    _WireBestBidAsk: {
        "best_bid": _opt_price,
        "best_ask": _opt_price,
        "spread": _opt_price,
    },
    _WireNewMarket: {
        "assets_ids": _ids,
        "clob_token_ids": _ids,
        "outcomes": _ids,
        "order_price_min_tick_size": _opt_tick,
    },
    _WireResolved: {"assets_ids": _ids},
}
_NESTED: dict[type, tuple[tuple[str, dict[str, _Check]], ...]] = {
    WireBook: (("bids", _LEVEL_CHECKS), ("asks", _LEVEL_CHECKS)),
    _WirePriceChange: (("price_changes", _CHANGE_CHECKS),),
}


def _first_failure(obj: Any, checks: dict[str, _Check], path: str) -> str | None:
    for name, check in checks.items():
        try:
            check(getattr(obj, name))
        except (ValueError, TypeError) as exc:
            return f"{path}{name}: {exc}"
    return None


def locate_error(w: Any, exc: BaseException) -> str:
    """Which field of a decoded wire struct failed conversion, e.g.
    ``price_changes[1].price: not a decimal number: 'abc'``."""
    for list_name, checks in _NESTED.get(type(w), ()):
        for i, item in enumerate(getattr(w, list_name)):
            found = _first_failure(item, checks, f"{list_name}[{i}].")
            if found:
                return found
    found = _first_failure(w, _CHECKS.get(type(w), {}), "")
    if found:
        return found
    if isinstance(w, _WireNewMarket | _WireResolved):
        try:
            _condition_id(w)
        except UnitError as err:
            return f"market: {err}"
    return f"(unlocated): {type(exc).__name__}: {exc}"


# --- The hot path -------------------------------------------------------------------------
# ``price_change``, ``last_trade_price`` and ``book`` are nearly all of the traffic. ``decode``
# first reads a frame with one reused decoder into the structs below, which are stricter than
# the wire shapes above (no nulls; sides checked and sizes parsed and range-checked by msgspec,
# in C), and converts them with no per-field error handling. Anything this path does not take
# as it is (another event type, a null, a lower-case side, a size that may not be exact, a
# price not cached yet, a bad value) sends the whole frame to the typed path, which gives the
# same events or says exactly what is wrong. A ``book``'s sides are decoded separately
# (``_hot_levels``); a long one reuses its asset's previous levels through a cache of level
# texts (``_long_side``).


class _NotHot(Exception):
    """This frame takes the typed path."""


_MAX_SHARES = int(_FLOAT_EXACT_UNITS / 1e6)
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


class _HotPriceChange(msgspec.Struct, tag_field="event_type", tag="price_change", gc=False):
    market: str
    timestamp: Millis
    price_changes: list[_HotChange]


class _HotTrade(msgspec.Struct, tag_field="event_type", tag="last_trade_price", gc=False):
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


_Hot = _HotPriceChange | _HotTrade | _HotBook
_HOT = msgspec.json.Decoder(list[_Hot] | _Hot, strict=False)
_HOT_LEVEL = msgspec.json.Decoder(_HotLevel, strict=False)
_HOT_SIDE = msgspec.json.Decoder(list[_HotLevel], strict=False)


def _hot_units(size: float) -> int:
    """A size msgspec parsed (``_HotSize``) in micro-units; ``_NotHot`` if maybe not exact.
    ``_hot_price_change``, the hottest loop, writes this out rather than call it."""
    if type(size) is int:
        return size * SCALE
    scaled = size * 1e6  # ``_micro``, inline (msgspec checked the range)
    units = round(scaled)
    if not -0.01 < scaled - units < 0.01:
        raise _NotHot
    return units


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
            level = (_level_prices[price], size)
        except KeyError:
            level = (_price(price), size)
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[text] = level
        return level


_levels = _LevelCache()

_LONG_SIDE = 4096
"""A side at least this long (about 150 levels) reuses the levels of its asset's previous
book on that side up to the first byte that differs (``_long_side``)."""
_SIDES_LIMIT = 512
_sides: dict[tuple[str, bool], tuple[bytes, bytes, list[Level], bool]] = {}
"""(asset id, bids?) -> the last long side's text, its separator, its levels in wire order,
and whether they were in the server's order (strictly worst to best). Emptied when full."""


def clear_value_caches() -> None:
    """Empty the caches of sizes and book levels (prices keep theirs: a small, fixed domain).
    For benchmarks that replay the same frames and must not find every value cached."""
    _sizes.clear()
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
    prices = _level_prices  # a price not cached yet (KeyError): the typed path caches it
    levels = [(prices[level.price], _hot_units(level.size)) for level in _HOT_SIDE.decode(raw)]
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


def _hot_book(w: _HotBook) -> BookSnapshot:
    ltp = w.last_trade_price
    tick = w.tick_size
    asset_id = w.asset_id
    return BookSnapshot(
        feed=FEED,
        asset_id=asset_id,
        market=w.market,
        bids=_hot_levels(w.bids, asset_id, True),
        asks=_hot_levels(w.asks, asset_id, False),
        timestamp=w.timestamp,
        hash=w.hash,
        tick_size=_tick(tick) if tick else None,
        last_trade_price=parse_price(ltp) if ltp else None,
    )


def _hot_price_change(w: _HotPriceChange) -> BookDelta:
    prices = _level_prices  # a price not cached yet (KeyError): the typed path caches it
    optional = _opt_prices
    changes = []
    for c in w.price_changes:
        size = c.size
        if type(size) is int:  # ``_hot_units``, inline
            size *= SCALE
        else:
            scaled = size * 1e6
            size = round(scaled)
            if not -0.01 < scaled - size < 0.01:
                raise _NotHot
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


def _hot_trade(w: _HotTrade) -> Trade:
    return Trade(
        feed=FEED,
        asset_id=w.asset_id,
        market=w.market,
        price=_level_prices[w.price],
        size=_hot_units(w.size),
        side=w.side,
        timestamp=w.timestamp,
        fee_rate_bps=w.fee_rate_bps,
        transaction_hash=w.transaction_hash,
    )


_HOT_CONVERT: dict[type, Callable[[Any], MarketEvent]] = {
    _HotPriceChange: _hot_price_change,
    _HotTrade: _hot_trade,
    _HotBook: _hot_book,
}


# --- Frames ---------------------------------------------------------------------------------

_PONGS = ("PONG", b"PONG")


def is_pong(frame: str | bytes) -> bool:
    """True for the server's heartbeat reply: ``PONG`` in any case, surrounding blanks ignored."""
    try:
        return len(frame) <= 64 and frame.strip().upper() in _PONGS
    except (AttributeError, TypeError):
        return False


def sample_of(frame: str | bytes | Any) -> str:
    """The first characters of a frame as safe text, for an error's ``sample``."""
    if isinstance(frame, bytes | bytearray | memoryview):
        text = bytes(frame[: SAMPLE_CHARS * 4]).decode("utf-8", "replace")
    elif isinstance(frame, str):
        text = frame
    else:
        text = repr(frame)
    return _safe(text[:SAMPLE_CHARS])


def _safe(text: str) -> str:
    """Text that can be encoded as UTF-8 (lone surrogates escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# Event types whose loss leaves a book wrong (a missed level, snapshot or tick).
_BOOK_TYPES = frozenset({"book", "price_change", "tick_size_change"})
_Scope = tuple[tuple[str, ...], str, bool]
_ANY_BOOK: _Scope = ((), "", True)
_NO_BOOK: _Scope = ((), "", False)


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def books_touched(item: Any, event_type: str | None) -> _Scope:
    """Which books an item that failed to decode could have changed: (asset ids, market,
    any book). A trade, best_bid_ask or market notice changes no book; a book, price_change
    or tick change — or an item of unknown shape — names its assets or market where it
    can, and otherwise could have changed any book."""
    if event_type is not None and event_type not in _BOOK_TYPES:
        return _NO_BOOK
    assets: list[str] = []
    asset = _field(item, "asset_id")
    if isinstance(asset, str) and asset:
        assets.append(asset)
    changes = _field(item, "price_changes")
    if isinstance(changes, list):
        for change in changes:
            asset = _field(change, "asset_id")
            if isinstance(asset, str) and asset and asset not in assets:
                assets.append(asset)
    market = _field(item, "market")
    market = market if isinstance(market, str) else ""
    if not assets and not market:
        return _ANY_BOOK
    return tuple(assets), market, False


def _error(
    message: str, frame: Any, feed: str = FEED, scope: _Scope = _ANY_BOOK
) -> FeedError:
    """A FeedError; ``scope`` (default: any book) says which books the lost input concerned."""
    if len(message) > _MESSAGE_CHARS:
        message = message[: _MESSAGE_CHARS - 3] + "..."
    asset_ids, market, all_books = scope
    return FeedError(
        feed=feed,
        message=_safe(message),
        sample=sample_of(frame),
        asset_ids=asset_ids,
        market=market,
        all_books=all_books,
    )


def _convert(w: Any, prefix: str, frame: str | bytes) -> MarketEvent:
    try:
        return _CONVERT[type(w)](w)
    except (ValueError, TypeError) as exc:
        event_type = _TAG_OF[type(w)]
        return _error(
            f"{prefix}{event_type}.{locate_error(w, exc)}",
            frame,
            scope=books_touched(w, event_type),
        )


def validation_message(exc: msgspec.ValidationError) -> tuple[str, str]:
    """A msgspec validation error as (path, what): ``.price_changes[1].price``,
    ``expected `str`, got `int```."""
    text = str(exc)
    what, sep, path = text.rpartition(" - at `$")
    if not sep:
        what, path = text, ""
    else:
        path = path.rstrip("`")
    return path, what[:1].lower() + what[1:]


def decode(frame: str | bytes) -> list[MarketEvent]:
    """Every event in one market-channel frame. Never raises: bad parts become FeedError."""
    try:
        wire = _HOT.decode(frame)
        kind = type(wire)
        if kind is _HotPriceChange:
            return [_hot_price_change(wire)]
        if kind is _HotTrade:
            return [_hot_trade(wire)]
        if kind is list:
            convert = _HOT_CONVERT
            return [convert[type(w)](w) for w in wire]
        return [_HOT_CONVERT[kind](wire)]
    except Exception:  # anything the hot path does not take as it is
        return _decode_typed(frame)


def _decode_typed(frame: str | bytes) -> list[MarketEvent]:
    """The wire shapes; items that fail them are decoded one by one on the slow path."""
    try:
        try:
            wire = _FAST.decode(frame)
        except (msgspec.DecodeError, UnicodeError, TypeError):
            if is_pong(frame):
                return []
            return _decode_slow(frame)
        if type(wire) is list:
            convert = _CONVERT
            out: list[MarketEvent] = []
            for i, w in enumerate(wire):
                try:
                    out.append(convert[type(w)](w))
                except (ValueError, TypeError):
                    out.append(_convert(w, f"[{i}] ", frame))
            return out
        try:
            return [_CONVERT[type(wire)](wire)]
        except (ValueError, TypeError):
            return [_convert(wire, "", frame)]
    except Exception as exc:  # a bug, not bad input; still never raise out of a codec
        return [_error(f"internal decoder error: {type(exc).__name__}: {exc}", frame)]


def json_type_name(value: Any) -> str:
    """The JSON name of a decoded value's type: object, array, string, number, boolean, null."""
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def infer_event_type(item: dict[str, Any]) -> str | None:
    """The ``event_type`` of an item that has none, from its shape (rules in the module doc)."""
    if "price_changes" in item:
        return "price_change"
    if "bids" in item or "asks" in item:
        return "book"
    if "new_tick_size" in item:
        return "tick_size_change"
    if "winning_asset_id" in item:
        return "market_resolved"
    if "assets_ids" in item or "clob_token_ids" in item or "question" in item:
        return "new_market"
    if "best_bid" in item or "best_ask" in item or "spread" in item:
        return "best_bid_ask"
    if "price" in item:
        return "price_change" if "hash" in item else "last_trade_price"
    return None


def _decode_slow(frame: str | bytes) -> list[MarketEvent]:
    if isinstance(frame, str | bytes) and not frame.strip():
        return [_error("empty frame", frame)]
    try:
        value = _ANY.decode(frame)
    except UnicodeError:
        return [_error("frame is not valid UTF-8 text", frame)]
    except msgspec.DecodeError as exc:
        return [_error(f"not JSON: {exc}", frame)]
    except TypeError:
        return [_error(f"frame is not text: {type(frame).__name__}", frame)]
    if isinstance(value, list):
        return [_decode_item(item, f"[{i}] ", frame) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return [_decode_item(value, "", frame)]
    return [_error(f"frame is a JSON {json_type_name(value)}, not an object or array", frame)]


def _decode_item(item: Any, prefix: str, frame: str | bytes) -> MarketEvent:
    if not isinstance(item, dict):
        return _error(f"{prefix}item is a JSON {json_type_name(item)}, not an object", frame)
    event_type = item.get("event_type")
    if event_type is None:
        event_type = infer_event_type(item)
        if event_type is None:
            keys = ", ".join(sorted(str(k) for k in item)[:10]) or "none"
            return _error(
                f"{prefix}no event_type and an unrecognised shape (keys: {keys})",
                frame,
                scope=books_touched(item, None),
            )
    elif not isinstance(event_type, str):
        kind = json_type_name(event_type)
        return _error(
            f"{prefix}event_type is a JSON {kind}, not a string",
            frame,
            scope=books_touched(item, None),
        )
    if event_type == "price_change" and "price_changes" not in item:
        if "price" not in item:
            return _error(
                f"{prefix}price_change: neither price_changes[] nor a single price/size/side",
                frame,
                scope=books_touched(item, event_type),
            )
        wire_type: type | None = _WireOldPriceChange
    else:
        wire_type = _BY_TAG.get(event_type)
    if wire_type is None:
        return UnknownEvent(feed=FEED, event_type=event_type, data=item)
    try:
        wire = msgspec.convert(item, wire_type, strict=False)
    except msgspec.ValidationError as exc:
        path, what = validation_message(exc)
        return _error(
            f"{prefix}{event_type}{path or ''}: {what}",
            frame,
            scope=books_touched(item, event_type),
        )
    return _convert(wire, prefix, frame)


# --- Requests ------------------------------------------------------------------------------


def _id_list(asset_ids: Iterable[str]) -> list[str]:
    if isinstance(asset_ids, str | bytes):
        raise TypeError("asset_ids must be an iterable of token ids, not one string")
    ids = list(asset_ids)
    for token in ids:
        if not isinstance(token, str):
            raise TypeError(f"token id is not a string: {token!r}")
    return ids


def _encode(message: dict[str, Any]) -> str:
    return msgspec.json.encode(message).decode()


def subscribe(
    asset_ids: Iterable[str], *, custom_features: bool = True, initial_dump: bool = True
) -> str:
    """The first message on a new socket (PROTOCOLS §1.1). Never sends ``level``."""
    return _encode(
        {
            "type": "market",
            "assets_ids": _id_list(asset_ids),
            "custom_feature_enabled": custom_features,
            "initial_dump": initial_dump,
        }
    )


def subscribe_more(asset_ids: Iterable[str], *, custom_features: bool = True) -> str:
    """Add assets on an open socket (PROTOCOLS §1.2); each gets a fresh ``book``."""
    return _encode(
        {
            "operation": "subscribe",
            "assets_ids": _id_list(asset_ids),
            "custom_feature_enabled": custom_features,
        }
    )


def unsubscribe(asset_ids: Iterable[str]) -> str:
    """Drop assets on an open socket (PROTOCOLS §1.2)."""
    return _encode({"operation": "unsubscribe", "assets_ids": _id_list(asset_ids)})
