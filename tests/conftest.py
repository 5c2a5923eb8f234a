"""The one test-app factory: the real ``PmdashApp`` built from the registry's market feed, with
its settings passed in, and (``offline=True``) no socket: the feed reports the status the test
gives (``OfflineMarket.statuses``).

``from conftest import dashboard_app, market_group, market_state`` in a test module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.live.controller import Controller, FeedContext
from pmdash.live.market import NO_BOOK_AFTER_S, MarketController
from pmdash.models import Event, FeedStatus, MarketInfo
from pmdash.net.policy import Heartbeat
from pmdash.registry import FEEDS, FeedSpec
from pmdash.state.market import MarketState
from pmdash.state.store import Store
from pmdash.widgets.group import PanelGroup
from pmdash.widgets.market_group import MarketGroup, MarketPanelSettings

NOWHERE = Endpoints.from_base_url("http://127.0.0.1:9")
"""Endpoints nothing listens on (an offline app never connects)."""


class OfflineMarket(MarketController):
    """The market feed's controller with no socket: ``statuses[-1]`` is its status."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statuses: list[FeedStatus] = [FeedStatus(feed="market", state="live")]

    async def run(self) -> None:
        """No socket."""

    def status(self) -> FeedStatus:
        return self.statuses[-1]


def dashboard_app(
    markets: Sequence[MarketInfo],
    *,
    settings: Settings | None = None,
    panel: MarketPanelSettings | None = None,
    no_book_after_s: float = NO_BOOK_AFTER_S,
    refresh_hz: float | None = None,
    events: Sequence[Event] = (),
    status: FeedStatus | None = None,
    offline: bool = True,
    endpoints: Endpoints = NOWHERE,
    heartbeat: Heartbeat | None = None,
    more_feeds: Sequence[FeedSpec] = (),
) -> PmdashApp:
    """The dashboard with the market feed (and ``more_feeds`` after it), ``events`` already in
    its store, and the dark theme; ``offline``: no socket, ``status`` (default live) is what
    the market feed reports."""
    base = FEEDS["market"]

    def controller(ctx: FeedContext) -> Controller:
        kind = OfflineMarket if offline else MarketController
        return kind.from_context(ctx, no_book_after_s=no_book_after_s, heartbeat=heartbeat)

    def panels(ctl: Controller, store: Store, st: Settings) -> list[PanelGroup]:
        assert isinstance(ctl, MarketController)
        return [MarketGroup(ctl, settings=st, panel=panel)]

    spec = replace(base, controller=controller, panels=panels)
    feeds = [spec, *more_feeds]
    app = PmdashApp(endpoints, markets, settings=settings, refresh_hz=refresh_hz, feeds=feeds)
    app.theme = "textual-dark"
    if status is not None:
        offline_market(app).statuses = [status]
    app.store.apply(events)
    return app


def market_group(app: PmdashApp) -> MarketGroup:
    """The market feed's panels."""
    return next(g for g in app.groups if isinstance(g, MarketGroup))


def market_controller(app: PmdashApp) -> MarketController:
    controller = app.controllers["market"]
    assert isinstance(controller, MarketController)
    return controller


def offline_market(app: PmdashApp) -> OfflineMarket:
    controller = app.controllers["market"]
    assert isinstance(controller, OfflineMarket)
    return controller


def market_state(app: PmdashApp) -> MarketState:
    """The market feed's books, tapes and markets."""
    return app.store.slice(MarketState)


class MarketStore(Store):
    """A Store holding only the market slice, whose attributes it lends (``store.books``):
    for tests of the market slice through the Store's routing."""

    def __init__(self, **options: int) -> None:
        self.market = MarketState(**options)
        super().__init__([self.market])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.market, name)


def market_store(**options: int) -> MarketStore:
    """A Store with the market slice (``MarketState(**options)``)."""
    return MarketStore(**options)
