"""The CLOB user channel (PROTOCOLS §2): your orders and trades, and the requests it takes.

Pure and sans-I/O. ``decode(frame, me)`` turns a frame (one object or an array of them) into
``OrderEvent`` and ``Fill`` events; nothing raises out of it: what cannot be read becomes a
``FeedError`` naming the feed and what was wrong. Unknown fields are ignored.

- ``order`` events (``type`` PLACEMENT / UPDATE / CANCELLATION) -> one ``OrderEvent``. The
  ``status`` is upper-cased with an ``ORDER_STATUS_`` prefix stripped; a status carrying a reason
  (``CANCELED_order couldn't be fully filled...``) keeps only its word.
- ``trade`` events (``type`` TRADE; every status, ``TRADE_STATUS_`` stripped) -> your ``Fill``(s):
  as taker, one fill at the trade's price and size; as maker, one fill per ``maker_orders``
  entry whose ``owner`` is one of your API keys or whose ``maker_address`` is one of your
  addresses, at that maker order's price and matched amount. Which you were comes from
  ``trader_side``, else from those ownership checks.
- Times (``timestamp``, ``matchtime``/``match_time``, ``last_update``) may be Unix seconds, Unix
  milliseconds or ISO-8601: all become int milliseconds.
- Frames without ``event_type`` (REST trade and order bodies, some captures) are classified by
  ``type`` (``TRADE``; ``PLACEMENT``/``UPDATE``/``CANCELLATION``) or by their fields.

The first message carries the credentials; a ``FeedError`` sample never does: samples are
taken from the frame with every ``auth`` object, ``secret`` and ``passphrase`` value redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from pmdash.credentials import ClobCredentials
from pmdash.feeds.common import NESTED_TOO_DEEP, json_type_name, sample_of
from pmdash.models import FeedError, Fill, OrderEvent, Side
from pmdash.units import UnitError, parse_price, parse_size

FEED = "user"
PING = "PING"
PONG = "PONG"
_MESSAGE_CHARS = 400
_MS_FROM = 100_000_000_000
"""Epoch numbers from this on are milliseconds (1e11 s is the year 5138)."""

UserEvent = OrderEvent | Fill | FeedError


@dataclass(frozen=True)
class Identity:
    """Who "you" are on the channel: your API keys (``owner``) and addresses (signer and
    profile/funder, compared case-insensitively)."""

    api_keys: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()

    @classmethod
    def of(cls, api_keys: Iterable[str] = (), addresses: Iterable[str] = ()) -> Identity:
        return cls(frozenset(k for k in api_keys if k),
                   frozenset(a.lower() for a in addresses if a))

    def owns(self, owner: str, address: str) -> bool:
        return (bool(owner) and owner in self.api_keys) or (
            bool(address) and address.lower() in self.addresses
        )


NOBODY = Identity()

# --- wire shapes (one typed msgspec path) ---------------------------------------------------

_Loose = str | int | float | None
"""A field that servers send as a string, a number, or null."""


class _MakerOrder(msgspec.Struct):
    order_id: str = ""
    owner: str = ""
    maker_address: str = ""
    matched_amount: str = ""
    price: str = ""
    asset_id: str = ""
    outcome: str = ""
    side: str | None = None
    fee_rate_bps: _Loose = None


class _Wire(msgspec.Struct):
    """Every field of an ``order`` or ``trade`` event the codec reads."""

    event_type: str | None = None
    type: str | None = None
    id: str = ""
    market: str = ""
    asset_id: str = ""
    side: str = ""
    price: str = ""
    outcome: str | None = None
    status: str | None = None
    timestamp: _Loose = None
    owner: str | None = None
    maker_address: str | None = None
    fee_rate_bps: _Loose = None
    # order
    original_size: str | None = None
    size_matched: str | None = None
    order_type: str | None = None
    created_at: _Loose = None
    # trade
    taker_order_id: str = ""
    size: str | None = None
    matchtime: _Loose = None
    match_time: _Loose = None
    last_update: _Loose = None
    trader_side: str | None = None
    maker_orders: list[_MakerOrder] | None = None
    error: Any = None


_FRAME = msgspec.json.Decoder(list[_Wire] | _Wire)
_ANY = msgspec.json.Decoder()
_ORDER_KINDS = frozenset({"PLACEMENT", "UPDATE", "CANCELLATION"})


class _Bad(Exception):
    """A field that cannot be used; the message says which and why."""


# --- redaction ------------------------------------------------------------------------------

_JSON_STR = r'"(?:[^"\\]|\\.)*"'
_AUTH_RE = re.compile(r'"auth"\s*:\s*(?:\{[^{}]*\}?|' + _JSON_STR + ")", re.IGNORECASE)
_SECRET_RE = re.compile(
    r'"(secret|passphrase|api_?secret|api_?passphrase)"\s*:\s*(?:' + _JSON_STR + r'|"[^"]*$)',
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every ``auth`` object and ``secret``/``passphrase`` value replaced."""
    text = _AUTH_RE.sub('"auth":"<redacted>"', text)
    return _SECRET_RE.sub(lambda m: f'"{m.group(1)}":"<redacted>"', text)


def safe_sample(frame: str | bytes | Any) -> str:
    """The start of a frame for an error's sample, with credentials redacted first."""
    if isinstance(frame, bytes | bytearray | memoryview):
        frame = bytes(frame).decode("utf-8", "replace")
    if isinstance(frame, str):
        return sample_of(redact(frame))
    return sample_of(frame)


def _error(message: str, frame: Any) -> FeedError:
    return FeedError(feed=FEED, message=message[:_MESSAGE_CHARS], sample=safe_sample(frame))


# --- decoding -------------------------------------------------------------------------------


def decode(frame: str | bytes, me: Identity = NOBODY) -> list[UserEvent]:
    """One user-channel frame -> events (never raises)."""
    try:
        decoded = _FRAME.decode(frame)
    except (msgspec.DecodeError, TypeError, UnicodeError):
        return _decode_slow(frame, me)
    except RecursionError:  # nested deeper than msgspec recurses: not a DecodeError
        return [_error(NESTED_TOO_DEEP, frame)]
    items = decoded if isinstance(decoded, list) else [decoded]
    out: list[UserEvent] = []
    for item in items:
        out.extend(_convert(item, me, frame))
    return out


def decoder(me: Identity) -> Any:
    """``decode`` bound to ``me`` (what a ``FeedPolicy`` takes)."""

    def decode_for_me(frame: str | bytes) -> list[UserEvent]:
        return decode(frame, me)

    return decode_for_me


def _decode_slow(frame: str | bytes, me: Identity) -> list[UserEvent]:
    """The whole frame did not fit the typed shape: find out which item or field is wrong."""
    try:
        data = _ANY.decode(frame)
    except UnicodeError:
        return [_error("frame is not valid UTF-8 text", frame)]
    except msgspec.DecodeError as exc:
        if isinstance(frame, str | bytes) and frame.strip() in ("PONG", b"PONG"):
            return []
        return [_error(f"not JSON: {exc}", frame)]
    except TypeError:
        return [_error(f"frame is not text: {type(frame).__name__}", frame)]
    except RecursionError:
        return [_error(NESTED_TOO_DEEP, frame)]
    items = data if isinstance(data, list) else [data]
    out: list[UserEvent] = []
    for item in items:
        if not isinstance(item, dict):
            out.append(_error(f"an event is a JSON {json_type_name(item)}, not an object", frame))
            continue
        if item.get("event_type") == "error" or ("error" in item and "id" not in item):
            out.append(_error(f"server error: {_server_error(item)}", frame))
            continue
        try:
            wire = msgspec.convert(item, _Wire)
        except msgspec.ValidationError as exc:
            kind = item.get("event_type") or item.get("type") or "event"
            out.append(_error(f"{kind}: {exc}", frame))
            continue
        out.extend(_convert(wire, me, frame))
    return out


def decode_items(items: list[Any], me: Identity, frame: str | bytes) -> list[UserEvent]:
    """Already-parsed order or trade objects (a REST page's ``data``) -> events; ``frame`` is
    the body they came from, for error samples."""
    out: list[UserEvent] = []
    for item in items:
        if not isinstance(item, dict):
            out.append(_error(f"an item is a JSON {json_type_name(item)}, not an object", frame))
            continue
        try:
            wire = msgspec.convert(item, _Wire)
        except msgspec.ValidationError as exc:
            out.append(_error(f"item {str(item.get('id', '?'))[:80]}: {exc}", frame))
            continue
        out.extend(_convert(wire, me, frame))
    return out


def _server_error(item: dict[str, Any]) -> str:
    text = item.get("error") or item.get("message") or "unspecified"
    return redact(str(text))[:200]


def _kind(w: _Wire) -> str | None:
    event = (w.event_type or "").lower()
    kind = (w.type or "").upper()
    if event == "order" or (not event and kind in _ORDER_KINDS):
        return "order"
    if event == "trade" or (not event and kind == "TRADE"):
        return "trade"
    if not event and not kind:
        if w.taker_order_id or w.maker_orders is not None:
            return "trade"
        if w.original_size is not None:
            return "order"
    return None


def _convert(w: _Wire, me: Identity, frame: str | bytes) -> list[UserEvent]:
    kind = _kind(w)
    try:
        if kind == "order":
            return [_order(w)]
        if kind == "trade":
            return list(_fills(w, me))
    except _Bad as exc:
        return [_error(f"{kind} {w.id or '?'}: {exc}", frame)]
    if (w.event_type or "").lower() == "error":
        return [_error(f"server error: {redact(str(w.error))[:200]}", frame)]
    return [_error(f"unknown event: event_type={w.event_type!r} type={w.type!r}", frame)]


def _side(text: str | None, what: str = "side") -> Side:
    value = (text or "").upper()
    if value == "BUY":
        return "BUY"
    if value == "SELL":
        return "SELL"
    raise _Bad(f"{what}: not BUY or SELL: {text!r}")


def _price(text: str, what: str = "price") -> int:
    try:
        units = parse_price(text)
    except UnitError as exc:
        raise _Bad(f"{what}: {exc}") from None
    if units is None:
        raise _Bad(f"{what}: missing")
    return units


def _size(text: str | None, what: str, *, default: int | None = None) -> int:
    if text is None or text == "":
        if default is not None:
            return default
        raise _Bad(f"{what}: missing")
    try:
        return parse_size(text)
    except UnitError as exc:
        raise _Bad(f"{what}: {exc}") from None


def to_ms(value: _Loose) -> int | None:
    """Epoch seconds or milliseconds (a number or its text), or ISO-8601 -> int ms; None when
    absent or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            if stamp.tzinfo is None:
                return None
            return int(stamp.timestamp() * 1000)
    else:
        number = float(value)
    if not (0 <= number < 1e16):
        return None
    return int(number) if number >= _MS_FROM else int(number * 1000)


def _stamp(*values: _Loose) -> int:
    for value in values:
        ms = to_ms(value)
        if ms is not None:
            return ms
    return 0


def order_status(raw: str | None, kind: str, original: int, matched: int) -> str:
    """The order's status word: prefix stripped, a trailing reason dropped, upper case; when
    absent, what the event kind and the matched size say."""
    text = (raw or "").strip()
    if text.upper().startswith("ORDER_STATUS_"):
        text = text[len("ORDER_STATUS_"):]
    if "_" in text and not text.isupper():
        text = text.split("_", 1)[0]
    text = text.upper()
    if text:
        return text
    if kind == "CANCELLATION":
        return "CANCELED"
    return "MATCHED" if original and matched >= original else "LIVE"


def trade_status(raw: str | None) -> str:
    text = (raw or "").strip().upper()
    return text[len("TRADE_STATUS_"):] if text.startswith("TRADE_STATUS_") else text


def _order(w: _Wire) -> OrderEvent:
    if not w.id:
        raise _Bad("id: missing")
    original = _size(w.original_size, "original_size", default=0)
    matched = _size(w.size_matched, "size_matched", default=0)
    kind = (w.type or "").upper()
    return OrderEvent(
        feed=FEED,
        venue="clob",
        order_id=w.id,
        market=w.market,
        asset_id=w.asset_id,
        outcome=w.outcome or "",
        side=_side(w.side),
        price=_price(w.price),
        original_size=original,
        size_matched=matched,
        status=order_status(w.status, kind, original, matched),
        kind=kind or "SNAPSHOT",
        order_type=(w.order_type or "").upper(),
        timestamp=_stamp(w.timestamp, w.created_at),
    )


def _fee(value: _Loose) -> str:
    return "" if value is None else str(value)


def _fills(w: _Wire, me: Identity) -> list[Fill]:
    if not w.id:
        raise _Bad("id: missing")
    status = trade_status(w.status)
    if not status:
        raise _Bad("status: missing")
    taker_side = _side(w.side)
    ts = _stamp(w.timestamp, w.last_update, w.matchtime, w.match_time)
    role = (w.trader_side or "").upper()
    makers = w.maker_orders or []
    mine = [m for m in makers if me.owns(m.owner, m.maker_address)]
    if role == "MAKER" or (role != "TAKER" and mine and not me.owns(w.owner or "", "")):
        fills = []
        for m in mine:
            if m.side:
                side = _side(m.side, "maker_orders.side")
            elif not m.asset_id or m.asset_id == w.asset_id:
                side = "SELL" if taker_side == "BUY" else "BUY"
            else:  # the complementary token: both sides buy (or both sell)
                side = taker_side
            fills.append(Fill(
                feed=FEED, venue="clob", trade_id=w.id, order_id=m.order_id, market=w.market,
                asset_id=m.asset_id or w.asset_id, outcome=m.outcome or w.outcome or "",
                side=side, price=_price(m.price, "maker_orders.price"),
                size=_size(m.matched_amount, "maker_orders.matched_amount"), status=status,
                role="maker", timestamp=ts, fee_rate_bps=_fee(m.fee_rate_bps),
            ))
        return fills
    return [Fill(
        feed=FEED, venue="clob", trade_id=w.id, order_id=w.taker_order_id, market=w.market,
        asset_id=w.asset_id, outcome=w.outcome or "", side=taker_side, price=_price(w.price),
        size=_size(w.size, "size"), status=status, role="taker", timestamp=ts,
        fee_rate_bps=_fee(w.fee_rate_bps),
    )]


# --- requests -------------------------------------------------------------------------------

_encode = msgspec.json.Encoder().encode


def _ids(markets: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(m for m in markets if m))


def subscribe(creds: ClobCredentials, markets: Sequence[str] = ()) -> str:
    """The first message: the credentials and the condition ids (none: every market)."""
    message: dict[str, Any] = {
        "type": "user",
        "auth": {"apiKey": creds.api_key, "secret": creds.secret,
                 "passphrase": creds.passphrase},
    }
    ids = _ids(markets)
    if ids:
        message["markets"] = ids
    return _encode(message).decode()


def subscribe_more(markets: Iterable[str]) -> str:
    return _encode({"operation": "subscribe", "markets": _ids(markets)}).decode()


def unsubscribe(markets: Iterable[str]) -> str:
    return _encode({"operation": "unsubscribe", "markets": _ids(markets)}).decode()
