"""The account panel: open orders, recent fills, positions with P&L and cash, both venues.

A view of ``AccountView`` (``account_data.py``), pushed in with ``update_view``. Each table is
updated by a keyed diff, as dolphie's processlist does: rows whose key went away are removed,
new keys added, and of the rows kept only the cells that changed are rewritten (never
``update_width=True``), all inside one ``batch_update()``. ``notify_fills`` shows a toast for
each notice (an order filled, partly or fully; a fill failed).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from pmdash.printable import printable
from pmdash.widgets.account_data import (
    FILL_COLUMNS,
    ORDER_COLUMNS,
    POSITION_COLUMNS,
    AccountView,
    Row,
)


class AccountTable(DataTable[str]):
    """A DataTable fed whole row sets and applying only their differences."""

    def __init__(self, columns: Sequence[str], *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, show_cursor=False)
        self._columns = tuple(columns)
        self._shown: dict[str, tuple[str, ...]] = {}

    def on_mount(self) -> None:
        for name in self._columns:
            self.add_column(name, key=name)

    def show_rows(self, rows: Sequence[Row]) -> None:
        # A str cell is Rich markup to a DataTable: market names and statuses are server text
        # ("[/]" in one raised MarkupError while drawing), so each is escaped.
        wanted = {row.key: tuple(escape(cell) for cell in row.cells) for row in rows}
        for key in [k for k in self._shown if k not in wanted]:
            self.remove_row(key)
            del self._shown[key]
        for key, cells in wanted.items():
            old = self._shown.get(key)
            if old is None:
                self.add_row(*cells, key=key)
            elif old != cells:
                for name, before, after in zip(self._columns, old, cells, strict=True):
                    if before != after:
                        self.update_cell(key, name, after)
            self._shown[key] = cells


class AccountPanel(Vertical):
    """Cash line, then the orders, fills and positions tables. ``m`` asks (a
    ``PrivacyToggled`` message up) for money amounts to be hidden or shown again."""

    BINDINGS = [Binding("m", "toggle_private", "Hide money")]

    class PrivacyToggled(Message):
        """The user asked to hide (or show again) money amounts."""

    DEFAULT_CSS = """
    AccountPanel { height: 1fr; }
    AccountPanel > .account-title { color: $text-muted; height: 1; }
    AccountPanel > #account-cash { height: 1; color: $text-primary; }
    AccountPanel > AccountTable { height: auto; max-height: 10; }
    """

    def compose(self) -> ComposeResult:
        yield Static("cash -", id="account-cash")
        yield Static("Open orders", classes="account-title")
        yield AccountTable(ORDER_COLUMNS, id="account-orders")
        yield Static("Recent fills", classes="account-title")
        yield AccountTable(FILL_COLUMNS, id="account-fills")
        yield Static("Positions", classes="account-title")
        yield AccountTable(POSITION_COLUMNS, id="account-positions")

    def update_view(self, view: AccountView) -> None:
        with self.app.batch_update():
            self.query_one("#account-cash", Static).update(view.cash)
            self.query_one("#account-orders", AccountTable).show_rows(view.orders)
            self.query_one("#account-fills", AccountTable).show_rows(view.fills)
            self.query_one("#account-positions", AccountTable).show_rows(view.positions)
        self.border_subtitle = "private" if view.private else ""

    def action_toggle_private(self) -> None:
        self.post_message(self.PrivacyToggled())

    def notify_fills(self, notices: Sequence[str]) -> None:
        for notice in notices:
            # A fill's status is the server's text: shown as text (printable, no markup), so
            # ``[link=...]`` or an escape sequence in it is not acted on.
            shown = printable(notice)
            if "FAILED" in notice:
                self.notify(shown, title="Account", severity="error", timeout=6, markup=False)
            else:
                self.notify(shown, title="Account", timeout=6, markup=False)
