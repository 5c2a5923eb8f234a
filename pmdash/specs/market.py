"""The CLOB market channel (``market``): books, trades and prices of the selected markets."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pmdash.config import Settings
from pmdash.feedspec import FeedSpec, chosen
from pmdash.specs.venue import VENUE

if TYPE_CHECKING:
    from pmdash.live.controller import Controller, FeedContext
    from pmdash.sim.server import Feed, SimServer
    from pmdash.state.store import Slice, Store
    from pmdash.widgets.group import PanelGroup


def _slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.market import MarketState

    return [MarketState(tape_len=settings.tape_len)]


def _controller(ctx: FeedContext) -> Controller:
    from pmdash.live.market import MarketController

    return MarketController.from_context(ctx)


def _panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    from pmdash.live.market import MarketController
    from pmdash.widgets.market_group import MarketGroup

    assert isinstance(controller, MarketController)
    return [MarketGroup(controller, settings=settings)]


def _sim(server: SimServer) -> Feed:
    from pmdash.sim.market_channel import MarketChannel

    return MarketChannel(server.exchange, server.sessions, max_queue=server.max_queue)


def _tail_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--books", action="store_true", help="print every book's state at exit (market)"
    )


def _tail_end(controller: Controller, args: argparse.Namespace) -> list[dict[str, Any]]:
    from pmdash.jsonout import book_state
    from pmdash.live.market import MarketController

    assert isinstance(controller, MarketController)
    if not getattr(args, "books", False):
        return []
    books = controller.state.books
    return [book_state(books[asset_id]) for asset_id in sorted(books)]


def _tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.market import MarketController

    assert isinstance(controller, MarketController)
    books = controller.state.books
    return {"books": len(books), "heals": sum(book.heals for book in books.values())}


def market_enabled(settings: Settings) -> bool:
    """The CLOB market feed runs unless ``--venue us``."""
    return chosen(settings, VENUE) != "us"


MARKET = FeedSpec(
    id="market",
    title="Market",
    path="/ws/market",
    url=lambda endpoints: endpoints.market_ws,
    slices=_slices,
    controller=_controller,
    panels=_panels,
    sim_route=_sim,
    tail_options=_tail_options,
    tail_events=(
        "book_snapshot",
        "book_delta",
        "trade",
        "tick_size",
        "best_bid_ask",
        "new_market",
        "market_resolved",
    ),
    tail_end=_tail_end,
    tail_summary=_tail_summary,
    needs_markets=True,
    enabled=market_enabled,
    order=10,
)

SPECS = (MARKET,)
