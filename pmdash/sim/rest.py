"""REST endpoints of the embedded exchange: CLOB (``/book`` ...) and Gamma (``/markets`` ...).

Handlers take (path, query) and return (HTTP status, JSON-able body); ``server.py`` turns that
into an HTTP response. Bodies follow PROTOCOLS §6.1/§6.2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmdash.sim import gamma, wire
from pmdash.sim.exchange import Exchange
from pmdash.sim.markets import SimMarket
from pmdash.units import to_decimal_str

Query = dict[str, list[str]]
Reply = tuple[int, Any]
Handler = Callable[[str, Query], Reply]

NO_ORDERBOOK = {"error": "No orderbook exists for the requested token id"}
NOT_FOUND = {"error": "not found"}


def _first(query: Query, key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _csv(query: Query, key: str) -> set[str]:
    """Comma-separated and/or repeated query values (Gamma accepts both)."""
    return {v for raw in query.get(key, []) for v in raw.split(",") if v}


def _flag(query: Query, key: str) -> bool | None:
    value = _first(query, key)
    if value is None or value == "":
        return None
    return value.lower() in ("true", "1")


class RestApi:
    """The REST routes; ``routes()`` gives exact paths, ``prefixes()`` path prefixes."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    def routes(self) -> dict[str, Handler]:
        return {
            "/book": self.book,
            "/midpoint": self.midpoint,
            "/tick-size": self.tick_size,
            "/last-trade-price": self.last_trade,
            "/markets": self.markets,
            "/public-search": self.search,
        }

    def prefixes(self) -> dict[str, Handler]:
        return {"/markets/slug/": self.market_by_slug, "/events/slug/": self.event_by_slug}

    # --- CLOB -------------------------------------------------------------------------------

    def _open_market(self, query: Query) -> tuple[SimMarket, int] | None:
        token = _first(query, "token_id") or ""
        market = self.exchange.market_of(token)
        if market is None or market.closed:
            return None
        return market, market.token_ids.index(token)

    def book(self, path: str, query: Query) -> Reply:
        found = self._open_market(query)
        if found is None:
            return 404, NO_ORDERBOOK
        market, outcome = found
        book = self.exchange.market_book(market)
        return 200, wire.book_summary(market, outcome, book, self.exchange.clock())

    def midpoint(self, path: str, query: Query) -> Reply:
        found = self._open_market(query)
        if found is None:
            return 404, NO_ORDERBOOK
        market, outcome = found
        bid, ask = self.exchange.market_book(market).touch(outcome)
        if bid is None or ask is None:
            return 200, {"mid": ""}
        return 200, {"mid": to_decimal_str((bid + ask) // 2)}

    def tick_size(self, path: str, query: Query) -> Reply:
        found = self._open_market(query)
        if found is None:
            return 404, NO_ORDERBOOK
        return 200, {"minimum_tick_size": self.exchange.market_book(found[0]).tick / 1e6}

    def last_trade(self, path: str, query: Query) -> Reply:
        found = self._open_market(query)
        if found is None:
            return 404, NO_ORDERBOOK
        market, outcome = found
        price = self.exchange.market_book(market).last_trade_of(outcome)
        if price is None:
            return 200, {"price": "0.5", "side": ""}
        return 200, {"price": to_decimal_str(price), "side": "BUY"}

    # --- Gamma ------------------------------------------------------------------------------

    def _market_json(self, market: SimMarket) -> dict[str, Any]:
        return gamma.market_json(market, self.exchange.market_book(market))

    def market_by_slug(self, path: str, query: Query) -> Reply:
        slug = path.removeprefix("/markets/slug/")
        for market in self.exchange.sim_markets():
            if market.slug == slug:
                return 200, self._market_json(market)
        return 404, NOT_FOUND

    def event_by_slug(self, path: str, query: Query) -> Reply:
        slug = path.removeprefix("/events/slug/")
        for market in self.exchange.sim_markets():
            if market.event_slug == slug:
                return 200, gamma.event_json(market, self.exchange.market_book(market))
        return 404, NOT_FOUND

    def markets(self, path: str, query: Query) -> Reply:
        """``GET /markets`` with ``slug``, ``id``, ``condition_ids``, ``clob_token_ids``,
        ``active``, ``closed``, ``limit`` (default: all), ``offset``."""
        try:
            limit = int(_first(query, "limit") or 0)
            offset = int(_first(query, "offset") or 0)
        except ValueError:
            return 400, {"error": "limit and offset must be integers"}
        slugs, ids = _csv(query, "slug"), _csv(query, "id")
        conditions, tokens = _csv(query, "condition_ids"), _csv(query, "clob_token_ids")
        active, closed = _flag(query, "active"), _flag(query, "closed")
        picked = [
            m for m in self.exchange.sim_markets()
            if (not slugs or m.slug in slugs)
            and (not ids or m.gamma_id in ids)
            and (not conditions or m.condition_id in conditions)
            and (not tokens or tokens.intersection(m.token_ids))
            and (active is None or m.active == active)
            and (closed is None or m.closed == closed)
        ]
        picked = picked[max(offset, 0):]
        if limit > 0:
            picked = picked[:limit]
        return 200, [self._market_json(m) for m in picked]

    def search(self, path: str, query: Query) -> Reply:
        """``GET /public-search?q=`` with ``limit_per_type`` (10), ``page`` (1),
        ``events_status`` (active|closed) and ``keep_closed_markets`` (0: resolved markets
        are left out)."""
        text = (_first(query, "q") or "").strip().lower()
        if not text:
            return 400, {"error": "q is required"}
        try:
            per_page = max(1, int(_first(query, "limit_per_type") or 10))
            page = max(1, int(_first(query, "page") or 1))
        except ValueError:
            return 400, {"error": "limit_per_type and page must be integers"}
        status = (_first(query, "events_status") or "").lower()
        keep_closed = _first(query, "keep_closed_markets") == "1"
        words = text.split()
        found = []
        for market in self.exchange.sim_markets():
            if market.closed and (not keep_closed or status == "active"):
                continue
            if status == "closed" and not market.closed:
                continue
            haystack = " ".join((market.question, market.slug, market.event_title,
                                 *market.tags)).lower()
            if all(w in haystack for w in words):
                found.append(market)
        start = (page - 1) * per_page
        events = [gamma.event_json(m, self.exchange.market_book(m))
                  for m in found[start:start + per_page]]
        return 200, {
            "events": events,
            "tags": [],
            "profiles": [],
            "pagination": {"hasMore": start + per_page < len(found), "totalResults": len(found)},
        }
