"""The market channel's typed path: its wire shapes as msgspec structs, the parsers of their
fields into exact micro-units, their conversion into events, and, when a conversion fails, which
field is bad (``locate_error``). ``decode`` takes this path for what its hot path
(``hot_path``) does not take; ``clob_rest`` reads REST books with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec

from pmdash.models import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    LevelChange,
    MarketEvent,
    MarketResolved,
    NewMarket,
    Side,
    TickSizeChange,
    Trade,
)
from pmdash.units import UnitError, parse_price, parse_size

FEED = "market"
CACHE_LIMIT = 65_536
# Below this many micro-units (1e8 shares) a float parsed from a decimal with at most 6
# decimals, times 1e6, is within 0.03 of the exact count (see ``_micro``).
FLOAT_EXACT_UNITS = 1e14

# --- Wire shapes ---------------------------------------------------------------------------
# Field names and types as the server sends them. Optional strings accept null as absent.
# Decoded with ``strict=False`` so msgspec turns the string timestamps into ints in C (it then
# also takes a JSON integer there). Sizes are strings, or JSON numbers (the hot path,
# ``hot_path``, has msgspec parse them as floats, which takes both, so this path takes both
# too); every other field stays a strict string.

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


class WireOldPriceChange(msgspec.Struct, gc=False):
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
WIRE_DECODER = msgspec.json.Decoder(list[_Wire] | _Wire, strict=False)
ANY_DECODER = msgspec.json.Decoder()
WIRE_BY_TAG: dict[str, type] = {
    "book": WireBook,
    "price_change": _WirePriceChange,
    "last_trade_price": _WireTrade,
    "tick_size_change": _WireTick,
    "best_bid_ask": _WireBestBidAsk,
    "new_market": _WireNewMarket,
    "market_resolved": _WireResolved,
}
TAG_OF_WIRE: dict[type, str] = {v: k for k, v in WIRE_BY_TAG.items()}
TAG_OF_WIRE[WireOldPriceChange] = "price_change"

# --- Field parsers ---------------------------------------------------------------------------

level_prices: dict[str, int] = {}
"""Price text -> micro-units, filled by ``price_units``."""
opt_prices: dict[str, int | None] = {"": None}
"""The same, and ``""`` (absent) -> None: the hot path reads optional prices with no test."""


def price_units(text: str) -> int:
    """A required price (``""`` is an error), through a bounded cache."""
    try:
        return level_prices[text]
    except KeyError:
        pass
    units = parse_price(text)
    if units is None:
        raise UnitError("empty price")
    if len(level_prices) < CACHE_LIMIT:
        level_prices[text] = units
        opt_prices[text] = units
    return units


def _opt_price(text: str | None) -> int | None:
    """An optional price (``""`` or None: absent), cached as ``price_units`` caches: the hot
    path reads optional prices (a book's last trade, a change's best prices) from the cache
    only, so one it has not seen yet takes the typed path, once."""
    return price_units(text) if text else None


class _SizeCache(dict[str | float, int]):
    """Size (string, or a JSON number) -> micro-units. A miss is parsed by ``_new_size``,
    which keeps it (and empties the cache when it is full)."""

    def __missing__(self, value: str | float) -> int:
        return _new_size(value)


size_cache = _SizeCache()


def _micro(value: float) -> int | None:
    """``value`` (a parsed decimal) in micro-units, or None when that may not be exact.

    Below ``FLOAT_EXACT_UNITS`` a float parsed from a decimal with at most 6 decimals is within
    0.03 of its exact micro-unit count, so ``round`` gives it; a 7th decimal leaves at least
    0.07 over a whole count, and the 0.01 test sends it to the exact parser (which rejects it).
    Negative, NaN and infinite values give None.
    """
    scaled = value * 1e6
    if 0.0 <= scaled < FLOAT_EXACT_UNITS:
        units = round(scaled)
        if -0.01 < scaled - units < 0.01:
            return units
    return None


def _size(value: str | float) -> int:
    """A size in micro-units through a bounded cache; exact, as ``units.parse_size``."""
    return size_cache[value]


def _new_size(value: str | float) -> int:
    """Parse a size the cache does not hold and remember it (the cache is cleared when full).

    A string size is parsed exactly (``units.parse_size``). A JSON number must be a whole
    number of micro-units below ``FLOAT_EXACT_UNITS``; one that is not zero never rounds to
    zero, which would remove its level.
    """
    if type(value) is float:
        units = _micro(value)
        if units is None or (units == 0 and value != 0.0):
            if value < 0:
                raise UnitError(f"negative size: {value!r}")
            raise UnitError(f"size is a JSON number that is not exact in micro-units: {value!r}")
    else:
        units = parse_size(value)  # type: ignore[arg-type]  # a str: msgspec gives str or float
    if len(size_cache) >= CACHE_LIMIT:
        size_cache.clear()
    size_cache[value] = units
    return units


def _opt_size(value: str | float | None) -> int | None:
    return None if value is None or value == "" else _size(value)


def tick_units(text: str) -> int:
    units = price_units(text)
    if units <= 0:
        raise UnitError(f"tick size is not positive: {text!r}")
    return units


def _opt_tick(text: str | None) -> int | None:
    return tick_units(text) if text else None


def _side(text: str) -> Side:
    if text == "BUY":
        return "BUY"
    if text == "SELL":
        return "SELL"
    upper = text.upper()
    if upper == "BUY":
        return "BUY"
    if upper == "SELL":
        return "SELL"
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
    prices = level_prices
    sizes = size_cache
    # A book repeats the prices and most sizes of the last one: one cache lookup per field
    # (a price the cache misses, rare, costs that side a second pass).
    try:
        bids = [(prices[lv.price], sizes[lv.size]) for lv in w.bids]
    except KeyError:
        bids = [(price_units(lv.price), sizes[lv.size]) for lv in w.bids]
    try:
        asks = [(prices[lv.price], sizes[lv.size]) for lv in w.asks]
    except KeyError:
        asks = [(price_units(lv.price), sizes[lv.size]) for lv in w.asks]
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
        tick_size=tick_units(tick) if tick else None,
        last_trade_price=parse_price(ltp) if ltp else None,
    )


def _price_change(w: _WirePriceChange) -> BookDelta:
    sizes = size_cache
    changes = []
    for c in w.price_changes:
        bid = c.best_bid
        ask = c.best_ask
        changes.append(
            LevelChange(
                c.asset_id,
                _side(c.side),
                price_units(c.price),
                sizes[c.size],
                price_units(bid) if bid else None,
                price_units(ask) if ask else None,
                c.hash or "",
            )
        )
    return BookDelta(feed=FEED, market=w.market, timestamp=w.timestamp, changes=tuple(changes))


def _old_price_change(w: WireOldPriceChange) -> BookDelta:
    change = LevelChange(
        w.asset_id,
        _side(w.side),
        price_units(w.price),
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
        price=price_units(w.price),
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
        new_tick_size=tick_units(w.new_tick_size),
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


CONVERT: dict[type, Callable[[Any], MarketEvent]] = {
    WireBook: book_snapshot,
    _WirePriceChange: _price_change,
    WireOldPriceChange: _old_price_change,
    _WireTrade: _trade,
    _WireTick: _tick_change,
    _WireBestBidAsk: _best_bid_ask,
    _WireNewMarket: _new_market,
    _WireResolved: _resolved,
}

# --- Locating a bad field (error path only) ------------------------------------------------

_Check = Callable[[Any], object]
_LEVEL_CHECKS: dict[str, _Check] = {"price": price_units, "size": _size}
_CHANGE_CHECKS: dict[str, _Check] = {
    "price": price_units,
    "size": _size,
    "side": _side,
    "best_bid": _opt_price,
    "best_ask": _opt_price,
}
_CHECKS: dict[type, dict[str, _Check]] = {
    WireBook: {"tick_size": _opt_tick, "last_trade_price": _opt_price},
    _WirePriceChange: {},
    WireOldPriceChange: {"price": price_units, "size": _size, "side": _side},
    _WireTrade: {"price": price_units, "size": _opt_size, "side": _opt_side},
    _WireTick: {"old_tick_size": _opt_tick, "new_tick_size": tick_units},
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

