"""The account group in the whole dashboard, both venues (the CLOB and Polymarket US) in one
portfolio, with fixed data and no sockets: at 160x45 beside the market panels, at 80x24 behind
its key ``a``, and with money hidden (``m``)."""

from __future__ import annotations

from dataclasses import replace

from conftest import dashboard_app
from test_app_snapshot import LIVE, MARKETS, NOW_MS, YES, _events

from pmdash.app import PmdashApp
from pmdash.live.controller import Controller, FeedContext
from pmdash.models import Balance, Event, FeedStatus, Fill, OrderEvent, Position
from pmdash.registry import FEEDS
from pmdash.state.account import AccountState

FED = MARKETS[0].condition_id
US_SLUG = "us-nba-lal-bos-2026-01-02"


class OfflineAccount:
    """The ``us-private`` feed's controller with no socket, live."""

    feed = "us-private"

    def __init__(self, ctx: FeedContext) -> None:
        self.ctx = ctx

    async def run(self) -> None:
        """No socket."""

    def stop(self) -> None:
        pass

    def status(self) -> FeedStatus:
        return FeedStatus(feed=self.feed, state="live", frames=120, frames_per_s=1.5,
                          last_frame_age_s=0.4, latency_ms=21.0)

    def mark_failed(self, reason: str) -> None:
        pass

    def housekeep(self, now: float) -> None:
        pass


def _offline(ctx: FeedContext) -> Controller:
    return OfflineAccount(ctx)


def account_events() -> list[Event]:
    return [
        Balance(feed="user", venue="clob", cash=1_234_560_000, timestamp=NOW_MS),
        Balance(feed="us-private", venue="us", currency="USD", cash=250_000_000,
                buying_power=247_250_000, open_orders=2_750_000, timestamp=NOW_MS),
        Position(feed="user", venue="clob", asset_id=YES, market=FED, size=100_000_000,
                 avg_price=420_000, timestamp=NOW_MS),
        Position(feed="us-private", venue="us", asset_id=US_SLUG, market=US_SLUG,
                 title="Lakers vs Celtics", outcome="LAL", size=20_000_000, avg_price=550_000,
                 realized_pnl=1_500_000, timestamp=NOW_MS),
        OrderEvent(feed="user", venue="clob", order_id="0xo1", market=FED, asset_id=YES,
                   side="BUY", price=410_000, original_size=50_000_000,
                   size_matched=10_000_000, status="LIVE", kind="UPDATE", timestamp=NOW_MS),
        OrderEvent(feed="us-private", venue="us", order_id="us-77", market=US_SLUG,
                   asset_id=US_SLUG, side="SELL", price=610_000, original_size=5_000_000,
                   status="OPEN", kind="NEW", timestamp=NOW_MS),
        Fill(feed="user", venue="clob", trade_id="t1", order_id="0xo1", market=FED,
             asset_id=YES, side="BUY", price=410_000, size=10_000_000, status="MINED",
             role="maker", timestamp=NOW_MS),
        Fill(feed="us-private", venue="us", trade_id="x9", order_id="us-70", market=US_SLUG,
             asset_id=US_SLUG, side="BUY", price=550_000, size=2_000_000, status="FILLED",
             timestamp=NOW_MS),
    ]


def dashboard() -> PmdashApp:
    spec = replace(FEEDS["us-private"], controller=_offline, credentials=())
    app = dashboard_app(MARKETS, events=[*_events(), *account_events()], status=LIVE,
                        more_feeds=[spec])
    account = app.store.slice(AccountState)
    account.portfolio.mark(US_SLUG, 600_000)
    account.portfolio.take_notices()  # no toasts in a snapshot: a fill test shows those
    return app


def test_account_beside_the_market_panels(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: the market panels, and on the right the Account group: "CLOB cash
    $1,234.56  US cash $248.90" (the US fill of 2 @ 0.55 paid from $250), two open orders (CLOB
    BUY 0.41 on "Will the Fed cu…", US SELL 0.61 on the US slug), two fills and two positions
    ("Lakers vs Celti…" 22.00 @ 0.55), each row with its venue, names cut to fit the column;
    the status bar names market and us-private, both green."""
    assert snap_compare(dashboard(), terminal_size=(160, 45))


def test_account_behind_its_key_at_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: at 80x24, after ``a``, the Account group in the market panels' place
    (cash line, orders, fills, positions of both venues), ``a Account`` in the footer."""
    assert snap_compare(dashboard(), terminal_size=(80, 24), press=["a"])


def test_account_money_hidden(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: at 80x24 the Account group as after ``a``, but the cash line reads
    "CLOB cash •••  US cash •••" and the Cost and Unreal. cells are "•••"; prices and sizes
    stay."""
    assert snap_compare(dashboard(), terminal_size=(80, 24), press=["a", "m"])
