"""AccountPanel harness: a fixed Portfolio of both venues (orders, fills, positions, cash)."""

from __future__ import annotations

from textual.app import ComposeResult

from pmdash.models import Balance, Fill, OrderEvent, Position
from pmdash.state.portfolio import Portfolio
from pmdash.widgets.account import AccountPanel
from pmdash.widgets.account_data import AccountView, account_view
from widget_apps.base import NOW_MS, HarnessApp

NAMES = {"tok-fed": "Fed cuts in December? · Yes", "nba-lal-bos": "Lakers vs Celtics · LAL",
         "tok-btc": "BTC above 100k on Friday? · No"}


def portfolio() -> Portfolio:
    p = Portfolio()
    p.apply(Balance(feed="user", venue="clob", cash=1_234_560_000, timestamp=NOW_MS))
    p.apply(Balance(feed="us-private", venue="us", currency="USD", cash=250_000_000,
                    timestamp=NOW_MS))
    p.apply(Position(feed="user", venue="clob", asset_id="tok-fed", market="0xfed",
                     size=100_000_000, avg_price=420_000, timestamp=NOW_MS))
    p.apply(Position(feed="us-private", venue="us", asset_id="nba-lal-bos", size=20_000_000,
                     avg_price=550_000, realized_pnl=1_500_000, timestamp=NOW_MS))
    p.apply(OrderEvent(feed="user", venue="clob", order_id="0xo1", market="0xfed",
                       asset_id="tok-fed", side="BUY", price=410_000, original_size=50_000_000,
                       size_matched=10_000_000, status="LIVE", kind="UPDATE", timestamp=NOW_MS))
    p.apply(OrderEvent(feed="us-private", venue="us", order_id="us-77", market="nba-lal-bos",
                       asset_id="nba-lal-bos", side="SELL", price=610_000,
                       original_size=5_000_000, status="OPEN", kind="PLACEMENT",
                       timestamp=NOW_MS))
    p.apply(Fill(feed="user", venue="clob", trade_id="t1", order_id="0xo1", market="0xfed",
                 asset_id="tok-fed", side="BUY", price=410_000, size=10_000_000,
                 status="MINED", role="maker", timestamp=NOW_MS))
    p.apply(Fill(feed="user", venue="clob", trade_id="t2", order_id="0xo9", market="0xbtc",
                 asset_id="tok-btc", side="SELL", price=130_000, size=7_000_000,
                 status="FAILED", timestamp=NOW_MS))
    p.apply(Fill(feed="us-private", venue="us", trade_id="x9", order_id="us-70",
                 market="nba-lal-bos", asset_id="nba-lal-bos", side="BUY", price=550_000,
                 size=2_000_000, status="FILLED", timestamp=NOW_MS))
    p.mark("tok-fed", 455_000)
    p.mark("nba-lal-bos", 600_000)
    p.take_notices()
    return p


class AccountApp(HarnessApp):
    """One AccountPanel (id ``account``) showing ``view``."""

    def __init__(self, view: AccountView) -> None:
        super().__init__()
        self.view = view
        self.toggles = 0

    def compose(self) -> ComposeResult:
        yield AccountPanel(id="account")

    def on_mount(self) -> None:
        self.query_one(AccountPanel).update_view(self.view)

    def on_account_panel_privacy_toggled(self, message: AccountPanel.PrivacyToggled) -> None:
        self.toggles += 1


def fixed_view(private: bool = False) -> AccountView:
    return account_view(portfolio(), names=NAMES, private=private)
