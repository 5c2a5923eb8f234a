"""What the two reference-price codecs (PolyBolt, RTDS) share: exact values and symbol names.

Pure. A price is kept as an exact ``Decimal``: ``full_accuracy_value`` (a decimal string) when
the frame has it, else the JSON number exactly as written (msgspec decodes it into a ``Decimal``
without going through a float).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_PLAIN = re.compile(r"-?[0-9]{1,16}(?:\.[0-9]{1,30})?")
"""A plain decimal: no exponent, at most 16 whole digits and 30 places."""
_MAX_ABS = Decimal(10) ** 15
_MIN_EXPONENT = -30


class BadValue(ValueError):
    """A price value that is not a usable exact decimal; the message says why."""


def exact_text(text: str, *, e18: bool = False) -> Decimal:
    """``full_accuracy_value`` as an exact Decimal. ``e18``: a whole number is the value times
    1e18 (RTDS's TWAP topics, PROTOCOLS §3.4); a text with a point is taken as written."""
    if len(text) > 64 or not _PLAIN.fullmatch(text):
        if e18 and re.fullmatch(r"-?[0-9]{1,40}", text):
            return _shift(Decimal(text), -18)
        raise BadValue(f"full_accuracy_value is not a plain decimal: {text[:40]!r}")
    value = Decimal(text)
    if e18 and "." not in text:
        value = _shift(value, -18)
    return value


def _shift(value: Decimal, places: int) -> Decimal:
    """``value * 10**places`` exactly (no rounding to the context's precision)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return Decimal((sign, digits, exponent + places))


def exact_number(value: Decimal) -> Decimal:
    """A JSON number decoded as Decimal, checked: finite, below 1e15, at most 30 places."""
    try:
        if not value.is_finite():
            raise BadValue(f"value is not a finite number: {value}")
        if abs(value) >= _MAX_ABS:
            raise BadValue(f"value out of range: {value:.3E}")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < _MIN_EXPONENT:
            raise BadValue(f"value has more than {-_MIN_EXPONENT} places")
    except InvalidOperation:
        raise BadValue("value is not a usable number") from None
    return value


def pick_value(full: str | None, number: Decimal | None, *, e18: bool = False) -> Decimal:
    """The exact value of a price: ``full_accuracy_value`` first, else ``value``."""
    if full is not None and full != "":
        return exact_text(full, e18=e18)
    if number is None:
        raise BadValue("neither full_accuracy_value nor value")
    return exact_number(number)


def crypto_symbol(raw: str) -> str:
    """``btcusdt``, ``btc/usd``, ``BTCUSD``, ``btc-usd`` -> ``btcusd`` (PROTOCOLS §3b.5: PolyBolt
    names; RTDS's Binance pairs are quoted in USDT, shown beside USD under one name)."""
    name = raw.strip().lower().replace("/", "").replace("-", "").replace("_", "")
    if name.endswith("usdt"):
        name = name[:-1]
    return name


def coin_of(symbol: str) -> str:
    """``btcusd`` -> ``BTC`` (for display); other names upper-cased as they are."""
    name = symbol.upper()
    return name[:-3] if name.endswith("USD") and len(name) > 3 else name
