"""Gamma REST bodies (PROTOCOLS §6.2) -> MarketInfo: market lookup, event lookup and search.

``clobTokenIds``, ``outcomes`` (and ``outcomePrices``) arrive as JSON-encoded strings; real lists
are accepted too. Token ids and outcomes are index-aligned; a market without ``outcomes`` keeps
its token ids with ``outcomes=()``.

Markets that are not order-book enabled (``enableOrderBook: false`` or no ``clobTokenIds``)
cannot be watched on the market channel: the list decoders skip them silently, and
``decode_market`` (one market asked for by name) returns a FeedError saying so. A market that
is malformed (bad JSON in ``clobTokenIds``, outcome count not matching the tokens, no
``conditionId``, ...) is a FeedError in place, and the other markets still decode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from pmdash.feeds.common import json_type_name
from pmdash.feeds.rest_body import body_error, has_lone_surrogate, load_body
from pmdash.models import FeedError, MarketInfo
from pmdash.units import SCALE, UnitError, parse_price

FEED = "gamma"
DEFAULT_TICK = 10_000

_T = TypeVar("_T")


class _Bad(Exception):
    """A market field that cannot be used; the message says which and why."""


class _NotOrderBook(Exception):
    """A market with no order book: skipped in lists."""


def _error(message: str, body: Any) -> FeedError:
    return body_error(FEED, message, body)


def _string_list(market: dict[str, Any], key: str) -> tuple[str, ...] | None:
    """A list of strings, JSON-encoded in a string or a real list; None when absent."""
    value = market.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if has_lone_surrogate(value):
            raise _Bad(f"{key}: holds a lone surrogate (not Unicode text)")
        try:
            value = msgspec.json.decode(value)
        except msgspec.DecodeError:
            raise _Bad(f"{key}: not a JSON list: {value[:60]!r}") from None
    if not isinstance(value, list):
        raise _Bad(f"{key}: a JSON {json_type_name(value)}, not a list")
    for item in value:
        if not isinstance(item, str):
            raise _Bad(f"{key}: an item is a JSON {json_type_name(item)}, not a string: {item!r}")
        if has_lone_surrogate(item):
            raise _Bad(f"{key}: an item holds a lone surrogate (not Unicode text)")
    return tuple(value)


def _tick(market: dict[str, Any]) -> int:
    value = market.get("orderPriceMinTickSize")
    if value is None or value == "":
        return DEFAULT_TICK
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Bad(f"orderPriceMinTickSize: a JSON {json_type_name(value)}, not a number")
    text = value if isinstance(value, str) else repr(value)
    try:
        units = parse_price(text)
    except UnitError as exc:
        raise _Bad(f"orderPriceMinTickSize: {exc}") from None
    if units is None or units <= 0 or units > SCALE:
        raise _Bad(f"orderPriceMinTickSize: not a tick in (0, 1]: {value!r}")
    return units


def _outcome_prices(market: dict[str, Any], count: int) -> tuple[int, ...]:
    """``outcomePrices`` in micro-units, one per outcome; () when absent or unusable. They are
    only shown (``pmdash search``), so a bad list costs the prices, not the market."""
    try:
        texts = _string_list(market, "outcomePrices")
    except _Bad:
        return ()
    if not texts or len(texts) != count:
        return ()
    prices: list[int] = []
    for text in texts:
        units = _shown_price(text)
        if units is None:
            return ()
        prices.append(units)
    return tuple(prices)


def _shown_price(text: str) -> int | None:
    """A price in [0, 1] to show: exact when it has at most 6 decimals, else rounded to them
    (Gamma's prices are computed, e.g. ``0.4350000000000001``); None when not one."""
    try:
        return parse_price(text)
    except UnitError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return round(value * SCALE) if 0.0 <= value <= 1.0 else None


def _text(market: dict[str, Any], key: str) -> str:
    value = market.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Bad(f"{key}: a JSON {json_type_name(value)}, not a string")
    if isinstance(value, str) and has_lone_surrogate(value):
        raise _Bad(f"{key}: holds a lone surrogate (not Unicode text)")
    return str(value)


def _flag(market: dict[str, Any], key: str, default: bool) -> bool:
    value = market.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _Bad(f"{key}: a JSON {json_type_name(value)}, not a boolean")
    return value


def _market_info(market: Any) -> MarketInfo:
    """One Gamma Market object. Raises _Bad or _NotOrderBook."""
    if not isinstance(market, dict):
        raise _Bad(f"a JSON {json_type_name(market)}, not a market object")
    if market.get("enableOrderBook") is False:
        raise _NotOrderBook("enableOrderBook is false")
    tokens = _string_list(market, "clobTokenIds")
    if not tokens:
        raise _NotOrderBook("no clobTokenIds")
    outcomes = _string_list(market, "outcomes") or ()
    if outcomes and len(outcomes) != len(tokens):
        raise _Bad(f"{len(outcomes)} outcomes for {len(tokens)} clobTokenIds")
    condition_id = _text(market, "conditionId")
    if not condition_id:
        raise _Bad("no conditionId")
    return MarketInfo(
        condition_id=condition_id,
        question=_text(market, "question"),
        slug=_text(market, "slug"),
        token_ids=tokens,
        outcomes=outcomes,
        tick_size=_tick(market),
        active=_flag(market, "active", True),
        closed=_flag(market, "closed", False),
        gamma_id=_text(market, "id"),
        outcome_prices=_outcome_prices(market, len(outcomes)),
        game_id=_game_id(market),
    )


def _game_id(market: dict[str, Any]) -> int | None:
    """``gameId`` of the market (a string in Gamma's market objects) or else of its first event
    (a number there); None when neither has a usable one. Only links a market to a live game,
    so a bad value costs the link, not the market."""
    candidates = [market.get("gameId")]
    events = market.get("events")
    if isinstance(events, list) and events and isinstance(events[0], dict):
        candidates.append(events[0].get("gameId"))
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
            return int(value)
    return None


def _name(market: Any, where: str) -> str:
    """How an error names a market: its place in the body and its slug or id."""
    if isinstance(market, dict):
        label = market.get("slug") or market.get("id")
        if isinstance(label, str | int) and not isinstance(label, bool) and label != "":
            return f"{where} ({label})" if where else f"market {label}"
    return where or "market"


def _markets(
    values: Any, where: str, body: Any, limit: int | None = None
) -> list[MarketInfo | FeedError]:
    """Every order-book market of a ``markets`` array (the first ``limit``, when given: a
    server that ignores ``limit`` costs the parse of its body, not the walk of every entry);
    others skipped, bad ones as errors."""
    if values is None:
        return []
    if not isinstance(values, list):
        return [_error(f"{where}: a JSON {json_type_name(values)}, not an array", body)]
    out: list[MarketInfo | FeedError] = []
    found = 0
    for i, market in enumerate(values):
        if limit is not None and found >= limit:
            break
        try:
            out.append(_market_info(market))
            found += 1
        except _NotOrderBook:
            continue
        except _Bad as exc:
            out.append(_error(f"{_name(market, f'{where}[{i}]')}: {exc}", body))
    return out


def _events(values: Any, where: str, body: Any) -> list[MarketInfo | FeedError]:
    if values is None:
        return []
    if not isinstance(values, list):
        return [_error(f"{where}: a JSON {json_type_name(values)}, not an array", body)]
    out: list[MarketInfo | FeedError] = []
    for i, event in enumerate(values):
        if not isinstance(event, dict):
            out.append(_error(f"{where}[{i}]: a JSON {json_type_name(event)}, not an event", body))
            continue
        out.extend(_markets(event.get("markets"), f"{where}[{i}].markets", body))
    return out


def _server_error(value: Any, body: Any) -> FeedError | None:
    if isinstance(value, dict) and "error" in value:
        return _error(f"server error: {value['error']!r}", body)
    return None


def _guarded(body: Any, work: Callable[[], _T]) -> _T | FeedError:
    try:
        return work()
    except Exception as exc:  # a bug, not bad input; still never raise out of a codec
        return _error(f"internal decoder error: {type(exc).__name__}: {exc}", body)


def _checked(body: str | bytes) -> Any:
    """The decoded body, or a FeedError when it is not JSON or is a server error body."""
    value = load_body(FEED, body)
    if isinstance(value, FeedError):
        return value
    return _server_error(value, body) or value


def _guarded_list(
    body: str | bytes, work: Callable[[], list[MarketInfo | FeedError]]
) -> list[MarketInfo | FeedError]:
    result = _guarded(body, work)
    return [result] if isinstance(result, FeedError) else result


def decode_market(body: str | bytes) -> MarketInfo | FeedError:
    """One Market object (``GET /markets/slug/{slug}``, ``GET /markets/{id}``)."""

    def work() -> MarketInfo | FeedError:
        value = _checked(body)
        if isinstance(value, FeedError):
            return value
        try:
            return _market_info(value)
        except _NotOrderBook as exc:
            return _error(f"{_name(value, '')}: not order-book enabled ({exc})", body)
        except _Bad as exc:
            return _error(f"{_name(value, '')}: {exc}", body)

    return _guarded(body, work)


def decode_markets(body: str | bytes, limit: int | None = None) -> list[MarketInfo | FeedError]:
    """An array of Market objects (``GET /markets?slug=...``); the first ``limit`` markets
    when given (the errors before them too)."""

    def work() -> list[MarketInfo | FeedError]:
        value = _checked(body)
        if isinstance(value, FeedError):
            return [value]
        return _markets(value, "markets", body, limit)

    return _guarded_list(body, work)


def decode_search(body: str | bytes) -> list[MarketInfo | FeedError]:
    """``GET /public-search``: ``{events: [Event{markets: [...]}], ...}``, markets flattened."""

    def work() -> list[MarketInfo | FeedError]:
        value = _checked(body)
        if isinstance(value, FeedError):
            return [value]
        if not isinstance(value, dict):
            return [_error(f"search: a JSON {json_type_name(value)}, not an object", body)]
        return _events(value.get("events"), "events", body)

    return _guarded_list(body, work)


def decode_event(body: str | bytes) -> list[MarketInfo | FeedError]:
    """An Event with ``markets[]`` (``GET /events/slug/{slug}``), or an array of them
    (``GET /events?slug=...``); markets flattened in order."""

    def work() -> list[MarketInfo | FeedError]:
        value = _checked(body)
        if isinstance(value, FeedError):
            return [value]
        if isinstance(value, list):
            return _events(value, "events", body)
        if not isinstance(value, dict):
            return [_error(f"event: a JSON {json_type_name(value)}, not an object", body)]
        return _markets(value.get("markets"), "markets", body)

    return _guarded_list(body, work)
