"""Polymarket US (``us-markets``: public books and trades; ``us-private``: your orders,
positions and balance), both signed with the Ed25519 key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.feedspec import Credential, FeedSpec, chosen, missing_of
from pmdash.specs.market import market_enabled
from pmdash.specs.user import user_enabled
from pmdash.specs.venue import VENUE

if TYPE_CHECKING:
    from pmdash.live.controller import Controller, FeedContext
    from pmdash.live.us import UsUrls
    from pmdash.state.store import Slice, Store
    from pmdash.widgets.group import PanelGroup

US_CREDENTIALS = (
    Credential(name="key_id", env="POLYMARKET_KEY_ID", config_key="polymarket_key_id"),
    Credential(name="secret_key", env="POLYMARKET_SECRET_KEY", config_key="polymarket_secret_key"),
)


def _us_urls(endpoints: Endpoints) -> UsUrls:
    from pmdash.live.us import us_urls

    return us_urls(endpoints)


async def _preflight(endpoints: Endpoints, settings: Settings, alone: bool) -> None:
    """Each chosen slug (``--venue us``, or ``tail us-markets``) is a Polymarket US market: an
    unknown one exits 2 before the screen opens, as an unknown CLOB slug does."""
    from pmdash.config import ConfigError
    from pmdash.net.http import HttpError
    from pmdash.net.us_rest import market_by_slug

    if not settings.markets or not (alone or chosen(settings, VENUE) == "us"):
        return
    gateway = _us_urls(endpoints).gateway
    for slug in dict.fromkeys(settings.markets):
        try:
            await market_by_slug(gateway, slug)
        except HttpError as exc:
            if exc.status == 404:
                raise ConfigError(
                    f"no Polymarket US market with slug {slug!r} on {gateway} "
                    "(find one with: pmdash search TEXT --venue us)"
                ) from None
            raise


def _has_us_key(settings: Settings) -> bool:
    return not missing_of(US_CREDENTIALS, settings, None)


def _markets_enabled(settings: Settings) -> bool:
    """With ``--venue us``; beside the CLOB on an embedded exchange when a US key is set
    (``--demo`` registers its own)."""
    if chosen(settings, VENUE) == "us":
        return True
    return settings.base_url is not None and _has_us_key(settings)


def _private_enabled(settings: Settings) -> bool:
    on_us = chosen(settings, VENUE) == "us" or settings.base_url is not None
    return on_us and _has_us_key(settings)


def _market_slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.market import MarketState

    return [MarketState(tape_len=settings.tape_len)]  # shared with the market feed


def _markets_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.us import UsMarketsController

    return UsMarketsController.from_context(ctx)


def _markets_panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    """The market panels show the US books when the market feed does not run (``--venue
    us``); beside it, its group lists the US markets after the CLOB's."""
    from pmdash.live.us import UsMarketsController
    from pmdash.widgets.market_group import MarketGroup

    assert isinstance(controller, UsMarketsController)
    if market_enabled(settings):
        return []
    return [MarketGroup(controller, settings=settings)]


def _markets_tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.us import UsMarketsController

    assert isinstance(controller, UsMarketsController)
    books = controller.state.books
    return {"books": sum(1 for slug in controller.listed if slug in books)}


def _account_slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.account import AccountState

    return [AccountState()]  # shared by both venues' private feeds


def _private_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.us import UsPrivateController

    return UsPrivateController.from_context(ctx)


def _private_panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    """The account group (both venues, one ``AccountState``), unless the CLOB ``user`` feed
    runs too and makes it."""
    from pmdash.widgets.account_group import AccountGroup

    if user_enabled(settings):
        return []
    return [AccountGroup(store)]


def _private_tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.us import UsPrivateController

    assert isinstance(controller, UsPrivateController)
    portfolio = controller.account.portfolio
    return {
        "open_orders": len(portfolio.open_orders("us")),
        "positions": sum(1 for venue, _ in portfolio.positions if venue == "us"),
        "reconciled": controller.reconciled,
    }


US_MARKETS = FeedSpec(
    id="us-markets",
    title="US markets",
    path="/v1/ws/markets",
    url=lambda endpoints: _us_urls(endpoints).markets_ws,
    slices=_market_slices,
    controller=_markets_controller,
    panels=_markets_panels,
    tail_events=("book_snapshot", "trade", "best_bid_ask"),
    tail_summary=_markets_tail_summary,
    credentials=US_CREDENTIALS,
    choices=(VENUE,),
    enabled=_markets_enabled,
    preflight=_preflight,
    order=50,
)
US_PRIVATE = FeedSpec(
    id="us-private",
    title="US account",
    path="/v1/ws/private",
    url=lambda endpoints: _us_urls(endpoints).private_ws,
    slices=_account_slices,
    controller=_private_controller,
    panels=_private_panels,
    tail_events=("order", "fill", "position", "balance"),
    tail_summary=_private_tail_summary,
    credentials=US_CREDENTIALS,
    enabled=_private_enabled,
    order=51,
)

SPECS = (US_MARKETS, US_PRIVATE)
