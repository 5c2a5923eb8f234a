"""MarketHeader harness: a live market and a resolved one."""

from __future__ import annotations

from textual.app import ComposeResult

from pmdash.widgets.data import HeaderData
from pmdash.widgets.market_header import MarketHeader
from widget_apps.base import HarnessApp

LIVE = HeaderData(
    question="Will the Fed cut interest rates at the March 2026 meeting?",
    slug="fed-cut-march-2026",
    outcome="Yes",
    best_bid=490_000,
    best_ask=510_000,
    spread=20_000,
    mid=500_000,
    last_trade_price=500_000,
    last_trade_side="BUY",
    tick=10_000,
    book_state="live",
    heals=0,
)
RESOLVED = HeaderData(
    question="Will Bitcoin close above $100k on December 31, 2025?",
    slug="btc-above-100k-dec-31",
    outcome="No",
    best_bid=None,
    best_ask=None,
    spread=None,
    mid=None,
    last_trade_price=999_000,
    last_trade_side="SELL",
    tick=1_000,
    resolved="No",
    book_state="desynced",
    heals=2,
)


class HeaderApp(HarnessApp):
    """One MarketHeader (id ``header``) showing ``data``."""

    def __init__(self, data: HeaderData | None) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        yield MarketHeader(id="header")

    def on_mount(self) -> None:
        self.query_one(MarketHeader).update_header(self.data)
