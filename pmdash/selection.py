"""Which markets to watch: slugs (Gamma), token ids, or all an embedded exchange lists."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from pmdash.config import ConfigError, Settings
from pmdash.endpoints import Endpoints
from pmdash.models import MarketInfo
from pmdash.net import rest
from pmdash.net.http import HttpError

# Markets watched at most when an embedded exchange lists more.
MAX_WATCHED_MARKETS = 200


async def resolve_markets(
    endpoints: Endpoints, settings: Settings, *, timeout: float | None = None
) -> list[MarketInfo]:
    """The markets to stream. Raises ConfigError (exit 2) when the selection is unusable and
    HttpError when a lookup gets no usable answer. ``timeout`` bounds the whole lookup (every
    request, and each request's worker thread, ends within it); ``None``: each request's own
    ``rest.TIMEOUT``."""
    if timeout is None:
        return await _resolve(endpoints, settings, lambda: rest.TIMEOUT)
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(min(rest.TIMEOUT, deadline - time.monotonic()), 0.001)

    try:
        async with asyncio.timeout(timeout):
            return await _resolve(endpoints, settings, left)
    except TimeoutError:
        raise HttpError(None, endpoints.gamma_rest, f"no answer within {timeout:g} s") from None


async def _resolve(
    endpoints: Endpoints, settings: Settings, left: Callable[[], float]
) -> list[MarketInfo]:
    markets: list[MarketInfo] = []
    for slug in settings.markets:
        try:
            markets.append(
                await rest.market_by_slug(endpoints.gamma_rest, slug, timeout=left())
            )
        except HttpError as exc:
            if exc.status == 404:
                raise ConfigError(
                    f"no market with slug {slug!r} on {endpoints.gamma_rest} "
                    "(find one with: pmdash search TEXT)"
                ) from None
            raise
    known = {token for market in markets for token in market.token_ids}
    loose = [asset for asset in settings.assets if asset not in known]
    if loose:
        markets.append(
            MarketInfo(
                condition_id="",
                question=f"{len(loose)} asset(s) by token id",
                slug="",
                token_ids=tuple(loose),
                outcomes=tuple(f"…{asset[-6:]}" for asset in loose),
            )
        )
    if markets:
        return markets
    if endpoints.embedded:
        listed = await rest.list_markets(
            endpoints.gamma_rest, limit=MAX_WATCHED_MARKETS, timeout=left()
        )
        listed = [m for m in listed if isinstance(m, MarketInfo) and m.token_ids]
        if listed:
            return listed
        raise ConfigError(f"the exchange at {endpoints.gamma_rest} lists no markets")
    raise ConfigError(
        "no market selected: pass --market SLUG or --asset TOKEN_ID, or set markets in the "
        "config file (find slugs with: pmdash search TEXT)"
    )
