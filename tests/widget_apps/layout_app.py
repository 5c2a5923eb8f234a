"""The whole stylesheet with every widget in place, fed fixed data (no App logic, no I/O)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical

from pmdash.widgets._screen import DashboardScreen
from pmdash.widgets.footer import KeyFooter
from pmdash.widgets.help_screen import HelpScreen
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_header import MarketHeader
from pmdash.widgets.market_list import MarketList
from pmdash.widgets.status_bar import FeedStatusBar
from pmdash.widgets.tape import TapeView
from widget_apps import header_app, ladder_app, market_list_app, status_app, tape_app
from widget_apps.base import HarnessApp


class LayoutApp(HarnessApp):
    """The layout ids the real App uses: #body, #markets, #main, #header, #book-row, #ladder,
    #tape, #status above the footer (the App's ``KeyFooter``); the
    dashboard screen's width classes, which the stylesheet lays the panels out by."""

    HORIZONTAL_BREAKPOINTS = DashboardScreen.HORIZONTAL_BREAKPOINTS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("o", "noop", "Flip"),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield MarketList(id="markets")
            with Vertical(id="main"):
                yield MarketHeader(id="header")
                with Horizontal(id="book-row"):
                    yield BookLadder(id="ladder")
                    yield TapeView(id="tape")
        yield FeedStatusBar(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        markets = self.query_one(MarketList)
        markets.update_markets(market_list_app.ROWS)
        markets.focus()
        self.query_one(MarketHeader).update_header(header_app.LIVE)
        self.query_one(BookLadder).update_book(ladder_app.LIVE)
        self.query_one(TapeView).update_trades(tape_app.trades(40), 10_000)
        self.query_one(FeedStatusBar).update_statuses(
            status_app.STATUSES[:3], status_app.NOW, screen_latency_ms=12.5
        )

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_noop(self) -> None:
        """The real App flips the outcome; the harness only shows the key in the Footer."""
