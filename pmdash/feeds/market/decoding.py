"""CLOB market channel codec (PROTOCOLS §1): text frames in, typed events out; requests out.

Decoding has three paths, each taking what the one before it does not:

1. The hot path (``hot_path``): ``price_change``, ``last_trade_price`` and ``book`` exactly
   as the server writes them, nearly all of the traffic. One reused msgspec decoder into strict
   structs (sides checked, sizes parsed and range-checked by msgspec in C), converted with no
   per-field error handling. Anything unusual anywhere in the frame sends the whole frame to
   the typed path.
2. The typed path (``wire``) decodes the whole frame into the wire structs (a union
   tagged on ``event_type``, as an object or an array of them) and says which field of an item
   is bad.
3. Anything the typed path rejects (an unknown or missing ``event_type``, the older
   single-change ``price_change``, a wrong type anywhere) goes to the slow path, in this
   module, which decodes the frame generically and handles each item on its own, so the good
   items of an array survive a bad one.

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

from typing import Any

import msgspec

from pmdash.feeds.common import json_type_name, safe_text, sample_of
from pmdash.feeds.market.book_levels import one_level_per_price
from pmdash.feeds.market.hot_path import (
    HOT_CONVERT,
    HOT_DECODER,
    HOT_SHORT_DECODER,
    SHORT_FRAME,
    HotPriceChange,
    HotTrade,
    clear_value_caches,
    hot_price_change,
    hot_trade,
)
from pmdash.feeds.market.wire import (
    ANY_DECODER,
    CONVERT,
    FEED,
    TAG_OF_WIRE,
    WIRE_BY_TAG,
    WIRE_DECODER,
    WireOldPriceChange,
    locate_error,
)
from pmdash.models import FeedError, MarketEvent, UnknownEvent

__all__ = [
    "books_touched",
    "clear_value_caches",
    "decode",
    "infer_event_type",
    "is_pong",
    "validation_message",
]
_MESSAGE_CHARS = 400


# --- Frames ---------------------------------------------------------------------------------

_PONGS = ("PONG", b"PONG")


def is_pong(frame: str | bytes) -> bool:
    """True for the server's heartbeat reply: ``PONG`` in any case, surrounding blanks ignored."""
    try:
        return len(frame) <= 64 and frame.strip().upper() in _PONGS
    except (AttributeError, TypeError):
        return False


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
    unnamed = False
    changes = _field(item, "price_changes")
    if isinstance(changes, list):
        for change in changes:
            asset = _field(change, "asset_id")
            if not isinstance(asset, str) or not asset:
                unnamed = True  # a change lost with no asset to name: any of the market's
            elif asset not in assets:
                assets.append(asset)
    market = _field(item, "market")
    market = market if isinstance(market, str) else ""
    if unnamed:
        return ((), market, False) if market else _ANY_BOOK
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
        message=safe_text(message),
        sample=sample_of(frame),
        asset_ids=asset_ids,
        market=market,
        all_books=all_books,
    )


def _convert(w: Any, prefix: str, frame: str | bytes) -> MarketEvent:
    try:
        return CONVERT[type(w)](w)
    except (ValueError, TypeError) as exc:
        event_type = TAG_OF_WIRE[type(w)]
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
        # Any: the branches below narrow by ``type(wire) is``, which mypy does not follow for
        # msgspec's typed decoders (>= 0.23); isinstance() or cast() would cost a call per frame.
        wire: Any = (HOT_SHORT_DECODER if len(frame) < SHORT_FRAME else HOT_DECODER).decode(frame)
        kind = type(wire)
        if kind is HotPriceChange:
            return [hot_price_change(wire)]
        if kind is HotTrade:
            return [hot_trade(wire)]
        if kind is list:
            convert = HOT_CONVERT
            return one_level_per_price([convert[type(w)](w) for w in wire])
        return one_level_per_price([HOT_CONVERT[kind](wire)])
    except Exception:  # anything the hot path does not take as it is
        return _decode_typed(frame)


def _decode_typed(frame: str | bytes) -> list[MarketEvent]:
    """The wire shapes; items that fail them are decoded one by one on the slow path. A book
    that repeats a price keeps one level per price, with a FeedError (``book_levels``)."""
    return one_level_per_price(_decode_wire(frame))


def _decode_wire(frame: str | bytes) -> list[MarketEvent]:
    try:
        try:
            wire = WIRE_DECODER.decode(frame)
        except (msgspec.DecodeError, UnicodeError, TypeError):
            if is_pong(frame):
                return []
            return _decode_slow(frame)
        if type(wire) is list:
            convert = CONVERT
            out: list[MarketEvent] = []
            for i, w in enumerate(wire):
                try:
                    out.append(convert[type(w)](w))
                except (ValueError, TypeError):
                    out.append(_convert(w, f"[{i}] ", frame))
            return out
        try:
            return [CONVERT[type(wire)](wire)]
        except (ValueError, TypeError):
            return [_convert(wire, "", frame)]
    except Exception as exc:  # a bug, not bad input; still never raise out of a codec
        return [_error(f"internal decoder error: {type(exc).__name__}: {exc}", frame)]


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
        value = ANY_DECODER.decode(frame)
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
        wire_type: type | None = WireOldPriceChange
    else:
        wire_type = WIRE_BY_TAG.get(event_type)
    if wire_type is None:
        return UnknownEvent(feed=FEED, event_type=event_type, data=item)
    try:
        wire: Any = msgspec.convert(item, wire_type, strict=False)
    except msgspec.ValidationError as exc:
        path, what = validation_message(exc)
        return _error(
            f"{prefix}{event_type}{path or ''}: {what}",
            frame,
            scope=books_touched(item, event_type),
        )
    return _convert(wire, prefix, frame)
