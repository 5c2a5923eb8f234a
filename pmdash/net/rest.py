"""The REST calls beside the sockets (PROTOCOLS §6.2): Gamma lookups.

The Gamma calls raise ``HttpError`` when they get nothing usable: no
answer, an HTTP error, or a body in which not one market decodes (status 200 then). Markets
that fail to decode beside good ones are skipped, or appended to ``errors`` when given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import quote, urlencode

from pmdash.feeds import gamma
from pmdash.models import FeedError, MarketInfo
from pmdash.net.http import HttpError, build_url, get_bytes

TIMEOUT = 10.0
IDS_PER_REQUEST = 50
"""Condition or token ids asked for in one ``/markets`` request (the URL stays a few kB)."""


async def market_by_slug(gamma_base: str, slug: str, *, timeout: float = TIMEOUT) -> MarketInfo:
    """``GET /markets/slug/{slug}``: one market's condition id, token ids and outcomes."""
    url = build_url(gamma_base, f"/markets/slug/{quote(slug, safe='')}")
    result = gamma.decode_market(await get_bytes(url, timeout=timeout))
    if isinstance(result, FeedError):
        raise HttpError(200, url, result.message)
    return result


async def list_markets(
    gamma_base: str,
    *,
    limit: int = 100,
    timeout: float = TIMEOUT,
    errors: list[FeedError] | None = None,
) -> list[MarketInfo]:
    """``GET /markets?active=true&closed=false&limit=N``: open order-book markets."""
    url = build_url(gamma_base, "/markets", {"active": True, "closed": False, "limit": limit})
    body = await get_bytes(url, timeout=timeout)
    return _markets(url, gamma.decode_markets(body, limit), errors)


async def markets_by_condition(
    gamma_base: str,
    condition_ids: Sequence[str],
    *,
    closed: bool | None = None,
    timeout: float = TIMEOUT,
    errors: list[FeedError] | None = None,
) -> list[MarketInfo]:
    """``GET /markets?condition_ids=a,b,...`` (comma-separated; and ``closed`` when given):
    the markets Gamma has of those."""

    def query(chunk: Sequence[str]) -> list[tuple[str, str]]:
        pairs = [("condition_ids", ",".join(chunk))]
        return pairs if closed is None else [*pairs, ("closed", str(closed).lower())]

    return await _markets_in_chunks(gamma_base, condition_ids, query, timeout, errors)


async def markets_by_token(
    gamma_base: str,
    token_ids: Sequence[str],
    *,
    timeout: float = TIMEOUT,
    errors: list[FeedError] | None = None,
) -> list[MarketInfo]:
    """``GET /markets?clob_token_ids=A&clob_token_ids=B`` (repeated keys, PROTOCOLS §6.2):
    the markets those tokens belong to."""

    def query(chunk: Sequence[str]) -> list[tuple[str, str]]:
        return [("clob_token_ids", token) for token in chunk]

    return await _markets_in_chunks(gamma_base, token_ids, query, timeout, errors)


async def _markets_in_chunks(
    gamma_base: str,
    ids: Sequence[str],
    query: Callable[[Sequence[str]], list[tuple[str, str]]],
    timeout: float,
    errors: list[FeedError] | None,
) -> list[MarketInfo]:
    """``GET /markets`` for ``IDS_PER_REQUEST`` ids at a time (``timeout`` each). A request
    that fails does not lose what the others found: its ``HttpError`` is raised only when no
    request succeeded (each failure is also appended to ``errors``, as a ``FeedError``)."""
    markets: list[MarketInfo] = []
    failed: HttpError | None = None
    answered = False
    for start in range(0, len(ids), IDS_PER_REQUEST):
        chunk = ids[start : start + IDS_PER_REQUEST]
        params = urlencode([*query(chunk), ("limit", str(len(chunk)))])
        url = f"{build_url(gamma_base, '/markets')}?{params}"
        try:
            body = await get_bytes(url, timeout=timeout)
            markets.extend(_markets(url, gamma.decode_markets(body), errors))
        except HttpError as exc:
            failed = failed or exc
            if errors is not None:
                errors.append(FeedError(feed=gamma.FEED, message=str(exc)))
            continue
        answered = True
    if failed is not None and not answered:
        raise failed
    return markets


async def search(
    gamma_base: str,
    text: str,
    *,
    limit_per_type: int | None = None,
    timeout: float = TIMEOUT,
    errors: list[FeedError] | None = None,
) -> list[MarketInfo]:
    """``GET /public-search?q=...``: the markets of every event that matches ``text``."""
    params: dict[str, str | int | bool] = {"q": text}
    if limit_per_type is not None:
        params["limit_per_type"] = limit_per_type
    url = build_url(gamma_base, "/public-search", params)
    return _markets(url, gamma.decode_search(await get_bytes(url, timeout=timeout)), errors)


def _markets(
    url: str, decoded: list[MarketInfo | FeedError], errors: list[FeedError] | None
) -> list[MarketInfo]:
    markets = [m for m in decoded if isinstance(m, MarketInfo)]
    failures = [m for m in decoded if isinstance(m, FeedError)]
    if failures and not markets:
        raise HttpError(200, url, failures[0].message)
    if errors is not None:
        errors.extend(failures)
    return markets
