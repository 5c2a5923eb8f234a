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
NAMING_TIMEOUT = 5.0
"""Seconds the dashboard waits for Gamma to name tokens given alone (then lists them by id)."""


async def resolve_markets(
    endpoints: Endpoints,
    settings: Settings,
    *,
    timeout: float | None = None,
    name_assets: bool = False,
) -> list[MarketInfo]:
    """The markets to stream. Raises ConfigError (exit 2) when the selection is unusable and
    HttpError when a lookup gets no usable answer. ``timeout`` bounds the whole lookup (every
    request, and each request's worker thread, ends within it); ``None``: each request's own
    ``rest.TIMEOUT``.

    ``name_assets`` (the dashboard): token ids given alone are looked up on Gamma, so each
    shows as its market (question, outcomes, the other outcome's token); tokens Gamma does not
    know, or all of them when Gamma gives no answer, are listed as one market "by token id".
    ``tail`` needs no names and asks nothing for them."""
    if timeout is None:
        return await _resolve(endpoints, settings, lambda: rest.TIMEOUT, name_assets)
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(min(rest.TIMEOUT, deadline - time.monotonic()), 0.001)

    try:
        async with asyncio.timeout(timeout):
            return await _resolve(endpoints, settings, left, name_assets)
    except TimeoutError:
        raise HttpError(None, endpoints.gamma_rest, f"no answer within {timeout:g} s") from None


async def _resolve(
    endpoints: Endpoints, settings: Settings, left: Callable[[], float], name_assets: bool
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
    if loose and name_assets:
        try:
            found = await rest.markets_by_token(
                endpoints.gamma_rest, loose, timeout=min(left(), NAMING_TIMEOUT)
            )
        except HttpError:
            found = []  # no names: the tokens are still streamed, listed by id below
        for market in found:
            if market.condition_id not in {m.condition_id for m in markets} and any(
                token in market.token_ids for token in loose
            ):
                markets.append(market)
        known = {token for market in markets for token in market.token_ids}
        loose = [asset for asset in loose if asset not in known]
    if loose:
        markets.append(
            MarketInfo(
                condition_id="",
                question=f"{len(loose)} asset{'' if len(loose) == 1 else 's'} by token id",
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
        # A server may ignore `limit`: the bound is kept here, whatever it sent.
        listed = [m for m in listed if isinstance(m, MarketInfo) and m.token_ids]
        listed = listed[:MAX_WATCHED_MARKETS]
        if listed:
            return listed
        raise ConfigError(f"the exchange at {endpoints.gamma_rest} lists no markets")
    raise ConfigError(
        "no market selected: pass --market SLUG or --asset TOKEN_ID, or set markets in the "
        "config file (find slugs with: pmdash search TEXT)"
    )
