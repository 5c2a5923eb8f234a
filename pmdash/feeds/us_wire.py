"""What both Polymarket US sockets share (PROTOCOLS §5.2, §5.3): the requests they take, the
``{value, currency}`` amount, RFC-3339 times, and the one decode path of their frames.

Decoding: the JSON is read with decimals kept exact (``Decimal``), snake_case keys are turned
into the camelCase the current gateway sends (an older doc generation used snake_case), and the
result is converted to the feed's typed frame struct. Pure: no I/O, no state.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from pmdash.feeds.common import sample_of
from pmdash.models import Event, FeedError, Side
from pmdash.units import UnitError, parse_exact, parse_price, parse_size

MAX_SLUGS = 100
"""Market slugs per subscription (US-DOCS markets page): larger sets are split."""

T = TypeVar("T")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_SNAKE = re.compile(r"_([a-z0-9])")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_MAX_FRAME_DEPTH = 64
_MAX_WHOLE_DIGITS = 13
"""As ``pmdash.units``: magnitudes from 1e13 on are refused."""
_MAX_DIGITS = 28
"""Digits taken in one amount: the default decimal context's precision, within which
``scaleb`` is exact (an exact amount needs 19 at most: 13 whole, 6 decimals)."""


Number = str | int | float
"""A decimal the wire sends as a string (as documented) or, from some servers, a JSON number:
a number is taken by its shortest text, which is the decimal it was written as."""


class Amount(msgspec.Struct, frozen=True, gc=False):
    """``{"value": "0.55", "currency": "USD"}``: ``value`` a decimal string (or number)."""

    value: Number
    currency: str = "USD"


class FrameError(Exception):
    """Why a frame (or part of it) cannot be read; the codec turns it into a FeedError."""


class Envelope(msgspec.Struct, frozen=True, gc=False):
    """The fields every frame of both sockets may carry beside its payload."""

    requestId: str = ""
    subscriptionType: str | int = ""
    heartbeat: Any = None
    error: Any = None


F = TypeVar("F", bound=Envelope)


def decode(feed: str, frame: str | bytes, kind: type[F],
           events: Callable[[F, str | bytes], list[Event]]) -> list[Event]:
    """One frame of either socket -> events: ``[]`` for a heartbeat, a ``FeedError`` for a
    server error or a frame that cannot be read (naming its request), else ``events(msg,
    frame)`` for the payload. Never raises."""
    got = load(feed, frame, kind)
    if isinstance(got, FeedError):
        return [got]
    note = request_note(got.requestId, got.subscriptionType)
    if got.heartbeat is not None:
        return []
    if got.error:
        return [error(feed, f"server error{note}: {str(got.error)[:200]}", frame)]
    try:
        return events(got, frame)
    except FrameError as exc:
        return [error(feed, f"{exc}{note}", frame)]


# --- requests --------------------------------------------------------------------------------


def subscribe(request_id: str, subscription_type: str, slugs: Sequence[str] = ()) -> str:
    """``{"subscribe":{"requestId":..,"subscriptionType":..,"marketSlugs":[..]}}``; the slugs
    key is left out when empty (for private ORDER/POSITION: all markets), as the SDK does."""
    if len(slugs) > MAX_SLUGS:
        raise ValueError(f"at most {MAX_SLUGS} market slugs per subscription, got {len(slugs)}")
    body: dict[str, Any] = {"requestId": request_id, "subscriptionType": subscription_type}
    if slugs:
        body["marketSlugs"] = list(slugs)
    return json.dumps({"subscribe": body}, separators=(",", ":"))


def unsubscribe(request_id: str) -> str:
    """``{"unsubscribe":{"requestId":..}}``: subscriptions end by requestId only."""
    return json.dumps({"unsubscribe": {"requestId": request_id}}, separators=(",", ":"))


def chunks(slugs: Sequence[str], size: int = MAX_SLUGS) -> Iterator[list[str]]:
    """``slugs`` (duplicates dropped, order kept) in lists of at most ``size``."""
    unique = list(dict.fromkeys(slugs))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def is_heartbeat(frame: str | bytes) -> bool:
    """Whether ``frame`` is the server's ``{"heartbeat":{}}`` (blanks ignored)."""
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    return "".join(text.split()) == '{"heartbeat":{}}'


# --- decoding --------------------------------------------------------------------------------


def _camel(key: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), key) if "_" in key else key


def camelize(value: Any, depth: int = 0) -> Any:
    """``value`` with every object key in camelCase (``market_slug`` -> ``marketSlug``)."""
    if depth > _MAX_FRAME_DEPTH:
        raise FrameError("frame nested too deeply")
    if isinstance(value, dict):
        return {_camel(k): camelize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v, depth + 1) for v in value]
    return value


def load(feed: str, frame: str | bytes, kind: type[T]) -> T | FeedError:
    """The frame as ``kind``, or a FeedError naming ``feed`` and what was wrong.

    First a direct typed decode (with prices through ``parse_price`` and sizes through
    ``parse_size``, a 40-level ``marketData`` takes 74 us, measured, against 465 us when every
    frame was decoded to Python objects, renamed and converted). A frame in which it finds no
    payload, or which it refuses, is read again with its keys put in camelCase: snake_case
    frames are taken, and errors are reported against the camelCase names."""
    try:
        direct = msgspec.json.decode(frame, type=kind)
    except (msgspec.DecodeError, UnicodeError, TypeError, ValueError, RecursionError):
        pass
    else:
        if _has_payload(direct):
            return direct
    try:
        data = _DECODER.decode(frame)
    except (msgspec.DecodeError, UnicodeError):
        return error(feed, "not JSON", frame)
    except (TypeError, ValueError, RecursionError) as exc:
        return error(feed, f"unreadable frame: {type(exc).__name__}", frame)
    if not isinstance(data, dict):
        return error(feed, f"frame is a JSON {type(data).__name__}, not an object", frame)
    try:
        return msgspec.convert(camelize(data), kind)
    except msgspec.ValidationError as exc:
        return error(feed, f"unexpected frame shape: {exc}", frame)
    except (FrameError, RecursionError) as exc:
        return error(feed, str(exc) or "frame nested too deeply", frame)


def _has_payload(value: Any) -> bool:
    """Whether a decoded struct holds any field whose default is None (a payload), or is
    not a struct at all."""
    if not isinstance(value, msgspec.Struct):
        return True
    names = value.__struct_fields__
    defaults = value.__struct_defaults__  # of the last len(defaults) fields
    first = len(names) - len(defaults)
    return any(
        default is None and getattr(value, names[first + i]) is not None
        for i, default in enumerate(defaults)
    )


def error(feed: str, message: str, frame: Any) -> FeedError:
    return FeedError(feed=feed, message=message[:400], sample=sample_of(frame))


def _text(value: Decimal | Number, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FrameError(f"{what}: not a finite number")
        return repr(value)
    return str(value)


def units(value: Decimal | Number | None, what: str) -> int:
    """An exact amount in micro-units, any sign (raises FrameError naming ``what``)."""
    if value is None:
        raise FrameError(f"{what} is missing")
    if isinstance(value, Decimal):
        return _decimal_units(value, what)
    try:
        return parse_exact(_text(value, what))
    except UnitError as exc:
        raise FrameError(f"{what}: {exc}") from None


def _decimal_units(value: Decimal, what: str) -> int:
    """A Decimal (a JSON number read exactly) in micro-units, without going through text."""
    if not value.is_finite():
        raise FrameError(f"{what}: not a finite number: {value}")
    if value and value.adjusted() >= _MAX_WHOLE_DIGITS:
        raise FrameError(f"{what}: number out of range: {str(value)[:20]}")
    if len(value.as_tuple().digits) > _MAX_DIGITS:
        raise FrameError(f"{what}: more digits than an exact amount has: {str(value)[:30]}")
    scaled = value.scaleb(6)
    whole = int(scaled)
    if whole != scaled:
        raise FrameError(f"{what}: more than 6 decimals: {value}")
    return whole


def price(amount: Amount | None, what: str) -> int:
    """A price amount in micro-units, in [0, 1] (``pmdash.units.parse_price``)."""
    if amount is None:
        raise FrameError(f"{what} is missing")
    try:
        got = parse_price(_text(amount.value, what))
    except UnitError as exc:
        raise FrameError(f"{what}: {exc}") from None
    if got is None:
        raise FrameError(f"{what} is empty")
    return got


def optional_price(amount: Amount | None, what: str) -> int | None:
    return None if amount is None else price(amount, what)


def size(value: Decimal | Number | None, what: str) -> int:
    """A non-negative quantity in micro-units (``""`` or missing is 0)."""
    if value is None or value == "":
        return 0
    if isinstance(value, Decimal):
        got = _decimal_units(value, what)
        if got < 0:
            raise FrameError(f"{what} is negative: {value}")
        return got
    try:
        return parse_size(_text(value, what))
    except UnitError as exc:
        raise FrameError(f"{what}: {exc}") from None


def rfc3339_ms(text: str | None) -> int:
    """An RFC-3339 time (up to 9 fractional digits) as Unix ms; 0 when absent."""
    if not text:
        return 0
    try:
        moment = dt.datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()))
    except ValueError:
        raise FrameError(f"not an RFC-3339 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def side_of(text: str | None) -> Side:
    """``ORDER_SIDE_BUY`` / ``BUY`` -> ``BUY`` (and SELL)."""
    word = (text or "").upper().removeprefix("ORDER_SIDE_")
    if word == "BUY":
        return "BUY"
    if word == "SELL":
        return "SELL"
    raise FrameError(f"unknown side: {str(text)[:40]!r}")


def outcome_of_intent(intent: str | None) -> str:
    """LONG intents trade YES contracts, SHORT ones NO (PROTOCOLS §5.3)."""
    word = (intent or "").upper()
    if word.endswith("_LONG"):
        return "Yes"
    if word.endswith("_SHORT"):
        return "No"
    return ""


def strip_prefix(text: str | None, prefix: str) -> str:
    """``ORDER_STATE_FILLED`` -> ``FILLED`` (upper case; other words kept)."""
    return (text or "").upper().removeprefix(prefix)


def request_note(request_id: str, subscription_type: str | int) -> str:
    parts = [f"requestId {request_id}" if request_id else "", str(subscription_type or "")]
    shown = ", ".join(p for p in parts if p)
    return f" ({shown})" if shown else ""
