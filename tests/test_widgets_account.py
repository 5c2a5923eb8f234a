"""The account panel: both venues with a venue column, money hidden on request, keyed-diff
updates that keep unchanged rows, and a toast when an order fills or a fill fails."""

from __future__ import annotations

from widget_apps.account_app import NAMES, AccountApp, fixed_view, portfolio

from pmdash.models import Fill
from pmdash.widgets.account import AccountPanel, AccountTable
from pmdash.widgets.account_data import HIDDEN, account_view


def test_account_panel_both_venues(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Cash line "CLOB cash $1,234.56  US cash $248.90" (the US fill settled at once: $1.10
    paid); open orders CLOB Fed BUY 0.41 50.00 filled 10.00 LIVE and US Lakers SELL 0.61 5.00
    OPEN; fills CLOB Fed MINED maker, CLOB BTC FAILED, US Lakers FILLED; positions CLOB Fed
    100.00 (the MINED fill is not counted yet) avg 0.42 cost $42.00 mark 0.455 unreal. $3.50,
    US Lakers 22.00 avg 0.55 cost $12.10 mark 0.60 unreal. $1.10 real. $1.50. Markets by name."""
    assert snap_compare(AccountApp(fixed_view()), terminal_size=(110, 30))


def test_account_panel_private(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The same panel with every money amount (cash, cost, P&L) shown as •••."""
    assert snap_compare(AccountApp(fixed_view(private=True)), terminal_size=(110, 30))


def test_private_view_hides_money_only() -> None:
    view = fixed_view(private=True)
    assert view.cash == f"CLOB cash {HIDDEN}  US cash {HIDDEN}"
    for row in view.positions:
        assert row.cells[4] == row.cells[6] == row.cells[7] == HIDDEN
        assert row.cells[2] != HIDDEN  # share sizes stay
    names = {row.cells[1] for row in view.orders}
    assert names == {NAMES["tok-fed"], NAMES["nba-lal-bos"]}


async def test_keyed_diff_updates_only_what_changed() -> None:
    p = portfolio()
    app = AccountApp(account_view(p, names=NAMES))
    async with app.run_test(size=(110, 30)) as pilot:
        panel = app.query_one(AccountPanel)
        orders = app.query_one("#account-orders", AccountTable)
        fills = app.query_one("#account-fills", AccountTable)
        assert orders.row_count == 2 and fills.row_count == 3
        first_key = orders.coordinate_to_cell_key((0, 0)).row_key
        p.apply(Fill(feed="user", venue="clob", trade_id="t1", order_id="0xo1", market="0xfed",
                     asset_id="tok-fed", side="BUY", price=410_000, size=10_000_000,
                     status="CONFIRMED", role="maker", timestamp=2))
        p.apply(Fill(feed="user", venue="clob", trade_id="t3", order_id="0xo1", market="0xfed",
                     asset_id="tok-fed", side="BUY", price=410_000, size=40_000_000,
                     status="MATCHED", role="maker", timestamp=3))
        panel.update_view(account_view(p, names=NAMES))
        await pilot.pause()
        assert fills.row_count == 4
        assert fills.get_row("clob:t1:0xo1")[-1] == "CONFIRMED"
        assert orders.coordinate_to_cell_key((0, 0)).row_key == first_key  # kept in place
        positions = app.query_one("#account-positions", AccountTable)
        assert positions.get_row("clob:tok-fed")[2] == "110.00"  # the confirmed fill moved it


async def test_a_fill_shows_a_toast_and_moves_the_position() -> None:
    p = portfolio()
    app = AccountApp(account_view(p, names=NAMES))
    async with app.run_test(size=(110, 30), notifications=True) as pilot:
        panel = app.query_one(AccountPanel)
        p.apply(Fill(feed="user", venue="clob", trade_id="t7", order_id="0xo1", market="0xfed",
                     asset_id="tok-fed", side="BUY", price=410_000, size=40_000_000,
                     status="CONFIRMED", role="maker", timestamp=5))
        panel.update_view(account_view(p, names=NAMES))
        panel.notify_fills(p.take_notices())
        await pilot.pause(0.1)
        toasts = [str(t.render()) for t in app.screen.query("Toast")]
        assert any("order filled" in t and "40.00" in t for t in toasts), toasts
        row = app.query_one("#account-positions", AccountTable).get_row("clob:tok-fed")
        assert row[2] == "140.00"
        app.query_one("#account-orders", AccountTable).focus()
        await pilot.press("m")
        await pilot.pause()
        assert app.toggles == 1
