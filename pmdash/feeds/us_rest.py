"""Decoders of the Polymarket US REST reads (PROTOCOLS §6.3, §5.3): pure, never raising.

- ``GET /v1/portfolio/positions`` (signed): ``{"positions": {slug: UserPosition}, "nextCursor",
  "eof"}`` -> ``PositionsPage`` of ``Position`` events (venue ``us``).
- ``GET /v1/market/slug/{slug}``: ``{"market": {...}}`` -> ``MarketInfo`` (the slug stands for
  the condition id and the one token id: US books and trades are keyed by slug).
- ``GET /v1/search?query=``: ``{"events": [{..., "markets": [...]}]}`` -> ``MarketInfo`` list.
- ``GET /v1/markets/{slug}/book``: ``{"marketData": {...}}`` -> ``BookSnapshot``.
- ``GET /v1/orders/open`` (signed): ``{"orders": [Order]}`` -> ``OrderEvent`` (``kind``
  ``SNAPSHOT``); ``GET /v1/account/balances`` (signed): ``{"balances": [...]}`` -> ``Balance``.
"""

from __future__ import annotations

import msgspec

from pmdash.feeds import us_markets, us_private, us_wire
from pmdash.feeds.us_wire import FrameError
from pmdash.models import Balance, BookSnapshot, FeedError, MarketInfo, OrderEvent, Position

FEED = "us-rest"


class PositionsBody(msgspec.Struct, frozen=True):
    positions: dict[str, us_private.UserPosition] | None = None
    nextCursor: str = ""
    eof: bool = True


class PositionsPage(msgspec.Struct, frozen=True):
    positions: tuple[Position, ...]
    errors: tuple[FeedError, ...]
    """Positions that could not be read (the others are kept)."""
    next_cursor: str = ""
    """Ask again with ``cursor=`` this for more (empty: this was the last page)."""


class OpenOrdersBody(msgspec.Struct, frozen=True):
    orders: list[us_private.Order] | None = None


class BalancesBody(msgspec.Struct, frozen=True):
    balances: list[us_private.UserBalance] | None = None


class UsMarketBody(msgspec.Struct, frozen=True):
    slug: str
    id: str | int = ""
    title: str = ""
    question: str = ""
    outcome: str = ""
    active: bool = True
    closed: bool = False


class MarketBody(msgspec.Struct, frozen=True):
    market: UsMarketBody


class EventBody(msgspec.Struct, frozen=True):
    title: str = ""
    markets: list[UsMarketBody] | None = None


class SearchBody(msgspec.Struct, frozen=True):
    events: list[EventBody] | None = None


class BookBody(msgspec.Struct, frozen=True):
    marketData: us_markets.MarketData


def decode_positions(body: str | bytes) -> PositionsPage | FeedError:
    got = us_wire.load(FEED, body, PositionsBody)
    if isinstance(got, FeedError):
        return got
    positions: list[Position] = []
    errors: list[FeedError] = []
    for slug, pos in (got.positions or {}).items():
        try:
            position = us_private.position_of(slug, pos, 0)
        except FrameError as exc:
            errors.append(us_wire.error(FEED, f"position {slug}: {exc}", body))
            continue
        positions.append(msgspec.structs.replace(position, feed=FEED))
    cursor = "" if got.eof else got.nextCursor
    return PositionsPage(tuple(positions), tuple(errors), cursor)


def market_info(market: UsMarketBody, title: str = "") -> MarketInfo:
    question = market.question or market.title or title or market.slug
    return MarketInfo(
        condition_id=market.slug,
        question=question,
        slug=market.slug,
        token_ids=(market.slug,),
        outcomes=(market.outcome or "Yes",),
        active=market.active,
        closed=market.closed,
        gamma_id=str(market.id),
    )


def decode_market(body: str | bytes) -> MarketInfo | FeedError:
    got = us_wire.load(FEED, body, MarketBody)
    return got if isinstance(got, FeedError) else market_info(got.market)


def decode_search(body: str | bytes) -> list[MarketInfo] | FeedError:
    got = us_wire.load(FEED, body, SearchBody)
    if isinstance(got, FeedError):
        return got
    return [market_info(m, e.title) for e in got.events or () for m in e.markets or ()]


def decode_book(body: str | bytes) -> BookSnapshot | FeedError:
    got = us_wire.load(FEED, body, BookBody)
    if isinstance(got, FeedError):
        return got
    try:
        return us_markets.book_of(got.marketData)
    except FrameError as exc:
        return us_wire.error(FEED, f"book {got.marketData.marketSlug}: {exc}", body)



def decode_open_orders(body: str | bytes) -> tuple[list[OrderEvent], list[FeedError]] | FeedError:
    """Your open orders (those that do not decode are returned as errors beside the rest)."""
    got = us_wire.load(FEED, body, OpenOrdersBody)
    if isinstance(got, FeedError):
        return got
    orders: list[OrderEvent] = []
    errors: list[FeedError] = []
    for order in got.orders or ():
        try:
            event = us_private.order_event(order, "SNAPSHOT", 0)
        except FrameError as exc:
            errors.append(us_wire.error(FEED, f"order {order.id}: {exc}", body))
            continue
        orders.append(msgspec.structs.replace(event, feed=FEED))
    return orders, errors


def decode_balances(body: str | bytes) -> list[Balance] | FeedError:
    got = us_wire.load(FEED, body, BalancesBody)
    if isinstance(got, FeedError):
        return got
    try:
        return [msgspec.structs.replace(us_private.balance_of(b, 0), feed=FEED)
                for b in got.balances or ()]
    except FrameError as exc:
        return us_wire.error(FEED, f"balances: {exc}", body)
