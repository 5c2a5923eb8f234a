"""Portfolio: orders and fills by key, positions moved by settled fills (average cost, realised
and unrealised P&L), cash, notices, and a REST reconcile that never duplicates."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pmdash.models import Balance, Fill, OrderEvent, Position
from pmdash.state.portfolio import TAKES, Portfolio


def order(oid: str = "o1", venue: Any = "clob", **kw: Any) -> OrderEvent:
    base: dict[str, Any] = dict(feed="user", venue=venue, order_id=oid, market="m",
                                asset_id="A", side="BUY", price=400_000,
                                original_size=10_000_000, status="LIVE", kind="PLACEMENT",
                                timestamp=1)
    base.update(kw)
    return OrderEvent(**base)


def fill(tid: str = "t1", status: str = "MATCHED", venue: Any = "clob", **kw: Any) -> Fill:
    base: dict[str, Any] = dict(feed="user", venue=venue, trade_id=tid, order_id="o1",
                                market="m", asset_id="A", side="BUY", price=400_000,
                                size=10_000_000, status=status, timestamp=2)
    base.update(kw)
    return Fill(**base)


def test_declares_what_it_takes() -> None:
    assert set(TAKES) == {OrderEvent, Fill, Position, Balance}


def test_orders_keyed_by_venue_and_id() -> None:
    p = Portfolio()
    assert p.apply(order()) == {"orders"}
    p.apply(order(venue="us"))
    p.apply(order(size_matched=4_000_000, kind="UPDATE"))
    assert len(p.open_orders()) == 2
    assert p.orders[("clob", "o1")].size_matched == 4_000_000
    p.apply(order(status="CANCELED", kind="CANCELLATION"))
    assert [o.venue for o in p.open_orders()] == ["us"]


def test_fill_lifecycle_moves_position_and_cash_once_confirmed() -> None:
    p = Portfolio()
    p.apply(Balance(feed="user", venue="clob", cash=100_000_000, timestamp=0))
    p.apply(order())
    for status in ("MATCHED", "MINED", "MINED", "CONFIRMED", "CONFIRMED"):
        p.apply(fill(status=status))
    record = p.fills[("clob", "t1", "o1")]
    assert record.history == ("MATCHED", "MINED", "CONFIRMED")
    h = p.positions[("clob", "A")]
    assert (h.size, h.avg_price, h.cost, h.realized) == (10_000_000, 400_000, 4_000_000, 0)
    assert p.cash["clob"].cash == 96_000_000
    p.mark("A", 500_000)
    assert h.unrealized(p.marks["A"]) == 1_000_000
    notices = p.take_notices()
    assert notices == ["CLOB order filled: BUY 10.00 @ 0.40 (MATCHED)"]


def test_failed_fill_never_moves_the_position_and_says_so() -> None:
    p = Portfolio()
    for status in ("MATCHED", "RETRYING", "FAILED", "CONFIRMED"):
        p.apply(fill(status=status))
    record = p.fills[("clob", "t1", "o1")]
    assert record.fill.status == "FAILED"
    assert record.history == ("MATCHED", "RETRYING", "FAILED", "CONFIRMED")
    assert ("clob", "A") not in p.positions
    assert any("FAILED" in n for n in p.take_notices())


def test_selling_realises_pnl_at_average_cost() -> None:
    p = Portfolio()
    p.apply(Position(feed="user", venue="clob", asset_id="A", size=10_000_000,
                     avg_price=400_000, timestamp=0))
    p.apply(fill("t2", "CONFIRMED", side="BUY", price=600_000, size=10_000_000))
    h = p.positions[("clob", "A")]
    assert (h.size, h.avg_price) == (20_000_000, 500_000)
    p.apply(fill("t3", "CONFIRMED", side="SELL", price=700_000, size=5_000_000))
    h = p.positions[("clob", "A")]
    assert (h.size, h.cost, h.realized) == (15_000_000, 7_500_000, 1_000_000)
    assert h.unrealized(500_000) == 0


def test_us_fills_settle_at_once() -> None:
    p = Portfolio()
    p.apply(fill(venue="us", status="FILLED"))
    assert p.positions[("us", "A")].size == 10_000_000


def test_partly_filled_notice() -> None:
    p = Portfolio()
    p.apply(order())
    p.apply(fill(size=4_000_000))
    assert p.take_notices() == ["CLOB order partly filled: BUY 4.00 @ 0.40 (MATCHED)"]


def test_reconcile_merges_without_duplicates() -> None:
    p = Portfolio()
    p.apply(Balance(feed="user", venue="clob", cash=50_000_000, timestamp=0))
    p.apply(order("o1"))
    p.apply(order("o2"))
    p.apply(fill("t1", "MATCHED", order_id="o1"))
    # While the socket was down: o1 filled fully and confirmed, o2 cancelled, o3 placed.
    dirty = p.reconcile(
        "clob",
        orders=[order("o3")],
        fills=[fill("t1", "CONFIRMED", order_id="o1")],
        positions=[Position(feed="user", venue="clob", asset_id="A", size=10_000_000,
                            avg_price=400_000, timestamp=5)],
        balance=Balance(feed="user", venue="clob", cash=46_000_000, timestamp=5),
    )
    assert dirty == {"orders", "fills", "positions", "cash"}
    assert [o.order_id for o in p.open_orders()] == ["o3"]
    assert p.orders[("clob", "o1")].status == "MATCHED"
    assert p.orders[("clob", "o2")].status == "CANCELED"
    assert list(p.fills) == [("clob", "t1", "o1")]
    assert p.fills[("clob", "t1", "o1")].history == ("MATCHED", "CONFIRMED")
    assert p.positions[("clob", "A")].size == 10_000_000  # not counted twice
    assert p.cash["clob"].cash == 46_000_000
    p.reconcile("clob", fills=[fill("t1", "CONFIRMED", order_id="o1")])
    assert p.positions[("clob", "A")].size == 10_000_000


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["BUY", "SELL"]), st.integers(1, 20),
                          st.integers(1, 99)), max_size=15))
def test_position_size_is_the_sum_of_confirmed_fills(trades: list[tuple[str, int, int]]) -> None:
    p = Portfolio()
    p.apply(Balance(feed="user", venue="clob", cash=0, timestamp=0))
    expected_size = 0
    expected_cash = 0
    for i, (side, size, cents) in enumerate(trades):
        p.apply(fill(f"t{i}", "MATCHED", side=side, size=size * 1_000_000,
                     price=cents * 10_000))
        p.apply(fill(f"t{i}", "CONFIRMED", side=side, size=size * 1_000_000,
                     price=cents * 10_000))
        expected_size += size * 1_000_000 if side == "BUY" else -size * 1_000_000
        expected_cash += (-1 if side == "BUY" else 1) * size * cents * 10_000
    held = p.positions.get(("clob", "A"))
    assert (held.size if held else 0) == expected_size
    assert p.cash["clob"].cash == expected_cash
