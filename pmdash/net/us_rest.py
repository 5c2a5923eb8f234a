"""Polymarket US REST reads (PROTOCOLS §6.3): public market lookups on the gateway, and your
positions from the signed ``GET /v1/portfolio/positions`` on the API host.

Signing covers ``timestamp + "GET" + path`` (no query string), as the SDK signs. Failures raise
``HttpError`` (no answer, an HTTP error, or nothing usable in the body); its message never
holds a header value.
"""

from __future__ import annotations

from urllib.parse import quote

from pmdash.feeds import us_rest
from pmdash.models import Balance, BookSnapshot, FeedError, MarketInfo, OrderEvent, Position
from pmdash.net.http import HttpError, build_url, get_bytes
from pmdash.net.us_auth import UsKey

GATEWAY = "https://gateway.polymarket.us"
API = "https://api.polymarket.us"
POSITIONS_PATH = "/v1/portfolio/positions"
OPEN_ORDERS_PATH = "/v1/orders/open"
BALANCES_PATH = "/v1/account/balances"
TIMEOUT = 10.0
MAX_PAGES = 50
"""Positions pages followed at most (a cursor that never ends must not loop forever)."""


async def fetch_positions(
    api_base: str, key: UsKey, *, timeout: float = TIMEOUT, errors: list[FeedError] | None = None
) -> list[Position]:
    """Every position of the account (following ``nextCursor``), signed with ``key``.
    Positions that do not decode are skipped, or appended to ``errors`` when given."""
    out: list[Position] = []
    cursor = ""
    for _ in range(MAX_PAGES):
        url = build_url(api_base, POSITIONS_PATH, {"cursor": cursor} if cursor else None)
        body = await get_bytes(url, timeout=timeout, headers=key.headers("GET", POSITIONS_PATH))
        page = us_rest.decode_positions(body)
        if isinstance(page, FeedError):
            raise HttpError(200, url, page.message)
        out.extend(page.positions)
        if errors is not None:
            errors.extend(page.errors)
        if not page.next_cursor or page.next_cursor == cursor:
            break
        cursor = page.next_cursor
    return out


async def market_by_slug(gateway: str, slug: str, *, timeout: float = TIMEOUT) -> MarketInfo:
    """``GET /v1/market/slug/{slug}``."""
    url = build_url(gateway, f"/v1/market/slug/{quote(slug, safe='')}")
    got = us_rest.decode_market(await get_bytes(url, timeout=timeout))
    if isinstance(got, FeedError):
        raise HttpError(200, url, got.message)
    return got


async def search(
    gateway: str, text: str, *, limit: int = 10, timeout: float = TIMEOUT
) -> list[MarketInfo]:
    """``GET /v1/search?query=TEXT&limit=N``: the markets of the events found."""
    url = build_url(gateway, "/v1/search", {"query": text, "limit": limit})
    got = us_rest.decode_search(await get_bytes(url, timeout=timeout))
    if isinstance(got, FeedError):
        raise HttpError(200, url, got.message)
    return got


async def fetch_book(
    gateway: str, slug: str, *, timeout: float = TIMEOUT
) -> BookSnapshot | FeedError:
    """``GET /v1/markets/{slug}/book``: a full book, or a FeedError saying why not."""
    url = build_url(gateway, f"/v1/markets/{quote(slug, safe='')}/book")
    try:
        body = await get_bytes(url, timeout=timeout)
    except HttpError as exc:
        return FeedError(feed=us_rest.FEED, message=f"book {slug}: {exc}")
    return us_rest.decode_book(body)


async def fetch_open_orders(
    api_base: str, key: UsKey, *, timeout: float = TIMEOUT, errors: list[FeedError] | None = None
) -> list[OrderEvent]:
    """Your open orders (``kind="SNAPSHOT"``), signed with ``key``: after a reconnect the
    portfolio's open set is reconciled with them."""
    url = build_url(api_base, OPEN_ORDERS_PATH)
    body = await get_bytes(url, timeout=timeout, headers=key.headers("GET", OPEN_ORDERS_PATH))
    got = us_rest.decode_open_orders(body)
    if isinstance(got, FeedError):
        raise HttpError(200, url, got.message)
    orders, bad = got
    if errors is not None:
        errors.extend(bad)
    return orders


async def fetch_balances(api_base: str, key: UsKey, *, timeout: float = TIMEOUT) -> list[Balance]:
    """Your cash, buying power and what open orders hold, signed with ``key``."""
    url = build_url(api_base, BALANCES_PATH)
    body = await get_bytes(url, timeout=timeout, headers=key.headers("GET", BALANCES_PATH))
    got = us_rest.decode_balances(body)
    if isinstance(got, FeedError):
        raise HttpError(200, url, got.message)
    return got
