"""The sports scores socket (``sports``): live games, linked to their markets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.feedspec import FeedSpec

if TYPE_CHECKING:
    from pmdash.live.controller import Controller, FeedContext
    from pmdash.state.store import Slice, Store
    from pmdash.widgets.group import PanelGroup


def _url(endpoints: Endpoints) -> str:
    from pmdash.net.sports import sports_url

    return sports_url(endpoints)


def _slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.sports import SportsState

    return [SportsState()]


def _controller(ctx: FeedContext) -> Controller:
    from pmdash.live.sports import SportsController

    return SportsController.from_context(ctx)


def _panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    from pmdash.state.sports import SportsState
    from pmdash.widgets.games_group import games_groups

    return games_groups(store.slice(SportsState), settings)  # type: ignore[return-value]


def _tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.sports import SportsController

    assert isinstance(controller, SportsController)
    games = controller.state.board.games()
    return {"games": len(games), "live": sum(1 for s in games if s.game.live)}


SPORTS = FeedSpec(
    id="sports",
    title="Sports",
    path="/sports",
    url=_url,
    slices=_slices,
    controller=_controller,
    panels=_panels,
    tail_events=("game",),
    tail_summary=_tail_summary,
    order=40,
)

SPECS = (SPORTS,)
