"""The reference-price feeds: PolyBolt (``polybolt``, CLOB credentials) and the legacy RTDS
(``rtds``, none), one of them chosen by ``--prices``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pmdash.config import Settings
from pmdash.endpoints import PATHS, Endpoints
from pmdash.feedspec import Choice, FeedSpec, chosen, missing_of
from pmdash.specs.credentials import CLOB_CREDENTIALS

if TYPE_CHECKING:
    from pmdash.live.controller import Controller, FeedContext
    from pmdash.state.store import Slice, Store
    from pmdash.widgets.group import PanelGroup

PRICES = Choice(
    flag="--prices",
    config_key="prices",
    choices=("auto", "polybolt", "rtds", "off"),
    default="auto",
    help="reference-price feed: polybolt (needs the CLOB credentials), rtds (legacy, none), "
    "off, or auto (default: polybolt with CLOB credentials, else rtds)",
)


def prices_feed(settings: Settings, environ: Mapping[str, str] | None = None) -> str | None:
    """The price feed the dashboard runs: ``PRICES`` as chosen; ``auto``: PolyBolt when the
    CLOB credentials are set, else RTDS. None: ``off``."""
    wanted = chosen(settings, PRICES)
    if wanted == "off":
        return None
    if wanted == "auto":
        return "rtds" if missing_of(CLOB_CREDENTIALS, settings, environ) else "polybolt"
    return wanted


def _ws_root(endpoints: Endpoints) -> str:
    parts = urlsplit(endpoints.market_ws)
    return f"{parts.scheme}://{parts.netloc}"


def _polybolt_url(endpoints: Endpoints) -> str:
    if endpoints.embedded:
        return _ws_root(endpoints) + PATHS["polybolt"]
    return "wss://ws-live-v2.polymarket.com/ws"


def _rtds_url(endpoints: Endpoints) -> str:
    if endpoints.embedded:
        return _ws_root(endpoints) + PATHS["rtds"]
    return "wss://ws-live-data.polymarket.com"


def _slices(feed: str) -> Callable[[Settings], Sequence[Slice]]:
    def make(settings: Settings) -> Sequence[Slice]:
        from pmdash.state.price_slice import PriceSlice

        return [PriceSlice(feed)]

    return make


def _polybolt_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.prices import PriceController

    return PriceController.polybolt(ctx, _polybolt_url(ctx.endpoints))


def _rtds_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.prices import PriceController

    return PriceController.rtds(ctx, _rtds_url(ctx.endpoints))


def _panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    from pmdash.live.prices import PriceController
    from pmdash.widgets.price_group import PriceGroup

    assert isinstance(controller, PriceController)
    return [PriceGroup(controller, store)]


def _tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.prices import PriceController

    assert isinstance(controller, PriceController)
    return {"symbols": len(controller.board.symbols())}


POLYBOLT = FeedSpec(
    id="polybolt",
    title="Prices (PolyBolt)",
    path=PATHS["polybolt"],
    url=_polybolt_url,
    slices=_slices("polybolt"),
    controller=_polybolt_controller,
    panels=_panels,
    tail_events=("price", "price_gap", "feed_ack"),
    tail_summary=_tail_summary,
    credentials=CLOB_CREDENTIALS,
    enabled=lambda settings: prices_feed(settings) == "polybolt",
    choices=(PRICES,),
    order=20,
)
RTDS = FeedSpec(
    id="rtds",
    title="Prices (RTDS)",
    path=PATHS["rtds"],
    url=_rtds_url,
    slices=_slices("rtds"),
    controller=_rtds_controller,
    panels=_panels,
    tail_events=("price",),
    tail_summary=_tail_summary,
    enabled=lambda settings: prices_feed(settings) == "rtds",
    choices=(PRICES,),
    order=21,
)

SPECS = (POLYBOLT, RTDS)
