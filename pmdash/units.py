"""Exact fixed-point prices and sizes.

Prices and sizes are held as integers of one millionth (``SCALE``): the conditional tokens
Polymarket trades have 6 decimals on chain, so every real price and size is a whole number of
micro-units, and sums of them stay exact. A tick of 0.01 is ``10_000`` units.

Parsing is on the decode hot path, so prices go through a bounded cache (the price domain is
small: at most 10,001 prices at the finest tick), and sizes through a float fast path that is
exact for values below ``_FLOAT_EXACT_LIMIT`` with at most 6 decimals.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

SCALE = 1_000_000
_DEC_SCALE = Decimal(SCALE)
_CACHE_LIMIT = 65_536
# Below this many whole shares, round(float(s) * 1e6) is the exact micro-unit count for any
# string with <= 6 decimals (float error stays below 0.25 of a unit).
_FLOAT_EXACT_LIMIT = 1e9
_MAX_CHARS = 64
"""Longest decimal text taken: real prices and sizes have a few dozen characters at most."""
_MAX_WHOLE_DIGITS = 13
"""Magnitudes from 1e13 (ten trillion shares) on are refused as out of range."""


class UnitError(ValueError):
    """A decimal string that is not a valid exact price or size."""


def parse_exact(text: str) -> int:
    """Parse a decimal string into micro-units exactly, or raise UnitError.

    Bounded in work as in range: a text longer than ``_MAX_CHARS`` or a magnitude of
    ``_MAX_WHOLE`` or more is refused before any big integer is built (``"1e400000"`` would
    otherwise take seconds, on the event loop)."""
    if not isinstance(text, str):
        raise UnitError(f"not a decimal number: {text!r}")
    if len(text) > _MAX_CHARS:
        raise UnitError(f"number longer than {_MAX_CHARS} characters: {text[:20]!r}...")
    if not _plain(text):
        raise UnitError(f"not a plain decimal number: {text!r}")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise UnitError(f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise UnitError(f"not a finite number: {text!r}")
    if value and value.adjusted() >= _MAX_WHOLE_DIGITS:
        raise UnitError(f"number out of range (1e{_MAX_WHOLE_DIGITS} or more): {text!r}")
    if value and value.adjusted() < -_MAX_CHARS:
        raise UnitError(f"more than 6 decimals: {text!r}")
    scaled = value * _DEC_SCALE
    units = int(scaled)
    if units != scaled:
        raise UnitError(f"more than 6 decimals: {text!r}")
    return units


def _plain(text: str) -> bool:
    """No digit separators and no surrounding spaces: ``float`` and ``Decimal`` take
    ``"1_000"`` and ``" 5"``, which no server sends and a typo should not turn into a size."""
    return "_" not in text and text == text.strip()


_price_cache: dict[str, int | None] = {"": None}


def parse_price(text: str) -> int | None:
    """A price string (``"0.51"``, ``".48"``) in micro-units; ``""`` means absent (None).

    Raises UnitError for anything that is not a price in [0, 1].
    """
    try:
        return _price_cache[text]
    except KeyError:
        pass
    except TypeError:
        raise UnitError(f"price is not a string: {text!r}") from None
    units = parse_exact(text)
    if units < 0 or units > SCALE:
        raise UnitError(f"price outside [0, 1]: {text!r}")
    if len(_price_cache) < _CACHE_LIMIT:
        _price_cache[text] = units
    return units


def parse_size(text: str) -> int:
    """A size string (``"219.217767"``) in micro-units. Raises UnitError when invalid."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UnitError(f"not a size: {text!r}") from None
    if not isinstance(text, str) or not _plain(text):
        raise UnitError(f"not a size: {text!r}")
    if 0.0 <= value < _FLOAT_EXACT_LIMIT:
        dot = text.find(".")
        if dot < 0 or len(text) - dot <= 7:
            if "e" in text or "E" in text:
                return _checked_size(parse_exact(text), text)
            return round(value * SCALE)
    return _checked_size(parse_exact(text), text)


def _checked_size(units: int, text: str) -> int:
    if units < 0:
        raise UnitError(f"negative size: {text!r}")
    return units


def parse_optional_size(text: str) -> int | None:
    """Like parse_size, but ``""`` means absent."""
    if text == "":
        return None
    return parse_size(text)


def to_decimal_str(units: int | None) -> str:
    """Micro-units as the shortest exact decimal string: 510000 -> "0.51", 0 -> "0"."""
    if units is None:
        return ""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), SCALE)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:06d}".rstrip("0")


def decimals_of_tick(tick: int) -> int:
    """How many decimals a price aligned to ``tick`` needs: 10000 (0.01) -> 2."""
    decimals = 6
    while decimals > 0 and tick % 10 == 0:
        tick //= 10
        decimals -= 1
    return decimals


def fmt_price(units: int | None, tick: int = 10_000) -> str:
    """A price with as many decimals as the tick has (at least those the price needs)."""
    if units is None:
        return "-"
    decimals = max(decimals_of_tick(tick), decimals_of_tick(units) if units else 0)
    return f"{units / SCALE:.{decimals}f}"


def fmt_size(units: int | None, decimals: int = 2) -> str:
    """A size rounded for display with thousands separators: 1234500000 -> "1,234.50"."""
    if units is None:
        return "-"
    return f"{units / SCALE:,.{decimals}f}"


_SIZE_UNITS = ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K"))


def fmt_size_within(units: int | None, width: int, decimals: int = 2) -> str:
    """A size in at most ``width`` characters, never by dropping digits: as ``fmt_size`` when
    that fits, else whole units (``1,234,568``), else shortened with a unit (``1.23M``,
    ``10.0T``: three significant digits, rounded), else cut with an ellipsis (``1.2…``) so it
    reads as shortened, never as a smaller number."""
    text = fmt_size(units, decimals)
    if len(text) <= width or units is None:
        return text
    whole = fmt_size(units, 0)
    if len(whole) <= width:
        return whole
    value = abs(units) / SCALE
    sign = "-" if units < 0 else ""
    for scale, suffix in _SIZE_UNITS:
        if value >= scale * 0.9995:  # 999,999.9 is 1.00M, not 1,000.00K
            scaled = value / scale
            for digits in (2, 1, 0):
                shown = f"{sign}{scaled:,.{digits}f}{suffix}"
                if len(shown) <= width:
                    return shown
            text = f"{sign}{scaled:,.0f}{suffix}"
            break
    if width <= 0:
        return ""
    return text[: width - 1] + "…"
