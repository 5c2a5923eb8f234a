"""RTDS (PROTOCOLS §3): the legacy reference-price topics. Sans-I/O.

Decoding (one typed msgspec path, ``_Envelope | list[_Envelope]``): the price topics
(``crypto_prices`` = Binance spot, ``crypto_prices_chainlink`` = Chainlink spot,
``crypto_prices_twap_thirty``/``_sixty`` = Chainlink TWAP, ``equity_prices`` = Pyth) -> one
``PriceTick`` per update, or per point of a backfill (``payload.data``, sent after a subscribe).
Other topics (comments, activity) are not prices: dropped. The text heartbeat reply (``PONG``)
and blank keep-alives give nothing; other unreadable frames give a ``FeedError``.

Requests: ``subscribe`` without server-side filters (the newest official SDK filters by symbol
in the client; which filter encodings the server takes is unconfirmed, §3.1), and the text
``PING`` sent every 5 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from pmdash.feeds.common import decode_each, sample_of
from pmdash.feeds.price_values import BadValue, crypto_symbol, pick_value
from pmdash.models import Event, FeedError, PriceKind, PriceTick

FEED = "rtds"
PING = "PING"
PONG = "PONG"
BINANCE = "crypto_prices"
CHAINLINK = "crypto_prices_chainlink"
TWAP_30 = "crypto_prices_twap_thirty"
TWAP_60 = "crypto_prices_twap_sixty"
EQUITY = "equity_prices"
DEFAULT_TOPICS = (BINANCE, CHAINLINK)
DEFAULT_SYMBOLS = ("btcusd", "ethusd", "solusd", "xrpusd")

# topic -> (source, kind, TWAP window)
TOPICS: dict[str, tuple[str, PriceKind, int | None]] = {
    BINANCE: ("binance", "spot", None),
    CHAINLINK: ("chainlink", "spot", None),
    TWAP_30: ("chainlink", "twap", 30),
    TWAP_60: ("chainlink", "twap", 60),
    EQUITY: ("pyth", "spot", None),
}
_HEARTBEAT_WORDS = frozenset({"PING", "PONG"})


class _Point(msgspec.Struct):
    timestamp: int
    value: Decimal | None = None
    full_accuracy_value: str | None = None


class _Payload(msgspec.Struct):
    symbol: str = ""
    value: Decimal | None = None
    full_accuracy_value: str | None = None
    timestamp: int | None = None
    window_s: int | None = None
    data: list[_Point] | None = None


class _Envelope(msgspec.Struct):
    topic: str | None = None
    type: str | None = None
    timestamp: int | float | str | None = None
    payload: _Payload | list[Any] | None = None


_decoder = msgspec.json.Decoder(_Envelope | list[_Envelope])


def _error(message: str, frame: object) -> FeedError:
    return FeedError(feed=FEED, message=message[:300], sample=sample_of(frame))


def decode(frame: str | bytes) -> list[Event]:
    """One text frame -> events. Never raises."""
    text = frame.strip() if isinstance(frame, str) else frame.strip().decode("utf-8", "replace")
    if not text or (len(text) <= 8 and text.upper() in _HEARTBEAT_WORDS):
        return []
    return decode_each(frame, _decoder, _convert, _error)


def _convert(wire: _Envelope, frame: str | bytes) -> list[Event]:
    if wire.topic is None:
        return [_error("an envelope without topic", frame)]
    known = TOPICS.get(wire.topic)
    if known is None:
        return []  # comments, activity, ...: not prices
    source, kind, window = known
    payload = wire.payload
    if not isinstance(payload, _Payload):
        return [_error(f"{wire.topic}: payload is not an object", frame)]
    symbol = (crypto_symbol(payload.symbol) if wire.topic != EQUITY
              else payload.symbol.strip().lower())[:32]
    if not symbol:
        return [_error(f"{wire.topic}: payload without symbol", frame)]
    window = payload.window_s or window
    e18 = kind == "twap"
    if payload.data is not None:
        return [
            _tick(wire.topic, source, symbol, kind, window, p.full_accuracy_value, p.value,
                  p.timestamp, e18, True, frame)
            for p in payload.data
        ]
    if payload.timestamp is None:
        return [_error(f"{wire.topic} {symbol}: update without timestamp", frame)]
    return [
        _tick(wire.topic, source, symbol, kind, window, payload.full_accuracy_value,
              payload.value, payload.timestamp, e18, False, frame)
    ]


def _tick(
    topic: str,
    source: str,
    symbol: str,
    kind: PriceKind,
    window: int | None,
    full: str | None,
    number: Decimal | None,
    timestamp: int,
    e18: bool,
    snapshot: bool,
    frame: str | bytes,
) -> PriceTick | FeedError:
    try:
        value = pick_value(full, number, e18=e18)
    except BadValue as exc:
        return _error(f"{topic} {symbol}: {exc}", frame)
    return PriceTick(
        feed=FEED,
        source=source,
        symbol=symbol,
        kind=kind,
        channel=topic,
        value=value,
        timestamp=timestamp,
        snapshot=snapshot,
        window_s=window,
    )


def subscribe(topics: Sequence[str] = DEFAULT_TOPICS, *, action: str = "subscribe") -> str:
    """Subscribe (or ``action="unsubscribe"``) to price topics, without filters (§3.1)."""
    subs = [{"topic": t, "type": "*" if t == CHAINLINK else "update"} for t in topics]
    return msgspec.json.encode({"action": action, "subscriptions": subs}).decode()


def unsubscribe(topics: Sequence[str]) -> str:
    return subscribe(topics, action="unsubscribe")
