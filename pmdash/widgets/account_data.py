"""The account panel's view data: built from a ``Portfolio`` by a pure function, outside any
widget (no textual import here).

``account_view(portfolio, names=..., private=...)`` gives keyed rows of text cells for open
orders, recent fills (newest last) and positions, and one cash line, for both venues (a venue
column). Markets are shown by name (``names``: asset or condition id -> label, e.g. the
question and outcome; else the position's title; else a shortened id). ``private`` hides every
money amount (cash, cost, P&L) as ``•••``; prices and share sizes stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pmdash.printable import printable
from pmdash.state.portfolio import Portfolio
from pmdash.units import SCALE, fmt_price, fmt_size

HIDDEN = "•••"
RECENT_FILLS = 20
NAME_CHARS = 36

ORDER_COLUMNS = ("Venue", "Market", "Side", "Price", "Size", "Filled", "Status")
FILL_COLUMNS = ("Venue", "Market", "Side", "Price", "Size", "Role", "Status")
POSITION_COLUMNS = ("Venue", "Market", "Size", "Avg", "Cost", "Mark", "Unreal.", "Real.")


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountView:
    orders: tuple[Row, ...] = ()
    fills: tuple[Row, ...] = ()
    positions: tuple[Row, ...] = ()
    cash: str = "cash -"
    private: bool = False


def money(units: int | None, private: bool) -> str:
    """Micro-dollars as ``$1,234.56`` / ``-$0.40``; ``•••`` when private, ``-`` when unknown."""
    if private:
        return HIDDEN
    if units is None:
        return "-"
    sign = "-" if units < 0 else ""
    return f"{sign}${abs(units) / SCALE:,.2f}"


def _short(text: str) -> str:
    return text if len(text) <= 14 else f"{text[:6]}…{text[-6:]}"


def _name(names: Mapping[str, str], *ids_and_fallback: str) -> str:
    *ids, fallback = ids_and_fallback
    for key in ids:
        if key and key in names:
            label = names[key]
            break
    else:
        label = fallback or _short(next((k for k in ids if k), "?"))
    label = printable(label)
    return label if len(label) <= NAME_CHARS else label[: NAME_CHARS - 1] + "…"


def account_view(
    portfolio: Portfolio,
    *,
    names: Mapping[str, str] | None = None,
    private: bool = False,
    recent_fills: int = RECENT_FILLS,
) -> AccountView:
    names = names or {}
    orders = tuple(
        Row(
            f"{o.venue}:{o.order_id}",
            (o.venue.upper(), _name(names, o.asset_id, o.market, o.outcome), o.side,
             fmt_price(o.price), fmt_size(o.original_size), fmt_size(o.size_matched),
             printable(o.status)),
        )
        for o in portfolio.open_orders()
    )
    records = list(portfolio.fills.items())[-recent_fills:]
    fills = tuple(
        Row(
            f"{venue}:{trade_id}:{order_id}",
            (venue.upper(), _name(names, r.fill.asset_id, r.fill.market, r.fill.outcome),
             r.fill.side, fmt_price(r.fill.price), fmt_size(r.fill.size), r.fill.role,
             printable(r.fill.status)),
        )
        for (venue, trade_id, order_id), r in records
    )
    positions = []
    for (venue, asset_id), h in portfolio.positions.items():
        if h.size == 0 and h.realized == 0:
            continue
        mark = portfolio.marks.get(asset_id)
        positions.append(Row(
            f"{venue}:{asset_id}",
            (venue.upper(), _name(names, asset_id, h.market, h.title), fmt_size(h.size),
             fmt_price(h.avg_price) if h.size else "-", money(h.cost, private),
             fmt_price(mark), money(h.unrealized(mark), private), money(h.realized, private)),
        ))
    cash = "  ".join(f"{venue.upper()} cash {money(b.cash, private)}"
                     for venue, b in sorted(portfolio.cash.items())) or "cash -"
    return AccountView(orders, fills, tuple(positions), cash, private)
