"""OrderBook: a property test against a plain reference model, plus unit tests."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmdash.models import BookSnapshot, Trade
from pmdash.state.book import OrderBook

ASSET = "71321045679252212594626385532706912750332728571942532289631379312455583992563"


def snapshot(
    bids: list[tuple[int, int]],
    asks: list[tuple[int, int]],
    *,
    hash: str = "",
    timestamp: int = 1,
    tick_size: int | None = None,
    last_trade_price: int | None = None,
) -> BookSnapshot:
    return BookSnapshot(
        feed="market",
        asset_id=ASSET,
        market="0xabc",
        bids=tuple(bids),
        asks=tuple(asks),
        timestamp=timestamp,
        hash=hash,
        tick_size=tick_size,
        last_trade_price=last_trade_price,
    )


# --- reference model ----------------------------------------------------------------------


class RefBook:
    """The obvious implementation: a dict per side, sorted() on every read."""

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.tick = 10_000

    def snapshot(self, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> None:
        """Levels applied in order to an empty book: a repeated price's last entry wins."""
        self.bids, self.asks = {}, {}
        for price, size in bids:
            self.change("BUY", price, size)
        for price, size in asks:
            self.change("SELL", price, size)

    def change(self, side: str, price: int, size: int) -> None:
        levels = self.bids if side == "BUY" else self.asks
        if size:
            levels[price] = size
        else:
            levels.pop(price, None)

    def sorted_bids(self) -> list[tuple[int, int]]:
        return sorted(self.bids.items(), reverse=True)

    def sorted_asks(self) -> list[tuple[int, int]]:
        return sorted(self.asks.items())

    def top(self, n: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        def cum(levels: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
            out, total = [], 0
            for price, size in levels:
                total += size
                out.append((price, size, total))
            return out

        return cum(self.sorted_bids()[:n]), cum(self.sorted_asks()[:n])


# Prices on a 0.01 grid, a 0.001 grid, or either (a book whose tick changed keeps old levels).
CENT = st.integers(1, 99).map(lambda k: k * 10_000)
MILLI = st.integers(1, 999).map(lambda k: k * 1_000)
PRICES = st.one_of(CENT, MILLI)
SIZES = st.integers(1, 10**12)
SIZE_OR_ZERO = st.one_of(st.just(0), SIZES)
LEVELS = st.lists(st.tuples(PRICES, SIZE_OR_ZERO), max_size=12)

OPS = st.one_of(
    st.tuples(st.just("snapshot"), LEVELS, LEVELS),
    st.tuples(st.just("set"), st.sampled_from(["BUY", "SELL"]), PRICES, SIZES),
    st.tuples(st.just("remove"), st.sampled_from(["BUY", "SELL"]), PRICES),
    st.tuples(st.just("tick"), st.sampled_from([10_000, 1_000, 100])),
)


def check_same(book: OrderBook, ref: RefBook) -> None:
    bids, asks = ref.sorted_bids(), ref.sorted_asks()
    assert book.best_bid == (bids[0][0] if bids else None)
    assert book.best_ask == (asks[0][0] if asks else None)
    assert book.best_bid_size == (bids[0][1] if bids else None)
    assert book.best_ask_size == (asks[0][1] if asks else None)
    assert book.depth("BUY") == len(bids)
    assert book.depth("SELL") == len(asks)
    assert book.levels("BUY") == bids
    assert book.levels("SELL") == asks
    if bids and asks:
        assert book.spread == asks[0][0] - bids[0][0]
        assert book.mid == (asks[0][0] + bids[0][0]) // 2
        assert book.crossed == (bids[0][0] >= asks[0][0])
    else:
        assert book.spread is None
        assert book.mid is None
        assert book.crossed is False
    for n in (1, 3, 40):
        assert book.top(n) == ref.top(n)
    assert book.tick == ref.tick


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(OPS, min_size=1, max_size=30))
def test_book_matches_reference_after_every_step(ops: list[tuple]) -> None:
    book = OrderBook(ASSET)
    ref = RefBook()
    last_version = book.version
    for op in ops:
        kind = op[0]
        if kind == "snapshot":
            book.apply_snapshot(snapshot(op[1], op[2]))
            ref.snapshot(op[1], op[2])
        elif kind == "set":
            book.apply_change(op[1], op[2], op[3])
            ref.change(op[1], op[2], op[3])
        elif kind == "remove":
            book.apply_change(op[1], op[2], 0)
            ref.change(op[1], op[2], 0)
        else:
            book.set_tick(op[1])
            ref.tick = op[1]
        check_same(book, ref)
        if kind in ("snapshot", "set", "remove"):
            assert book.version > last_version
        last_version = book.version


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["BUY", "SELL"]), MILLI, SIZE_OR_ZERO), max_size=200))
def test_long_delta_runs_keep_sorted_index(changes: list[tuple[str, int, int]]) -> None:
    book = OrderBook(ASSET)
    book.apply_snapshot(snapshot([], []))
    ref = RefBook()
    for side, price, size in changes:
        book.apply_change(side, price, size)
        ref.change(side, price, size)
    check_same(book, ref)


# --- unit tests -----------------------------------------------------------------------------


def test_new_book_is_empty() -> None:
    book = OrderBook(ASSET, "0xabc", tick=1_000)
    assert book.state == "empty"
    assert not book.has_snapshot
    assert book.best_bid is None and book.best_ask is None
    assert book.top(5) == ([], [])
    assert book.tick == 1_000
    assert book.market == "0xabc"


def test_snapshot_replaces_both_sides_and_sorts() -> None:
    book = OrderBook(ASSET)
    book.apply_change("BUY", 100_000, 5)
    # Live order: bids ascending, asks descending (best last); the book must not care.
    book.apply_snapshot(
        snapshot(
            [(610_000, 1_200_000_000), (620_000, 340_500_000)],
            [(650_000, 800_000_000), (640_000, 150_000_000)],
            hash="9e4f",
            timestamp=1790908667676,
            tick_size=1_000,
            last_trade_price=630_000,
        )
    )
    assert book.state == "live"
    assert book.levels("bids") == [(620_000, 340_500_000), (610_000, 1_200_000_000)]
    assert book.levels("asks") == [(640_000, 150_000_000), (650_000, 800_000_000)]
    assert book.hash == "9e4f"
    assert book.timestamp == 1790908667676
    assert book.tick == 1_000
    assert book.last_trade_price == 630_000
    assert book.spread == 20_000
    assert book.mid == 630_000


def test_snapshot_drops_zero_levels_and_keeps_tick_when_absent() -> None:
    book = OrderBook(ASSET, tick=1_000)
    book.apply_snapshot(snapshot([(500_000, 0), (490_000, 7)], [(520_000, 0)]))
    assert book.levels("BUY") == [(490_000, 7)]
    assert book.depth("SELL") == 0
    assert book.tick == 1_000


def test_change_existing_level_keeps_index_and_zero_removes() -> None:
    book = OrderBook(ASSET)
    book.apply_snapshot(snapshot([(500_000, 10), (490_000, 20)], [(510_000, 30)]))
    book.apply_change("BUY", 490_000, 25)
    assert book.levels("BUY") == [(500_000, 10), (490_000, 25)]
    book.apply_change("BUY", 500_000, 0)
    assert book.best_bid == 490_000
    book.apply_change("SELL", 505_000, 1)
    assert book.best_ask == 505_000
    book.apply_change("SELL", 999_000, 0)  # removing an absent level is a no-op
    assert book.depth("SELL") == 2
    assert book.size_at("SELL", 510_000) == 30
    assert book.size_at("BUY", 500_000) == 0


def test_unknown_side_is_rejected() -> None:
    book = OrderBook(ASSET)
    with pytest.raises(ValueError, match="unknown book side"):
        book.apply_change("buy", 500_000, 1)
    with pytest.raises(ValueError):
        book.levels("middle")


def test_top_gives_cumulative_sizes_best_first() -> None:
    book = OrderBook(ASSET)
    book.apply_snapshot(
        snapshot([(480_000, 1), (490_000, 2), (500_000, 3)], [(530_000, 4), (510_000, 5)])
    )
    bids, asks = book.top(2)
    assert bids == [(500_000, 3, 3), (490_000, 2, 5)]
    assert asks == [(510_000, 5, 5), (530_000, 4, 9)]
    assert book.top(0) == ([], [])


def test_mid_rounds_down_half_unit() -> None:
    book = OrderBook(ASSET)
    book.apply_snapshot(snapshot([(500_000, 1)], [(500_003, 1)]))
    assert book.mid == 500_001


def test_crossed_detection() -> None:
    book = OrderBook(ASSET)
    book.apply_snapshot(snapshot([(500_000, 1)], [(510_000, 1)]))
    assert not book.crossed
    book.apply_change("BUY", 510_000, 1)
    assert book.crossed
    assert book.spread == 0


def test_verify_reports_each_side_and_skips_none() -> None:
    book = OrderBook(ASSET)
    book.apply_snapshot(snapshot([(500_000, 1)], [(510_000, 1)]))
    assert book.verify(500_000, 510_000) is None
    assert book.verify(None, None) is None
    assert book.verify(490_000, None) == "best bid 0.5 != server 0.49"
    assert book.verify(None, 520_000) == "best ask 0.51 != server 0.52"
    book.apply_change("SELL", 510_000, 0)
    assert book.verify(None, 510_000) == "best ask none != server 0.51"


def test_desync_stale_and_heal_cycle() -> None:
    book = OrderBook(ASSET)
    assert book.mark_desynced("delta before snapshot") is True
    assert book.mark_desynced("another") is False
    assert book.state == "desynced"
    assert book.desync_reason == "delta before snapshot"
    book.apply_snapshot(snapshot([(500_000, 1)], []))
    assert book.state == "live"
    assert book.heals == 1
    assert book.desync_reason is None

    book.mark_stale("reconnecting")
    assert book.state == "stale" and book.stale
    book.apply_snapshot(snapshot([(500_000, 1)], []))
    assert book.state == "live"
    assert book.heals == 1  # stale by reconnect is not a desync: no heal counted


def test_set_tick_keeps_levels_and_bumps_version_only_on_change() -> None:
    book = OrderBook(ASSET)
    book.apply_snapshot(snapshot([(500_000, 1)], [(510_000, 1)]))
    version = book.version
    book.set_tick(10_000)
    assert book.version == version
    book.set_tick(1_000)
    assert book.tick == 1_000 and book.version == version + 1
    book.apply_change("BUY", 501_000, 2)
    assert book.levels("BUY") == [(501_000, 2), (500_000, 1)]


def test_record_trade_sets_last_trade() -> None:
    book = OrderBook(ASSET)
    trade = Trade(feed="market", asset_id=ASSET, market="0xabc", price=456_000, timestamp=5)
    version = book.version
    book.record_trade(trade)
    assert book.last_trade is trade
    assert book.last_trade_price == 456_000
    assert book.version == version + 1


def test_last_trade_shown_is_the_newest_of_the_trade_seen_and_the_snapshots_field() -> None:
    book = OrderBook(ASSET)
    book.apply_snapshot(snapshot([(450_000, 1)], [(460_000, 1)], last_trade_price=455_000))
    # Traded before we connected: the price from the book, no side known.
    assert (book.last_trade_price, book.last_trade_side) == (455_000, "")
    trade = Trade(
        feed="market", asset_id=ASSET, market="0xabc", price=456_000, side="SELL", timestamp=5
    )
    book.record_trade(trade)
    assert (book.last_trade_price, book.last_trade_side) == (456_000, "SELL")
    book.apply_snapshot(snapshot([(450_000, 1)], [(460_000, 1)], last_trade_price=452_000))
    # A newer trade we only know from the book's field.
    assert (book.last_trade_price, book.last_trade_side) == (452_000, "")


def test_final_book() -> None:
    book = OrderBook(ASSET)
    # No snapshot: final all the same (nothing will come to wait for); it says it had none.
    assert book.mark_final() and book.state == "final" and not book.has_snapshot
    book = OrderBook(ASSET)
    book.apply_snapshot(snapshot([(450_000, 1)], [(460_000, 1)]))
    book.mark_stale("connection lost")
    version = book.version
    assert book.mark_final() and book.state == "final" and book.version > version
    assert not book.mark_final()
    assert not book.mark_stale("reconnected") and book.state == "final"
    assert book.mark_desynced("crossed") and book.state == "final"
    assert book.desync_reason == "crossed"  # kept, for the screen to say it closed wrong
