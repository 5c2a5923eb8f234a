"""PolyBolt (PROTOCOLS §3b): reference prices. Sans-I/O: frames in, events out; requests out.

Decoding (one typed msgspec path, ``_Frame | list[_Frame]``):
- an ``op`` frame (``authed``, ``subscribed``, ``unsubscribed``, ``pong``, ``error``,
  ``challenge``, or an op this version does not know) -> ``FeedAck``;
- a data frame of a price channel (``price.crypto``, ``price.crypto.twap``, ``price.equity``,
  ``price.equity.twap``) -> ``PriceTick`` per update, or per point of a snapshot
  (``snapshot: true``: the preceding two minutes, possibly empty), preceded by a ``PriceGap``
  when the frame carries ``dropped: n``. Frames without ``source`` (the 2026-09 capture) give
  ``source=""``. Other channels (``price.polymarket``) and versions other than ``v: 1`` are
  dropped (PY-SDK does the same).
- anything unreadable -> ``FeedError``; one bad point of a snapshot spoils only itself.

Requests: ``auth``, ``subscribe`` (a batch), ``unsubscribe`` (one pair per frame), ``ping``.
A subscription is named by a string key (``sub_key``) so the connection's subscription set can
hold it: ``price.crypto:btcusd``, ``price.crypto.twap:btcusd:60``, ``price.equity:aapl``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from pmdash.feeds.common import decode_each, sample_of
from pmdash.feeds.price_values import BadValue, crypto_symbol, pick_value
from pmdash.models import Event, FeedAck, FeedError, PriceGap, PriceKind, PriceTick

FEED = "polybolt"
CRYPTO = "price.crypto"
CRYPTO_TWAP = "price.crypto.twap"
EQUITY = "price.equity"
EQUITY_TWAP = "price.equity.twap"
TWAP_WINDOW = 60
"""The only TWAP window that carries data (PROTOCOLS §3b.2)."""
MAX_PAIRS = 64
"""Active (channel, filter) pairs per connection; one more closes the socket with 4008."""
DEFAULT_SYMBOLS = ("btcusd", "ethusd", "solusd", "xrpusd")

KINDS: dict[str, PriceKind] = {
    CRYPTO: "spot",
    CRYPTO_TWAP: "twap",
    EQUITY: "spot",
    EQUITY_TWAP: "twap",
}
_TWAPS = (CRYPTO_TWAP, EQUITY_TWAP)

# Close codes (§3b.4) and auth error codes (§3b.1).
CLOSE_AUTH_FAILED = 4001
CLOSE_SLOW = 4002
CLOSE_DRAINING = 4003
CLOSE_POLICY = 4008
AUTH_ERRORS = frozenset({"auth_invalid", "auth_required", "auth_expired", "auth_attempts"})


class _Point(msgspec.Struct):
    timestamp: int
    value: Decimal | None = None
    full_accuracy_value: str | None = None


class _Payload(msgspec.Struct):
    symbol: str = ""
    value: Decimal | None = None
    full_accuracy_value: str | None = None
    timestamp: int | None = None
    source: str = ""
    window_seconds: int | None = None
    data: list[_Point] | None = None


class _Frame(msgspec.Struct):
    op: str | None = None
    rid: str | None = None
    code: str | None = None
    channel: str | None = None
    provider: str | None = None
    v: int | None = None
    seq: int | None = None
    ts: int | None = None
    snapshot: bool = False
    dropped: int | None = None
    payload: _Payload | list[Any] | None = None


_decoder = msgspec.json.Decoder(_Frame | list[_Frame])
_encode = msgspec.json.encode


def _error(message: str, frame: object) -> FeedError:
    return FeedError(feed=FEED, message=message[:300], sample=sample_of(frame))


# --- decoding ---------------------------------------------------------------------------------


def decode(frame: str | bytes) -> list[Event]:
    """One text frame -> events. Never raises."""
    if not frame.strip():
        return []
    return decode_each(frame, _decoder, _convert, _error)


def _convert(wire: _Frame, frame: str | bytes) -> list[Event]:
    if wire.op is not None:
        return [
            FeedAck(
                feed=FEED,
                op=wire.op,
                rid=wire.rid or "",
                channel=wire.channel or "",
                code=wire.code or "",
                provider=wire.provider or "",
            )
        ]
    if wire.channel is None:
        return [_error("a frame with neither op nor channel", frame)]
    if wire.v is not None and wire.v != 1:
        return []
    kind = KINDS.get(wire.channel)
    if kind is None:
        return []  # price.polymarket, or a channel this version does not know
    payload = wire.payload
    if not isinstance(payload, _Payload):
        return [_error(f"{wire.channel}: payload is not an object", frame)]
    symbol = _symbol(wire.channel, payload.symbol)
    if not symbol:
        return [_error(f"{wire.channel}: payload without symbol", frame)]
    events: list[Event] = []
    if wire.dropped:
        if wire.dropped < 0:
            events.append(_error(f"{wire.channel}: negative dropped count", frame))
        else:
            events.append(
                PriceGap(
                    feed=FEED,
                    channel=wire.channel,
                    dropped=wire.dropped,
                    timestamp=wire.ts or payload.timestamp or 0,
                    symbol=symbol,
                )
            )
    window = payload.window_seconds
    if window is None and wire.channel in _TWAPS:
        window = TWAP_WINDOW
    if wire.snapshot:
        for point in payload.data or ():
            events.append(
                _tick(wire, payload, symbol, kind, window, point.full_accuracy_value,
                      point.value, point.timestamp, frame)
            )
        return events
    if payload.timestamp is None:
        events.append(_error(f"{wire.channel} {symbol}: update without timestamp", frame))
        return events
    events.append(
        _tick(wire, payload, symbol, kind, window, payload.full_accuracy_value, payload.value,
              payload.timestamp, frame)
    )
    return events


def _tick(
    wire: _Frame,
    payload: _Payload,
    symbol: str,
    kind: PriceKind,
    window: int | None,
    full: str | None,
    number: Decimal | None,
    timestamp: int,
    frame: str | bytes,
) -> PriceTick | FeedError:
    channel = wire.channel or ""
    try:
        value = pick_value(full, number)
    except BadValue as exc:
        return _error(f"{channel} {symbol}: {exc}", frame)
    return PriceTick(
        feed=FEED,
        source=payload.source.strip().lower()[:32],
        symbol=symbol,
        kind=kind,
        channel=channel,
        value=value,
        timestamp=timestamp,
        seq=wire.seq,
        snapshot=wire.snapshot,
        window_s=window,
    )


def _symbol(channel: str, raw: str) -> str:
    if channel.startswith("price.crypto"):
        return crypto_symbol(raw)[:32]
    return raw.strip().lower()[:32]


# --- requests ---------------------------------------------------------------------------------


def sub_key(channel: str, symbol: str, window: int | None = None) -> str:
    """The string naming one (channel, filter) pair: ``price.crypto.twap:btcusd:60``."""
    if channel in _TWAPS:
        return f"{channel}:{symbol.lower()}:{window or TWAP_WINDOW}"
    return f"{channel}:{symbol.lower()}"


def parse_key(key: str) -> tuple[str, dict[str, Any]]:
    """A ``sub_key`` -> (channel, filter object). Raises ValueError for a malformed key."""
    parts = key.split(":")
    if len(parts) == 3 and parts[0] in _TWAPS and parts[2].isdigit() and parts[1]:
        return parts[0], {"symbol": parts[1], "window_seconds": int(parts[2])}
    if len(parts) == 2 and parts[0] in KINDS and parts[1]:
        return parts[0], {"symbol": parts[1]}
    raise ValueError(f"not a PolyBolt subscription key: {key[:60]!r}")


def default_keys(
    symbols: Sequence[str] = DEFAULT_SYMBOLS, equities: Sequence[str] = ()
) -> list[str]:
    """Spot and the 60 s TWAP of each crypto symbol, spot of each equity symbol."""
    keys = []
    for symbol in symbols:
        keys.append(sub_key(CRYPTO, symbol))
        keys.append(sub_key(CRYPTO_TWAP, symbol))
    keys.extend(sub_key(EQUITY, s) for s in equities)
    return keys


def auth(api_key: str, secret: str, passphrase: str, *, rid: str = "auth") -> str:
    """The ``auth`` op with the CLOB API credential triple. It holds the secret: send it, never
    log or show it."""
    return _encode(
        {"op": "auth", "rid": rid,
         "auth": {"apiKey": api_key, "secret": secret, "passphrase": passphrase}}
    ).decode()


def subscribe(keys: Sequence[str], *, rid: str = "sub") -> str:
    """One batched subscribe naming every key (a batch counts once against the rate limit)."""
    subs = []
    for key in keys:
        channel, flt = parse_key(key)
        subs.append({"channel": channel, "filter": flt})
    return _encode({"op": "subscribe", "rid": rid, "subscriptions": subs}).decode()


def unsubscribe(key: str, *, rid: str = "unsub") -> str:
    channel, flt = parse_key(key)
    return _encode({"op": "unsubscribe", "rid": rid, "channel": channel, "filter": flt}).decode()


def ping(rid: str = "ping") -> str:
    return _encode({"op": "ping", "rid": rid}).decode()
