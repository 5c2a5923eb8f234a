"""The account panel group: your orders, fills, positions and cash on both venues.

One group for the shared account (``state.account.AccountState``): whichever private feed
(the CLOB ``user`` feed, Polymarket US ``us-private``) is registered first makes it, the other
makes none. It builds the frozen ``AccountView`` here (markets named from the market slice when
it knows them) and pushes it into the ``AccountPanel`` only when an ``account:`` key is dirty;
each notice (an order filled, partly or fully; a fill failed) becomes a toast. ``m`` hides the
money amounts (and shows them again) from anywhere; ``a`` shows the group where the layout
hides it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget

from pmdash.state.account import PREFIX, AccountState
from pmdash.state.market import MarketState
from pmdash.state.store import Dirty, Store
from pmdash.widgets.account import AccountPanel
from pmdash.widgets.account_data import account_view
from pmdash.widgets.group import Place


class AccountGroup(Vertical):
    """The account panel (see the module docstring)."""

    place: Place = "side"
    key = "a"
    title = "Account"
    KEYS = [Binding("m", "toggle_private", "Hide money", show=False)]

    def __init__(self, store: Store) -> None:
        super().__init__(id="account-group")
        self.account = store.slice(AccountState)
        self.market = store.find(MarketState)
        self.private = False
        self.panel = AccountPanel(id="account")

    def compose(self) -> ComposeResult:
        yield self.panel

    def on_mount(self) -> None:
        self.border_title = self.title

    def flush(self, dirty: Dirty, now: float) -> None:
        if any(key.startswith(PREFIX) for key in dirty.slices):
            self.show_all()

    def show_all(self) -> None:
        portfolio = self.account.portfolio
        self.panel.update_view(account_view(portfolio, names=self._names(),
                                            private=self.private))
        notices = portfolio.take_notices()
        if notices:
            self.panel.notify_fills(notices)

    def focus_stops(self) -> list[Widget | None]:
        return [self.panel.query_one("#account-orders")]

    def _names(self) -> dict[str, str]:
        """Asset id -> "question · outcome" for the assets the account holds."""
        market = self.market
        if market is None:
            return {}
        p = self.account.portfolio
        assets = {o.asset_id for o in p.orders.values()} | {a for _, a in p.positions} | {
            r.fill.asset_id for r in p.fills.values()}
        names: dict[str, str] = {}
        for asset in assets:
            info = market.market_of(asset) if asset else None
            if info is not None:
                outcome = info.outcome_of(asset)
                names[asset] = f"{info.question} · {outcome}" if outcome else info.question
        return names

    def action_toggle_private(self) -> None:
        self.private = not self.private
        self.show_all()

    def on_account_panel_privacy_toggled(self, message: AccountPanel.PrivacyToggled) -> None:
        message.stop()
        self.action_toggle_private()
