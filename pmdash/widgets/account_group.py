"""The account's panel group: your orders, fills, positions and cash (both venues).

It reads the Store's shared account slice (``state.account``), and the market feed's markets
when they are in the same Store (to show the markets you trade by name, and, through the
controllers' marks, P&L against the live mid), and pushes frozen view data
(``widgets.account_data.account_view``) into the one ``AccountPanel``, only when what it shows
changed. Fills become toasts (an order filled, partly or fully; a fill failed), at most one
every ``TOAST_EVERY_S`` (a busy account's notices wait and go in one toast, newest first).
``m`` hides (and shows again) every money amount: cash, cost and P&L.

The group goes in the right-hand column (``side``); narrower than that, ``a`` shows it in place
of the market panels.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget

from pmdash.state.account import ACCOUNT_KEYS, AccountState
from pmdash.state.market import MARKETS, MarketState
from pmdash.state.store import Dirty, Store
from pmdash.widgets.account import AccountPanel
from pmdash.widgets.account_data import NAME_CHARS, AccountView, account_view
from pmdash.widgets.group import Place

TOAST_EVERY_S = 3.0
"""At most one fill toast this often: a busy account's fills are gathered into the next one."""
TOAST_LINES = 3
"""Notices one toast shows (the newest; it counts the others)."""
MAX_PENDING = 200
OTHER_COLUMNS = 62
"""Columns the widest table (positions) takes besides the market name: a narrow panel (the
right-hand column) cuts names to what is left, at least ``NARROW_NAME``, so side, price and
size stay in view."""
NARROW_NAME = 16


def market_names(market: MarketState | None) -> dict[str, str]:
    """Token id -> "question · outcome", and condition id -> question, of the markets the
    market feed knows."""
    names: dict[str, str] = {}
    if market is None:
        return names
    for info in market.markets.values():
        names[info.condition_id] = info.question
        for token, outcome in zip(info.token_ids, info.outcomes, strict=False):
            names[token] = f"{info.question} · {outcome}"
    return names


class AccountGroup(Vertical):
    """The account panel (a ``PanelGroup``)."""

    place: Place = "side"
    key = "a"
    title = "Account"
    KEYS = [Binding("m", "toggle_private", "Hide money", show=False)]
    """``m`` works from anywhere; the group's subtitle says so (the footer is kept for the keys
    that move around)."""

    def __init__(self, store: Store, *, private: bool = False) -> None:
        super().__init__(id="account-group")
        self.store = store
        self.account = store.slice(AccountState)
        self.private = private
        self._names: dict[str, str] = {}
        self._shown: AccountView | None = None
        self._pending: list[str] = []
        self._toasted_at: float | None = None

    def compose(self) -> ComposeResult:
        yield AccountPanel(id="account")

    def on_mount(self) -> None:
        self.border_title = self.title
        self.border_subtitle = "m hides money"

    @property
    def panel(self) -> AccountPanel:
        return self.query_one(AccountPanel)

    # --- the PanelGroup protocol -------------------------------------------------------------

    def flush(self, dirty: Dirty, now: float) -> None:
        keys = dirty.slices
        if MARKETS in keys:
            self._names = market_names(self.store.find(MarketState))
        if MARKETS in keys or not keys.isdisjoint(ACCOUNT_KEYS):
            self._push()
        self._toast(now)

    def show_all(self) -> None:
        self._names = market_names(self.store.find(MarketState))
        self._push()

    def focus_stops(self) -> list[Widget | None]:
        return []

    def on_resize(self) -> None:
        """Names take the room there is (the column, or the whole body on ``a``)."""
        self._push()

    # --- keys --------------------------------------------------------------------------------

    def action_toggle_private(self) -> None:
        self.private = not self.private
        self._push()

    def on_account_panel_privacy_toggled(self, message: AccountPanel.PrivacyToggled) -> None:
        message.stop()
        self.action_toggle_private()

    def _toast(self, now: float) -> None:
        """One toast for the fills noticed since the last (see ``TOAST_EVERY_S``)."""
        self._pending.extend(self.account.take_notices())
        del self._pending[:-MAX_PENDING]
        if not self._pending:
            return
        if self._toasted_at is not None and now - self._toasted_at < TOAST_EVERY_S:
            return
        newest = self._pending[::-1][:TOAST_LINES]
        more = len(self._pending) - len(newest)
        text = "\n".join(newest) + (f"\n… and {more} more" if more else "")
        self._pending.clear()
        self._toasted_at = now
        self.panel.notify_fills([text])

    # --- view ---------------------------------------------------------------------------------

    def _push(self) -> None:
        width = self.size.width
        if not width:  # not laid out yet: ``on_resize`` pushes (a table's columns never narrow)
            return
        chars = max(NARROW_NAME, min(NAME_CHARS, width - OTHER_COLUMNS))
        view = account_view(self.account.portfolio, names=self._names, private=self.private,
                            name_chars=chars)
        if view != self._shown:
            self._shown = view
            self.panel.update_view(view)
            self.border_subtitle = "money hidden · m shows" if self.private else "m hides money"
