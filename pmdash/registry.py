"""Every feed pmdash speaks, by id: ``FEEDS``. ``app.py``, ``tail.py`` and ``cli.py`` iterate
over it and name no feed.

A feed is modules plus one registration here (README, "How to add a feed"):

- ``feeds/<feed>`` its codec, ``net/<feed>.py`` its ``FeedPolicy``;
- ``state/<slice>.py`` its slice(s) (``state.store.Slice``), made by ``FeedSpec.slices``;
- ``live/<feed>.py`` its controller (``live.controller.Controller``), made by
  ``FeedSpec.controller`` from a ``FeedContext``;
- ``widgets/<panel>.py`` its panel group(s) (``widgets.group.PanelGroup``), made by
  ``FeedSpec.panels`` (imported only by the dashboard: ``tail`` never loads Textual);
- ``sim/<feed>.py`` its route in the embedded exchange, made by ``FeedSpec.sim_route`` and
  added with ``SimServer.add_feed``;
- its ``tail`` options, the event types it prints, its credentials, and whether the settings
  enable it.

This module imports no feed's code at import time: each factory imports its own modules when
called, so ``pmdash tail market`` loads neither Textual nor another feed's codec.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pmdash.config import ConfigError, Settings
from pmdash.credentials import ClobCredentials
from pmdash.endpoints import PATHS, Endpoints

if TYPE_CHECKING:
    from pmdash.live.controller import Controller, FeedContext
    from pmdash.live.us import UsUrls
    from pmdash.sim.server import Feed, SimServer
    from pmdash.state.store import Slice, Store
    from pmdash.widgets.group import PanelGroup


@dataclass(frozen=True, kw_only=True)
class Credential:
    """One secret or key a feed needs: read from ``env``, else from the config file's
    ``config_key``; missing, the command exits 2 naming both."""

    name: str
    """The key in ``FeedContext.credentials``."""
    env: str
    config_key: str
    optional: bool = False
    """Not required: left out of ``FeedContext.credentials`` when not set."""


@dataclass(frozen=True, kw_only=True)
class Choice:
    """A setting feeds add, one of ``choices``: the dashboard's flag ``flag`` and the config
    file's key ``config_key`` (the flag wins). Read it with ``chosen(settings, choice)``."""

    flag: str
    config_key: str
    choices: tuple[str, ...]
    default: str
    help: str


def chosen(settings: Settings, choice: Choice) -> str:
    return settings.choices.get(choice.config_key, choice.default)


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    """One feed (see the module docstring)."""

    id: str
    title: str
    path: str
    """Its WebSocket path on a server laid out like the embedded exchange."""
    url: Callable[[Endpoints], str]
    """Its WebSocket URL for the endpoints in use."""
    slices: Callable[[Settings], Sequence[Slice]]
    controller: Callable[[FeedContext], Controller]
    panels: Callable[[Controller, Store, Settings], Sequence[PanelGroup]] | None = None
    """Its panel groups (each says where it goes: ``PanelGroup.place``)."""
    sim_route: Callable[[SimServer], Feed] | None = None
    tail_options: Callable[[argparse.ArgumentParser], None] | None = None
    """Adds the feed's own ``tail`` flags (argparse); their values reach ``tail_end``."""
    tail_events: tuple[str, ...] = ()
    """The ``type`` of each event ``tail`` prints for this feed (DESIGN.md's list)."""
    tail_end: Callable[[Controller, argparse.Namespace], list[dict[str, Any]]] | None = None
    """Lines ``tail`` prints at exit (the market feed's ``--books``)."""
    tail_summary: Callable[[Controller], dict[str, Any]] | None = None
    """Fields the ``--quiet`` summary adds for this feed."""
    credentials: tuple[Credential, ...] = ()
    needs_markets: bool = False
    """The feed streams the selected markets: they are looked up (Gamma) before it starts."""
    enabled: Callable[[Settings], bool] = field(default=lambda settings: True)
    """Whether the dashboard runs this feed with these settings (``polybolt`` only with CLOB
    credentials); ``tail FEED`` runs the feed asked for regardless."""
    choices: tuple[Choice, ...] = ()
    """Settings of the feed's own (a flag and a config key each; feeds may share one)."""


def missing_credentials(
    spec: FeedSpec, settings: Settings, environ: Mapping[str, str] | None = None
) -> list[Credential]:
    """The credentials of ``spec`` set neither in the environment nor in the config file."""
    return _missing(spec.credentials, settings, environ)


def _missing(
    credentials: Sequence[Credential], settings: Settings, environ: Mapping[str, str] | None
) -> list[Credential]:
    return [c for c in credentials if not c.optional and not _value(c, settings, environ)]


def _value(c: Credential, settings: Settings, environ: Mapping[str, str] | None) -> str:
    """Where a credential is set: given by the command (``--demo``), else the environment,
    else the config file; ``""``: nowhere."""
    env = os.environ if environ is None else environ
    return (settings.given.get(c.config_key) or env.get(c.env)
            or settings.secrets.get(c.config_key) or "")


def read_credentials(
    spec: FeedSpec, settings: Settings, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The feed's credentials by name; raises ``ConfigError`` (exit 2) naming every variable
    or config key left to set. The values are never part of a message."""
    missing = missing_credentials(spec, settings, environ)
    if missing:
        names = ", ".join(f"{c.env} (or {c.config_key} in the config file)" for c in missing)
        raise ConfigError(f"the {spec.id} feed needs credentials: set {names}")
    values = {c.name: _value(c, settings, environ) for c in spec.credentials}
    return {name: value for name, value in values.items() if value}


def all_choices() -> list[Choice]:
    """Every feed's ``Choice``, once each, in registration order."""
    return list({c.flag: c for spec in FEEDS.values() for c in spec.choices}.values())


def enabled_feeds(settings: Settings) -> list[FeedSpec]:
    """The feeds the dashboard runs with ``settings``, in registration order."""
    return [spec for spec in FEEDS.values() if spec.enabled(settings)]


VENUE = Choice(
    flag="--venue",
    config_key="venue",
    choices=("clob", "us"),
    default="clob",
    help="clob (Polymarket, the default) or us (Polymarket US: --market takes its slugs)",
)
"""Which exchange the dashboard's markets are on: ``us`` runs the US feeds instead of the
CLOB's market feed (``markets`` are US slugs)."""


# --- the market feed ---------------------------------------------------------------------------


def _market_slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.market import MarketState

    return [MarketState(tape_len=settings.tape_len)]


def _market_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.market import MarketController

    return MarketController.from_context(ctx)


def _market_panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    from pmdash.live.market import MarketController
    from pmdash.widgets.market_group import MarketGroup

    assert isinstance(controller, MarketController)
    return [MarketGroup(controller, settings=settings)]


def _market_sim(server: SimServer) -> Feed:
    from pmdash.sim.market_channel import MarketChannel

    return MarketChannel(server.exchange, server.sessions, max_queue=server.max_queue)


def _market_tail_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--books", action="store_true", help="print every book's state at exit (market)"
    )


def _market_tail_end(controller: Controller, args: argparse.Namespace) -> list[dict[str, Any]]:
    from pmdash.jsonout import book_state
    from pmdash.live.market import MarketController

    assert isinstance(controller, MarketController)
    if not getattr(args, "books", False):
        return []
    books = controller.state.books
    return [book_state(books[asset_id]) for asset_id in sorted(books)]


def _market_tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.market import MarketController

    assert isinstance(controller, MarketController)
    books = controller.state.books
    return {"books": len(books), "heals": sum(book.heals for book in books.values())}


# --- the reference-price feeds: PolyBolt (CLOB credentials) and RTDS (none) --------------------

CLOB_CREDENTIALS = (
    Credential(name="api_key", env="CLOB_API_KEY", config_key="clob_api_key"),
    Credential(name="secret", env="CLOB_SECRET", config_key="clob_secret"),
    Credential(name="passphrase", env="CLOB_PASS_PHRASE", config_key="clob_pass_phrase"),
)
"""The CLOB API credential triple (PolyBolt's ``auth`` op, the CLOB user channel, signed REST)."""



def clob_secrets(api_key: str, secret: str, passphrase: str) -> dict[str, str]:
    """The triple by config key, as ``Settings.given`` takes it (``--demo``)."""
    values = {"api_key": api_key, "secret": secret, "passphrase": passphrase}
    return {c.config_key: values[c.name] for c in CLOB_CREDENTIALS}


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
        return "rtds" if _missing(CLOB_CREDENTIALS, settings, environ) else "polybolt"
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


def _price_slices(feed: str) -> Callable[[Settings], Sequence[Slice]]:
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


def _price_panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    from pmdash.live.prices import PriceController
    from pmdash.widgets.price_group import PriceGroup

    assert isinstance(controller, PriceController)
    return [PriceGroup(controller, store)]


def _price_tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.prices import PriceController

    assert isinstance(controller, PriceController)
    return {"symbols": len(controller.board.symbols())}


FEEDS: dict[str, FeedSpec] = {
    "market": FeedSpec(
        id="market",
        title="Market",
        path="/ws/market",
        url=lambda endpoints: endpoints.market_ws,
        slices=_market_slices,
        controller=_market_controller,
        panels=_market_panels,
        sim_route=_market_sim,
        tail_options=_market_tail_options,
        tail_events=(
            "book_snapshot",
            "book_delta",
            "trade",
            "tick_size",
            "best_bid_ask",
            "new_market",
            "market_resolved",
        ),
        tail_end=_market_tail_end,
        tail_summary=_market_tail_summary,
        needs_markets=True,
        enabled=lambda settings: chosen(settings, VENUE) != "us",
    ),
    "polybolt": FeedSpec(
        id="polybolt",
        title="Prices (PolyBolt)",
        path=PATHS["polybolt"],
        url=_polybolt_url,
        slices=_price_slices("polybolt"),
        controller=_polybolt_controller,
        panels=_price_panels,
        tail_events=("price", "price_gap", "feed_ack"),
        tail_summary=_price_tail_summary,
        credentials=CLOB_CREDENTIALS,
        enabled=lambda settings: prices_feed(settings) == "polybolt",
        choices=(PRICES,),
    ),
    "rtds": FeedSpec(
        id="rtds",
        title="Prices (RTDS)",
        path=PATHS["rtds"],
        url=_rtds_url,
        slices=_price_slices("rtds"),
        controller=_rtds_controller,
        panels=_price_panels,
        tail_events=("price",),
        tail_summary=_price_tail_summary,
        enabled=lambda settings: prices_feed(settings) == "rtds",
        choices=(PRICES,),
    ),
}
"""Feed id -> its spec, in the order the dashboard composes and starts them."""


# --- the CLOB user feed (your account) ---------------------------------------------------------

PROFILE_ADDRESS = Credential(
    name="profile_address", env="POLYMARKET_PROFILE_ADDRESS", config_key="profile_address"
)
"""Your Polymarket profile (proxy/funder) address: whose positions the Data API lists."""
SIGNER_ADDRESS = Credential(
    name="signer_address", env="POLYMARKET_SIGNER_ADDRESS", config_key="signer_address",
    optional=True,
)
"""The address your API key signs for (``POLY_ADDRESS``); unset: the profile address."""


def demo_credentials(creds: ClobCredentials) -> dict[str, str]:
    """What ``--demo`` gives its feeds (``Settings.given``), by config key: the CLOB key it
    registered with its exchange (a ``ClobCredentials``) and the addresses that exchange gives
    that key."""
    from pmdash.sim.account import demo_addresses

    signer, profile = demo_addresses(creds.api_key)
    values = (creds.api_key, creds.secret, creds.passphrase)
    given = {c.config_key: v for c, v in zip(CLOB_CREDENTIALS, values, strict=True)}
    given[PROFILE_ADDRESS.config_key] = profile
    given[SIGNER_ADDRESS.config_key] = signer
    return given


def _user_slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.account import AccountState

    return [AccountState()]


def _user_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.user import UserController

    return UserController.from_context(ctx)


def _user_panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    from pmdash.widgets.account_group import AccountGroup

    return [AccountGroup(store)]


def _user_tail_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--condition", nargs="+", action="append", metavar="ID",
        help="user: only these markets (condition ids; default: every market of your key)",
    )


def _user_tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.user import UserController

    assert isinstance(controller, UserController)
    portfolio = controller.portfolio
    return {"open_orders": len(portfolio.open_orders("clob")),
            "fills": sum(1 for key in portfolio.fills if key[0] == "clob"),
            "rest_loads": controller.loads}


def _user_spec() -> FeedSpec:
    credentials = (*CLOB_CREDENTIALS, PROFILE_ADDRESS, SIGNER_ADDRESS)

    def enabled(settings: Settings) -> bool:
        return not missing_credentials(spec, settings)

    spec = FeedSpec(
        id="user",
        title="Account",
        path="/ws/user",
        url=lambda endpoints: _user_url(endpoints),
        slices=_user_slices,
        controller=_user_controller,
        panels=_user_panels,
        # served by ``sim.runner.serve_exchange`` (``add_user_channel``): it shares the CLOB
        # key registry with PolyBolt
        tail_options=_user_tail_options,
        tail_events=("order", "fill"),
        tail_summary=_user_tail_summary,
        credentials=credentials,
        enabled=enabled,
    )
    return spec


def _user_url(endpoints: Endpoints) -> str:
    from pmdash.net.user import user_url

    return user_url(endpoints)


FEEDS["user"] = _user_spec()


# --- the sports feed ---------------------------------------------------------------------------


def _sports_url(endpoints: Endpoints) -> str:
    from pmdash.net.sports import sports_url

    return sports_url(endpoints)


def _sports_slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.sports import SportsState

    return [SportsState()]


def _sports_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.sports import SportsController

    return SportsController.from_context(ctx)


def _sports_panels(controller: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
    from pmdash.state.sports import SportsState
    from pmdash.widgets.games_group import games_groups

    return games_groups(store.slice(SportsState), settings)  # type: ignore[return-value]


def _sports_tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.sports import SportsController

    assert isinstance(controller, SportsController)
    games = controller.state.board.games()
    return {"games": len(games), "live": sum(1 for s in games if s.game.live)}


FEEDS["sports"] = FeedSpec(
    id="sports",
    title="Sports",
    path="/sports",
    url=_sports_url,
    slices=_sports_slices,
    controller=_sports_controller,
    panels=_sports_panels,
    tail_events=("game",),
    tail_summary=_sports_tail_summary,
)


# --- Polymarket US: us-markets, us-private -------------------------------------------------------

US_CREDENTIALS = (
    Credential(name="key_id", env="POLYMARKET_KEY_ID", config_key="polymarket_key_id"),
    Credential(name="secret_key", env="POLYMARKET_SECRET_KEY", config_key="polymarket_secret_key"),
)


def _has_us_key(settings: Settings) -> bool:
    return not missing_credentials(FEEDS["us-private"], settings)


def _us_markets_enabled(settings: Settings) -> bool:
    """With ``--venue us``; beside the CLOB on an embedded exchange when a US key is set
    (``--demo`` registers its own)."""
    if chosen(settings, VENUE) == "us":
        return True
    return settings.base_url is not None and _has_us_key(settings)


def _us_private_enabled(settings: Settings) -> bool:
    on_us = chosen(settings, VENUE) == "us" or settings.base_url is not None
    return on_us and _has_us_key(settings)


def _us_market_slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.market import MarketState

    return [MarketState(tape_len=settings.tape_len)]  # shared with the market feed


def _us_markets_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.us import UsMarketsController

    return UsMarketsController.from_context(ctx)


def _us_markets_panels(
    controller: Controller, store: Store, settings: Settings
) -> list[PanelGroup]:
    """The market panels show the US books when the market feed does not run (``--venue
    us``); beside it, its group lists the US markets after the CLOB's."""
    from pmdash.live.us import UsMarketsController
    from pmdash.widgets.market_group import MarketGroup

    assert isinstance(controller, UsMarketsController)
    if FEEDS["market"].enabled(settings):
        return []
    return [MarketGroup(controller, settings=settings)]


def _us_markets_tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.us import UsMarketsController

    assert isinstance(controller, UsMarketsController)
    books = controller.state.books
    return {"books": sum(1 for slug in controller.listed if slug in books)}


def _account_slices(settings: Settings) -> Sequence[Slice]:
    from pmdash.state.account import AccountState

    return [AccountState()]  # shared by both venues' private feeds


def _us_private_controller(ctx: FeedContext) -> Controller:
    from pmdash.live.us import UsPrivateController

    return UsPrivateController.from_context(ctx)


def _us_private_panels(
    controller: Controller, store: Store, settings: Settings
) -> list[PanelGroup]:
    """The account group (both venues, one ``AccountState``), unless the CLOB ``user`` feed
    runs too and makes it."""
    from pmdash.widgets.account_group import AccountGroup

    user = FEEDS.get("user")
    if user is not None and user.panels is not None and user.enabled(settings):
        return []
    return [AccountGroup(store)]


def _us_private_tail_summary(controller: Controller) -> dict[str, Any]:
    from pmdash.live.us import UsPrivateController

    assert isinstance(controller, UsPrivateController)
    portfolio = controller.account.portfolio
    return {
        "open_orders": len(portfolio.open_orders("us")),
        "positions": sum(1 for venue, _ in portfolio.positions if venue == "us"),
        "reconciled": controller.reconciled,
    }


FEEDS["us-markets"] = FeedSpec(
    id="us-markets",
    title="US markets",
    path="/v1/ws/markets",
    url=lambda endpoints: _us_urls(endpoints).markets_ws,
    slices=_us_market_slices,
    controller=_us_markets_controller,
    panels=_us_markets_panels,
    tail_events=("book_snapshot", "trade", "best_bid_ask"),
    tail_summary=_us_markets_tail_summary,
    credentials=US_CREDENTIALS,
    choices=(VENUE,),
    enabled=_us_markets_enabled,
)
FEEDS["us-private"] = FeedSpec(
    id="us-private",
    title="US account",
    path="/v1/ws/private",
    url=lambda endpoints: _us_urls(endpoints).private_ws,
    slices=_account_slices,
    controller=_us_private_controller,
    panels=_us_private_panels,
    tail_events=("order", "fill", "position", "balance"),
    tail_summary=_us_private_tail_summary,
    credentials=US_CREDENTIALS,
    enabled=_us_private_enabled,
)


def _us_urls(endpoints: Endpoints) -> UsUrls:
    from pmdash.live.us import us_urls

    return us_urls(endpoints)
