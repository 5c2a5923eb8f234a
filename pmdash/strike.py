"""Strikes named by a market's question, for the distance from the reference price. Pure.

``parse_strike("Will the price of Bitcoin be above $64,000 on March 11?")`` ->
``Strike(symbol="btcusd", kind="above", low=Decimal("64000"), high=None)``. Recognised: above /
over / greater than / at least / reach / hit; below / under / less than / dip to / fall to;
between $A and $B (also "$A-$B", "$A to $B"); "Up or Down" (its strike is the opening price of
its window, which the question does not say: ``with_opening``). Amounts: ``$100,000``,
``$100k``, ``$1.5M``, ``$0.35``. A question that names no crypto asset or no strike -> None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Literal

StrikeKind = Literal["above", "below", "between", "updown"]

_ASSETS = (
    (r"bitcoin|btc", "btcusd"),
    (r"ethereum|ether|eth", "ethusd"),
    (r"solana|sol", "solusd"),
    (r"xrp|ripple", "xrpusd"),
    (r"dogecoin|doge", "dogeusd"),
    (r"bnb", "bnbusd"),
    (r"hyperliquid|hype", "hypeusd"),
    (r"zcash|zec", "zecusd"),
)
_ASSET_RE = [(re.compile(rf"\b(?:{words})\b", re.IGNORECASE), sym) for words, sym in _ASSETS]
_NUMBER = r"([0-9][0-9,]*(?:\.[0-9]+)?)\s?([kKmMbB])?\b(?!\s?%)"
_AMOUNT = rf"\$\s?{_NUMBER}"
_MAYBE = rf"\$?\s?{_NUMBER}"
"""After a word that says a price follows, the ``$`` may be left out ("Bitcoin above 64,000")."""
_BETWEEN = re.compile(rf"\bbetween\s+{_MAYBE}\s*(?:and|to|-|\u2013)\s*{_MAYBE}", re.IGNORECASE)
_RANGE = re.compile(rf"{_AMOUNT}\s*(?:to|-|\u2013)\s*{_AMOUNT}", re.IGNORECASE)
_ABOVE = re.compile(
    rf"\b(?:above|over|greater than|more than|higher than|at least|reach(?:es)?|hit|exceed|"
    rf"surpass)\s+{_MAYBE}",
    re.IGNORECASE,
)
_BELOW = re.compile(
    rf"\b(?:below|under|less than|lower than|dip(?:s)? to|fall(?:s)? to|drop(?:s)? to)\s+"
    rf"{_MAYBE}",
    re.IGNORECASE,
)
_UPDOWN = re.compile(r"\bup\s+or\s+down\b", re.IGNORECASE)
_SCALE = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


@dataclass(frozen=True)
class Strike:
    """``above``: low is the strike; ``below``: high is; ``between``: both; ``updown``: both
    are the opening price once known (None before)."""

    symbol: str
    kind: StrikeKind
    low: Decimal | None = None
    high: Decimal | None = None

    def with_opening(self, price: Decimal) -> Strike:
        """An up/down market's strike: the price its window opened at."""
        return replace(self, low=price, high=price) if self.kind == "updown" else self

    def levels(self) -> tuple[Decimal, ...]:
        """The lines to draw on a chart."""
        return tuple(dict.fromkeys(v for v in (self.low, self.high) if v is not None))


def _amount(number: str, suffix: str | None) -> Decimal | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    if suffix:
        value *= _SCALE[suffix.lower()]
    return value


def symbol_of(question: str) -> str | None:
    """The crypto asset a question names first (``btcusd``...), or None."""
    found = [(m.start(), sym) for rx, sym in _ASSET_RE if (m := rx.search(question))]
    return min(found)[1] if found else None


def parse_strike(question: str, *, opening: Decimal | None = None) -> Strike | None:
    """The strike(s) and asset of a question, or None. ``opening``: an up/down market's
    opening price, when the caller knows it."""
    symbol = symbol_of(question)
    if symbol is None:
        return None
    if _UPDOWN.search(question):
        strike = Strike(symbol, "updown")
        return strike.with_opening(opening) if opening is not None else strike
    between = _BETWEEN.search(question) or _RANGE.search(question)
    if between:
        low = _amount(between.group(1), between.group(2))
        high = _amount(between.group(3), between.group(4))
        if low is not None and high is not None and low != high:
            return Strike(symbol, "between", min(low, high), max(low, high))
    above = _ABOVE.search(question)
    below = _BELOW.search(question)
    if above and (not below or above.start() < below.start()):
        value = _amount(above.group(1), above.group(2))
        return None if value is None else Strike(symbol, "above", low=value)
    if below:
        value = _amount(below.group(1), below.group(2))
        return None if value is None else Strike(symbol, "below", high=value)
    return None


def distance(strike: Strike, price: Decimal) -> tuple[Decimal, Decimal] | None:
    """How far ``price`` is from the strike, in dollars and percent of the price: positive
    when the market's "Yes" side is in the money (above the strike of an ``above`` market,
    inside a ``between`` range: then the distance to the nearer bound), None when the strike is
    not known yet (an up/down market before its opening price) or the price is not positive."""
    if price <= 0:
        return None
    if strike.kind in ("above", "updown"):
        if strike.low is None:
            return None
        dollars = price - strike.low
    elif strike.kind == "below":
        assert strike.high is not None
        dollars = strike.high - price
    else:
        assert strike.low is not None and strike.high is not None
        dollars = min(price - strike.low, strike.high - price)
    return dollars, dollars / price * 100
