"""Price board and chart harnesses: fixed series built through the real PriceBoard."""

from __future__ import annotations

import math
from decimal import Decimal

from textual.app import ComposeResult

from pmdash.models import FeedStatus, PriceKind, PriceTick
from pmdash.state.prices import PriceBoard
from pmdash.strike import parse_strike
from pmdash.widgets.price_board import PriceBoardView
from pmdash.widgets.price_chart import PriceChart
from pmdash.widgets.price_data import PriceBoardData, PriceChartData, board_data, chart_data
from widget_apps.base import NOW_MS, HarnessApp

STRIKE = parse_strike("Will the price of Bitcoin be above $98,500 on January 2?")


def _tick(feed: str, source: str, symbol: str, kind: PriceKind, ts: int, value: Decimal,
          channel: str) -> PriceTick:
    return PriceTick(feed=feed, source=source, symbol=symbol, kind=kind, channel=channel,
                     value=value, timestamp=ts, window_s=60 if kind == "twap" else None)


def polybolt_board() -> PriceBoard:
    """Five minutes of BTC, ETH and SOL, one point a second; SOL's Chainlink TWAP stopped 40 s
    ago (a pause between rounds)."""
    board = PriceBoard(clock=lambda: NOW_MS)
    starts = {"btcusd": 98_250.0, "ethusd": 3_412.5, "solusd": 187.25}
    for symbol, start in starts.items():
        spots: list[float] = []
        for i in range(300):
            ts = NOW_MS - (299 - i) * 1000
            spot = start * (1 + 0.002 * math.sin(i / 23) + 0.0008 * math.sin(i / 3.7)
                            + 0.00001 * i)
            spots.append(spot)
            board.apply(_tick("polybolt", "pyth", symbol, "spot", ts,
                              Decimal(f"{spot:.8f}"), "price.crypto"))
            if symbol == "solusd" and i > 259:
                continue
            window = spots[-60:]
            twap = sum(window) / len(window)
            board.apply(_tick("polybolt", "chainlink", symbol, "twap", ts,
                              Decimal(f"{twap:.12f}"), "price.crypto.twap"))
    return board


def rtds_board() -> PriceBoard:
    """RTDS: Binance and Chainlink spot for BTC, then silence for 45 s on a live socket."""
    board = PriceBoard(feeds=("rtds",), clock=lambda: NOW_MS - 45_000)
    board.apply(FeedStatus(feed="rtds", state="live"))
    for i in range(60):
        ts = NOW_MS - 45_000 - (59 - i) * 1000
        value = Decimal(98_000 + 12 * i)
        board.apply(_tick("rtds", "binance", "btcusd", "spot", ts, value, "crypto_prices"))
        board.apply(_tick("rtds", "chainlink", "btcusd", "spot", ts, value - 7,
                          "crypto_prices_chainlink"))
    return board


def board_view(board: PriceBoard, title: str = "prices · PolyBolt") -> PriceBoardData:
    return board_data(board, NOW_MS, selected="btcusd", strike=STRIKE, title=title)


def chart_view(board: PriceBoard) -> PriceChartData:
    return chart_data(board, "btcusd", NOW_MS, minutes=5, strike=STRIKE)


class PriceBoardApp(HarnessApp):
    def __init__(self, data: PriceBoardData | None) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        yield PriceBoardView(id="prices")

    def on_mount(self) -> None:
        self.query_one(PriceBoardView).update_board(self.data)


class PriceChartApp(HarnessApp):
    def __init__(self, data: PriceChartData | None) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        yield PriceChart(id="chart")

    def on_mount(self) -> None:
        self.query_one(PriceChart).update_chart(self.data)
