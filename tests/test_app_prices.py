"""The reference-price feeds in the dashboard: the price board and chart in the right-hand
column (``p`` shows them on a narrow terminal, ``c`` cycles the charted symbol), the strike of
the selected market, PolyBolt chosen with CLOB credentials and RTDS without, and the CLOB
secret and passphrase in nothing pmdash writes."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

import msgspec
import pytest
from conftest import dashboard_app, market_group
from waiting import until_shown

from pmdash.app import PmdashApp
from pmdash.config import ConfigError, Settings, load_settings
from pmdash.credentials import ClobCredentials
from pmdash.endpoints import Endpoints
from pmdash.live.controller import Controller, FeedContext
from pmdash.live.prices import PriceController
from pmdash.models import (
    BookSnapshot,
    Event,
    FeedStatus,
    MarketInfo,
    PriceKind,
    PriceTick,
)
from pmdash.net.rtds import rtds_policy
from pmdash.registry import FEEDS, FeedSpec, enabled_feeds
from pmdash.sim.credentials import new_credentials
from pmdash.sim.runner import serve_exchange
from pmdash.specs.credentials import CLOB_CREDENTIALS, clob_secrets
from pmdash.specs.prices import prices_feed
from pmdash.state.store import Store
from pmdash.widgets.group import PanelGroup
from pmdash.widgets.price_group import PriceGroup, market_strike

NOW_MS = 1_767_364_200_000
YES, NO = "5" * 77, "6" * 77
ETH_YES, ETH_NO = "7" * 77, "8" * 77
BTC_ABOVE = MarketInfo(
    condition_id="0x" + "c" * 64,
    question="Will the price of Bitcoin be above $98,500 on January 2?",
    slug="bitcoin-above-98500-on-january-2",
    token_ids=(YES, NO),
    outcomes=("Yes", "No"),
)
ETH_RANGE = MarketInfo(
    condition_id="0x" + "d" * 64,
    question="Will the price of Ethereum be between $3,400 and $3,500 on January 2?",
    slug="ethereum-price-on-january-2",
    token_ids=(ETH_YES, ETH_NO),
    outcomes=("Yes", "No"),
)
POLYBOLT_LIVE = FeedStatus(
    feed="polybolt", state="live", frames=612, frames_per_s=6.0, last_frame_age_s=0.3,
    latency_ms=12.0,
)


def _tick(symbol: str, source: str, kind: PriceKind, ts: int, value: Decimal) -> PriceTick:
    channel = "price.crypto.twap" if kind == "twap" else "price.crypto"
    return PriceTick(feed="polybolt", source=source, symbol=symbol, kind=kind, channel=channel,
                     value=value, timestamp=ts, window_s=60 if kind == "twap" else None)


def price_ticks() -> list[Event]:
    """Five minutes of BTC, ETH and SOL, one point a second: Pyth spot and Chainlink TWAP."""
    events: list[Event] = []
    starts = {"btcusd": 98_250.0, "ethusd": 3_412.5, "solusd": 187.25}
    for symbol, start in starts.items():
        spots: list[float] = []
        for i in range(300):
            ts = NOW_MS - (299 - i) * 1000
            spot = start * (1 + 0.002 * math.sin(i / 23) + 0.0008 * math.sin(i / 3.7)
                            + 0.00001 * i)
            spots.append(spot)
            events.append(_tick(symbol, "pyth", "spot", ts, Decimal(f"{spot:.8f}")))
            window = spots[-60:]
            events.append(_tick(symbol, "chainlink", "twap", ts,
                                Decimal(f"{sum(window) / len(window):.12f}")))
    return events


def _books() -> list[Event]:
    out: list[Event] = []
    for market in (BTC_ABOVE, ETH_RANGE):
        for asset, (bid, ask) in zip(market.token_ids, ((550_000, 580_000), (420_000, 450_000)),
                                     strict=True):
            out.append(BookSnapshot(
                feed="market", asset_id=asset, market=market.condition_id,
                bids=tuple((bid - i * 10_000, (50 + 31 * i) * 1_000_000) for i in range(10)),
                asks=tuple((ask + i * 10_000, (40 + 27 * i) * 1_000_000) for i in range(10)),
                timestamp=NOW_MS, tick_size=10_000,
            ))
    return out


class OfflinePrices(PriceController):
    """The price controller with no socket; its status is ``POLYBOLT_LIVE``."""

    async def run(self) -> None:
        """No socket."""

    def status(self) -> FeedStatus:
        return POLYBOLT_LIVE


def offline_prices_spec() -> FeedSpec:
    def controller(ctx: FeedContext) -> Controller:
        policy = replace(rtds_policy("ws://127.0.0.1:9/live/ws"), feed="polybolt")
        return OfflinePrices(ctx.store, policy)

    def panels(ctl: Controller, store: Store, settings: Settings) -> list[PanelGroup]:
        assert isinstance(ctl, PriceController)
        return [PriceGroup(ctl, store, wall_ms=lambda: NOW_MS)]

    return replace(FEEDS["polybolt"], controller=controller, panels=panels, credentials=())


def dashboard() -> PmdashApp:
    """The real App, no sockets: two markets (BTC above $98,500; ETH between $3,400 and
    $3,500) and five minutes of PolyBolt prices in its store, at a fixed clock."""
    market_live = FeedStatus(feed="market", state="live", frames=4_210, frames_per_s=42.0,
                             last_frame_age_s=0.2, latency_ms=38.0)
    return dashboard_app([BTC_ABOVE, ETH_RANGE], events=[*_books(), *price_ticks()],
                         status=market_live, more_feeds=[offline_prices_spec()])


def price_group(app: PmdashApp) -> PriceGroup:
    return next(g for g in app.groups if isinstance(g, PriceGroup))


# --- snapshots -----------------------------------------------------------------------------


def test_dashboard_with_prices_at_160x45(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: the market list, the header and ladder of "Will the price of Bitcoin be
    above $98,500 on January 2?", the trade tape, and on the right "Prices · polybolt": BTC
    (marked ▸), ETH and SOL, each with its Pyth spot, change and age, its Chainlink TWAP and
    basis on the line below, BTC with its distance to the $98,500 strike; under it the BTC
    chart of the last 5 minutes with both series and the strike line. The status bar shows
    market and polybolt live; the footer lists c Chart and p Prices."""
    assert snap_compare(dashboard(), terminal_size=(160, 45))


def test_dashboard_prices_key_at_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: at 80x24 after ``p``, the price group in place of the market panels:
    the board (BTC, ETH, SOL, BTC's strike distance) over a short BTC chart."""
    assert snap_compare(dashboard(), terminal_size=(80, 24), press=["p"])


# --- the panel group -----------------------------------------------------------------------


async def test_the_strike_follows_the_selected_market_and_c_cycles_the_chart() -> None:
    app = dashboard()
    async with app.run_test(size=(160, 45)) as pilot:
        group = price_group(app)

        def board() -> str:
            return str(group.board_view.render())

        await until_shown(pilot, lambda: group.symbol == "btcusd" and "strike +" in board(),
                     what="BTC charted, its strike distance on the board")
        await pilot.press("j")  # the ETH market: its range strike, its chart
        await until_shown(pilot, lambda: market_group(app).selected_market == ETH_RANGE,
                     what="the ETH market selected")
        await until_shown(pilot, lambda: group.symbol == "ethusd", what="ETH charted")
        await pilot.press("c")
        await until_shown(pilot, lambda: group.symbol == "solusd", what="c: SOL charted")
        await pilot.press("c")
        await until_shown(pilot, lambda: group.symbol == "btcusd", what="c: BTC charted again")


def test_an_updown_market_takes_its_opening_price_from_the_history() -> None:
    from pmdash.state.prices import PriceBoard

    board = PriceBoard(clock=lambda: NOW_MS)
    for event in price_ticks():
        board.apply(event)
    start_s = (NOW_MS - 120_000) // 1000
    market = MarketInfo("0x1", "Bitcoin Up or Down - January 2, 10:30PM ET",
                        f"btc-updown-5m-{start_s}", ("1", "2"), ("Up", "Down"))
    strike = market_strike(market, board)
    assert strike is not None and strike.kind == "updown"
    series = board.primary("btcusd")
    assert series is not None
    assert strike.low == series.since(start_s * 1000)[0][1]
    # A window that opened before the history begins: its opening price is not known.
    older = msgspec.structs.replace(market, slug=f"btc-updown-5m-{start_s - 3600}")
    assert market_strike(older, board) == replace(strike, low=None, high=None)


# --- which price feed ----------------------------------------------------------------------

CLOB_ENV = {"CLOB_API_KEY": "k", "CLOB_SECRET": "s", "CLOB_PASS_PHRASE": "p"}


def test_polybolt_with_clob_credentials_rtds_without_and_the_choice_forces_either() -> None:
    assert prices_feed(Settings(), environ={}) == "rtds"
    assert prices_feed(Settings(), environ=CLOB_ENV) == "polybolt"
    assert prices_feed(Settings(choices={"prices": "rtds"}), environ=CLOB_ENV) == "rtds"
    assert prices_feed(Settings(choices={"prices": "polybolt"}), environ={}) == "polybolt"
    assert prices_feed(Settings(choices={"prices": "off"}), environ=CLOB_ENV) is None
    demo = Settings(given=clob_secrets("k", "s", "p"))
    assert prices_feed(demo, environ={}) == "polybolt"


def test_the_dashboard_runs_one_price_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLOB_ENV:
        monkeypatch.delenv(name, raising=False)
    def price_feeds(settings: Settings) -> list[str]:
        return [s.id for s in enabled_feeds(settings) if s.id in ("polybolt", "rtds")]

    assert price_feeds(Settings()) == ["rtds"]
    assert price_feeds(Settings(choices={"prices": "off"})) == []


def test_the_config_file_chooses_the_feed_and_holds_the_credentials(
    tmp_path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    for name in CLOB_ENV:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    path.write_text('prices = "polybolt"\nclob_api_key = "k"\nclob_secret = "s"\n'
                    'clob_pass_phrase = "p"\n')
    path.chmod(0o600)
    settings = load_settings(config_path=path)
    assert settings.choices == {"prices": "polybolt"}
    assert {c.config_key for c in CLOB_CREDENTIALS} <= set(settings.secrets)
    path.write_text('prices = "binance"\n')
    with pytest.raises(ConfigError, match="prices must be one of auto, polybolt, rtds, off"):
        load_settings(config_path=path)


def test_the_prices_flag_wins_over_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pmdash.cli import _settings, parse_args

    path = tmp_path / "config.toml"
    path.write_text('prices = "rtds"\n')
    assert _settings(parse_args(["--config", str(path)])).choices == {"prices": "rtds"}
    args = parse_args(["--config", str(path), "--prices", "off"])
    assert _settings(args).choices == {"prices": "off"}


# --- against the embedded exchange ---------------------------------------------------------


def _screen_text(app: PmdashApp) -> str:
    return app.export_screenshot()


async def test_polybolt_live_in_the_dashboard_and_its_secrets_nowhere(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    creds = new_credentials()
    async with serve_exchange(clob_keys=[creds], markets=3, rate=20.0) as serving:
        endpoints = Endpoints.from_base_url(serving.base_url)
        settings = Settings(given=clob_secrets(creds.api_key, creds.secret,
                                                       creds.passphrase))
        app = dashboard_app(serving.exchange.markets(), settings=settings, offline=False,
                            endpoints=endpoints, more_feeds=[FEEDS["polybolt"]])
        async with app.run_test(size=(160, 45)) as pilot:
            group = price_group(app)
            await until_shown(pilot, lambda: len(group.board.symbols()) >= 4)
            await until_shown(pilot, lambda: "BTC" in str(group.board_view.render()))
            assert app.controllers["polybolt"].status().state == "live"
            screens = [_screen_text(app)]
            await pilot.press("question_mark")
            await pilot.pause(0.2)
            screens.append(_screen_text(app))
    written = "\n".join([*screens, caplog.text, *capsys.readouterr()])
    assert creds.api_key not in "\n".join(screens)
    for secret in (creds.secret, creds.passphrase):
        assert secret not in written


async def test_a_refused_secret_fails_polybolt_once_and_the_market_feed_runs_on() -> None:
    creds = new_credentials()
    async with serve_exchange(clob_keys=[creds], markets=3, rate=20.0) as serving:
        endpoints = Endpoints.from_base_url(serving.base_url)
        wrong = ClobCredentials(creds.api_key, "wrong-" + creds.secret, creds.passphrase)
        settings = Settings(given=clob_secrets(wrong.api_key, wrong.secret,
                                                       wrong.passphrase))
        app = dashboard_app(serving.exchange.markets(), settings=settings, offline=False,
                            endpoints=endpoints, more_feeds=[FEEDS["polybolt"]])
        async with app.run_test(size=(160, 45)) as pilot:
            prices = app.controllers["polybolt"]
            await until_shown(pilot, lambda: prices.status().state == "failed")
            await pilot.pause(1.0)
            status = prices.status()
            assert status.state == "failed" and status.reconnects == 0  # no retry storm
            assert "CLOB_API_KEY" in status.detail and wrong.secret not in status.detail
            assert app.controllers["market"].status().state == "live"
            await until_shown(pilot, lambda: "refused" in str(price_group(app).board_view.render()))
