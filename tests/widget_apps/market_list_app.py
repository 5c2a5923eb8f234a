"""MarketList harness: five markets; records every MarketSelected it receives."""

from __future__ import annotations

from textual.app import ComposeResult

from pmdash.widgets.data import MarketRow
from pmdash.widgets.market_list import MarketList
from widget_apps.base import HarnessApp

ROWS = [
    MarketRow("0xaaa", "Will the Fed cut rates in March 2026?", 490_000, 510_000, 500_000),
    MarketRow("0xbbb", "Will Bitcoin close above $100k on Dec 31?", None, None, 999_000, True),
    MarketRow("0xccc", "Ethereum above $5k by June?", 120_000, 130_000, 125_000),
    MarketRow("0xddd", "Will it snow in Paris on Christmas Day?", 31_000, 34_000, None, tick=1_000),
    MarketRow("0xeee", "Lakers win the NBA title?", 80_000, 90_000, 80_000),
]


class MarketListApp(HarnessApp):
    """One MarketList (id ``markets``), focused, holding ``rows``."""

    def __init__(self, rows: list[MarketRow]) -> None:
        super().__init__()
        self.rows = rows
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield MarketList(id="markets")

    def on_mount(self) -> None:
        markets = self.query_one(MarketList)
        markets.update_markets(self.rows)
        markets.focus()

    def on_market_list_market_selected(self, message: MarketList.MarketSelected) -> None:
        self.selected.append(message.condition_id)
