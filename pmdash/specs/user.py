"""The CLOB user channel (``user``): your orders and fills, with your positions and cash over
signed REST."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.feedspec import FeedSpec, missing_of
from pmdash.specs.credentials import CLOB_CREDENTIALS, PROFILE_ADDRESS, SIGNER_ADDRESS

if TYPE_CHECKING:
    from pmdash.live.controller import Controller, FeedContext
    from pmdash.state.store import Slice, Store
    from pmdash.widgets.group import PanelGroup

CREDENTIALS = (*CLOB_CREDENTIALS, PROFILE_ADDRESS, SIGNER_ADDRESS)


def _url(endpoints: Endpoints) -> str:
    from pmdash.net.user import user_url

    return user_url(endpoints)


def _slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.account import AccountState

    return [AccountState()]


def _controller(ctx: FeedContext) -> Controller:
    from pmdash.live.user import UserController

    return UserController.from_context(ctx)


def _panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    from pmdash.widgets.account_group import AccountGroup

    return [AccountGroup(store)]


def _tail_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--condition", nargs="+", action="append", metavar="ID",
        help="user: only these markets (condition ids; default: every market of your key)",
    )


def _tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.user import UserController

    assert isinstance(controller, UserController)
    portfolio = controller.portfolio
    return {"open_orders": len(portfolio.open_orders("clob")),
            "fills": sum(1 for key in portfolio.fills if key[0] == "clob"),
            "rest_loads": controller.loads}


def user_enabled(settings: Settings) -> bool:
    """The dashboard runs the user feed when its credentials are set."""
    return not missing_of(CREDENTIALS, settings, None)


USER = FeedSpec(
    id="user",
    title="Account",
    path="/ws/user",
    url=_url,
    slices=_slices,
    controller=_controller,
    panels=_panels,
    # served by ``sim.runner.serve_exchange`` (``add_user_channel``): it shares the CLOB key
    # registry with PolyBolt
    tail_options=_tail_options,
    tail_events=("order", "fill", "position", "balance"),
    tail_summary=_tail_summary,
    credentials=CREDENTIALS,
    enabled=user_enabled,
    order=30,
)

SPECS = (USER,)
