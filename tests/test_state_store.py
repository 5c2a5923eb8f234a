"""Store: routing, filtering, desync detection, heals, staleness, dirty slices, bounds."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import MarketStore, market_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmdash.feeds.market import decode
from pmdash.models import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    FeedError,
    FeedStatus,
    Level,
    LevelChange,
    MarketInfo,
    MarketResolved,
    NewMarket,
    TickSizeChange,
    Trade,
    UnknownEvent,
)
from pmdash.state.book import OrderBook
from pmdash.state.market import (
    BOOK_PREFIX,
    MARKETS,
    TAPE_PREFIX,
    MarketState,
    book_key,
    tape_key,
)
from pmdash.state.store import Dirty, Store
from pmdash.state.tape import GAPS_KEPT, TradeTape

YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
MARKET = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"


def snap(
    asset: str = YES,
    bids: tuple[Level, ...] = ((500_000, 10),),
    asks: tuple[Level, ...] = ((510_000, 10),),
    ts: int = 1,
) -> BookSnapshot:
    return BookSnapshot(
        feed="market",
        asset_id=asset,
        market=MARKET,
        bids=bids,
        asks=asks,
        timestamp=ts,
        hash="h" + str(ts),
    )


def change(
    asset: str,
    side: str,
    price: int,
    size: int,
    best_bid: int | None = None,
    best_ask: int | None = None,
) -> LevelChange:
    return LevelChange(asset, side, price, size, best_bid, best_ask)  # type: ignore[arg-type]


def delta(*changes: LevelChange, ts: int = 2) -> BookDelta:
    return BookDelta(feed="market", market=MARKET, timestamp=ts, changes=changes)


def trade(asset: str = YES, price: int = 505_000, ts: int = 3) -> Trade:
    return Trade(feed="market", asset_id=asset, market=MARKET, price=price, size=1, timestamp=ts)


def live_store(*assets: str) -> MarketStore:
    store = market_store()
    store.watch(assets or (YES,), MARKET)
    for asset in assets or (YES,):
        store.apply([snap(asset)])
    store.take_dirty()
    return store


# --- watching and routing -------------------------------------------------------------------


def test_watch_creates_empty_books_and_unwatch_drops_them() -> None:
    store = market_store()
    store.watch([YES, NO], MARKET)
    assert set(store.books) == {YES, NO}
    assert store.books[YES].state == "empty"
    assert store.books[YES].market == MARKET
    assert store.take_dirty().slices == {book_key(YES), book_key(NO)}
    store.watch(YES)  # a bare string is one asset id, not 77 one-character ids
    assert set(store.books) == {YES, NO}
    store.unwatch([NO])
    assert set(store.books) == {YES}
    assert NO not in store.tapes


def test_watch_uses_known_market_tick() -> None:
    store = market_store()
    store.add_market(MarketInfo(MARKET, "Q?", "q", (YES, NO), ("Yes", "No"), tick_size=1_000))
    store.watch([YES])
    assert store.books[YES].tick == 1_000
    assert store.books[YES].market == MARKET
    assert store.market_of(NO) is not None and store.market_of(NO).outcome_of(NO) == "No"
    assert store.market_of("other") is None


def test_market_added_after_watch_sets_tick_of_empty_book() -> None:
    store = market_store()
    store.watch([YES])
    store.add_market(MarketInfo(MARKET, "Q?", "q", (YES, NO), ("Yes", "No"), tick_size=1_000))
    assert store.books[YES].market == MARKET
    assert store.books[YES].tick == 1_000


def test_snapshot_for_unwatched_asset_is_ignored() -> None:
    store = market_store()
    store.watch([YES])
    store.take_dirty()
    store.apply([snap(NO)], arrival=1.0)
    assert NO not in store.books
    dirty = store.take_dirty()
    assert not dirty and dirty.oldest_arrival is None


def test_delta_filters_complementary_token() -> None:
    store = live_store(YES)
    store.apply(
        [
            delta(
                change(YES, "BUY", 500_000, 99, best_bid=500_000, best_ask=510_000),
                change(NO, "SELL", 490_000, 7, best_bid=480_000, best_ask=490_000),
            )
        ]
    )
    book = store.books[YES]
    assert book.levels("BUY") == [(500_000, 99)]
    assert book.state == "live"
    assert book.timestamp == 2
    assert NO not in store.books
    assert store.take_dirty().slices == {book_key(YES)}


def test_delta_applies_to_both_watched_tokens() -> None:
    store = live_store(YES, NO)
    store.apply(
        [
            delta(
                change(YES, "BUY", 505_000, 3, best_bid=505_000, best_ask=510_000),
                change(NO, "SELL", 505_000, 4, best_bid=500_000, best_ask=505_000),
            )
        ]
    )
    assert store.books[YES].best_bid == 505_000
    assert store.books[NO].best_ask == 505_000
    assert store.take_heals() == []
    assert store.take_dirty().ids(BOOK_PREFIX) == {YES, NO}


def test_trade_goes_to_tape_and_book() -> None:
    store = live_store(YES)
    t = trade()
    store.apply([t, trade(NO)])
    assert store.books[YES].last_trade is t
    assert store.tapes[YES].latest(5) == [t]
    assert NO not in store.tapes
    dirty = store.take_dirty()
    assert dirty.slices == {book_key(YES), tape_key(YES)}
    assert dirty.ids(TAPE_PREFIX) == {YES}


def test_tick_size_change_and_best_bid_ask() -> None:
    store = live_store(YES)
    store.apply(
        [
            TickSizeChange(
                feed="market",
                asset_id=YES,
                market=MARKET,
                old_tick_size=10_000,
                new_tick_size=1_000,
                timestamp=4,
            ),
            BestBidAsk(
                feed="market",
                asset_id=YES,
                market=MARKET,
                best_bid=500_000,
                best_ask=510_000,
                timestamp=4,
            ),
            BestBidAsk(feed="market", asset_id=NO, market=MARKET, best_bid=1, timestamp=4),
        ]
    )
    assert store.books[YES].tick == 1_000
    assert store.books[YES].levels("BUY") == [(500_000, 10)]


def test_new_market_and_resolution() -> None:
    store = market_store()
    store.apply(
        [
            NewMarket(
                feed="market",
                id="1031769",
                market=MARKET,
                question="Will it?",
                slug="will-it",
                asset_ids=(YES, NO),
                outcomes=("Yes", "No"),
                tick_size=1_000,
                timestamp=5,
            )
        ]
    )
    info = store.markets[MARKET]
    assert info.token_ids == (YES, NO)
    assert info.tick_size == 1_000
    assert info.gamma_id == "1031769"
    assert store.market_of(YES) is info
    assert store.take_dirty().slices == {MARKETS}
    resolved = MarketResolved(
        feed="market", id="1031769", market=MARKET, winning_asset_id=YES, timestamp=6
    )
    store.apply([resolved])
    assert store.resolved[MARKET] is resolved
    assert store.take_dirty().slices == {MARKETS}


def test_markets_are_bounded_but_watched_ones_stay() -> None:
    store = market_store(max_markets=3)
    store.add_market(MarketInfo("0x0", "q", "s", ("a0", "b0"), ("Yes", "No")))
    store.watch(["a0"])
    for i in range(1, 10):
        store.add_market(MarketInfo(f"0x{i}", "q", "s", (f"a{i}", f"b{i}"), ("Yes", "No")))
    assert len(store.markets) == 3
    assert "0x0" in store.markets  # watched: never evicted
    assert store.market_of("a1") is None
    assert store.market_of("a9") is not None


def test_status_errors_and_unknown_events() -> None:
    store = market_store()
    status = FeedStatus(feed="market", state="live", url="ws://127.0.0.1/ws/market")
    store.apply([status])
    assert store.take_dirty().slices == {"status"}
    store.apply([FeedError(feed="rtds", message="bad")])  # another feed's: no book in doubt
    assert store.take_dirty().slices == {"errors"}
    store.apply([UnknownEvent(feed="market", event_type="mystery", data={})])
    assert store.take_dirty().slices == {"status"}


# --- desync detection and heals -------------------------------------------------------------


def test_server_best_mismatch_uses_last_entry_per_asset() -> None:
    store = live_store(YES)
    # The first entry's best_bid is stale by the time the message is applied in full; only
    # the last entry for the asset describes the book after the whole message.
    store.apply(
        [
            delta(
                change(YES, "BUY", 505_000, 1, best_bid=505_000, best_ask=510_000),
                change(NO, "BUY", 100_000, 1, best_bid=999_000, best_ask=999_000),
                change(YES, "BUY", 507_000, 1, best_bid=507_000, best_ask=510_000),
            )
        ]
    )
    assert store.books[YES].state == "live"
    store.apply([delta(change(YES, "SELL", 520_000, 1, best_bid=507_000, best_ask=509_000))])
    book = store.books[YES]
    assert book.state == "desynced"
    assert book.desync_reason == "best ask 0.51 != server 0.509"
    assert store.take_heals() == [YES]


def test_missing_server_best_is_not_checked() -> None:
    store = live_store(YES)
    store.apply([delta(change(YES, "BUY", 400_000, 1))])
    assert store.books[YES].state == "live"


def test_crossed_book_desyncs() -> None:
    store = live_store(YES)
    store.apply([delta(change(YES, "BUY", 515_000, 1))])
    book = store.books[YES]
    assert book.state == "desynced"
    assert book.desync_reason == "crossed book: bid 0.515 >= ask 0.51"


def test_delta_before_snapshot_desyncs() -> None:
    store = market_store()
    store.watch([YES])
    store.apply([delta(change(YES, "BUY", 500_000, 1, best_bid=500_000))])
    book = store.books[YES]
    assert book.state == "desynced"
    assert book.desync_reason == "delta before snapshot"
    assert store.take_heals() == [YES]


def test_heal_queued_once_and_counted_on_next_snapshot() -> None:
    store = live_store(YES)
    store.apply([delta(change(YES, "BUY", 515_000, 1))])  # crossed
    store.apply([delta(change(YES, "BUY", 516_000, 1, best_bid=1))])  # still desynced
    assert store.take_heals() == [YES]
    assert store.take_heals() == []
    store.apply([delta(change(YES, "SELL", 530_000, 1, best_ask=2))])
    assert store.take_heals() == []  # not re-queued while the heal is outstanding
    store.apply([snap(YES, ts=9)])
    book = store.books[YES]
    assert book.state == "live"
    assert book.heals == 1
    assert book.levels("BUY") == [(500_000, 10)]
    # A new desync after the heal queues again.
    store.apply([delta(change(YES, "BUY", 520_000, 1))])
    assert store.take_heals() == [YES]


def test_snapshot_before_take_heals_cancels_the_request() -> None:
    store = live_store(YES)
    store.apply([delta(change(YES, "BUY", 515_000, 1))])
    store.apply([snap(YES)])
    assert store.take_heals() == []
    assert store.books[YES].heals == 1


def test_unwatch_drops_pending_heal() -> None:
    store = live_store(YES, NO)
    store.apply([delta(change(YES, "BUY", 515_000, 1))])
    store.unwatch([YES])
    assert store.take_heals() == []


# --- staleness on reconnect -----------------------------------------------------------------


def test_feed_stale_marks_every_book_until_its_snapshot() -> None:
    store = live_store(YES, NO)
    store.mark_feed_stale(reason="reconnecting")
    assert {b.state for b in store.books.values()} == {"stale"}
    assert store.take_dirty().ids(BOOK_PREFIX) == {YES, NO}
    store.apply([snap(YES, ts=10)])
    assert store.books[YES].state == "live"
    assert store.books[NO].state == "stale"
    assert store.books[NO].stale_reason == "reconnecting"
    assert store.books[YES].heals == 0
    # A delta for the still-stale book means its snapshot was missed.
    store.apply([delta(change(NO, "BUY", 400_000, 1))])
    assert store.books[NO].state == "desynced"
    assert store.books[NO].desync_reason == "delta before snapshot (stale: reconnecting)"
    assert store.take_heals() == [NO]


def test_feed_stale_again_names_the_newer_cause() -> None:
    store = live_store(YES)
    store.mark_feed_stale(reason="connection lost: no frame for 30 s")
    store.take_dirty()
    version = store.books[YES].version
    store.mark_feed_stale(reason="connection lost: no frame for 30 s")
    assert not store.take_dirty()  # the same cause again changes nothing
    store.mark_feed_stale(reason="reconnected: waiting for a fresh snapshot")
    assert store.books[YES].stale_reason == "reconnected: waiting for a fresh snapshot"
    assert store.books[YES].version > version
    assert store.take_dirty().ids(BOOK_PREFIX) == {YES}


def test_feed_lost_then_reconnected_names_each_cause() -> None:
    store = live_store(YES)
    store.mark_feed_lost("no frame for 30 s")
    assert store.books[YES].state == "stale"
    assert store.books[YES].stale_reason == "connection lost: no frame for 30 s"
    store.mark_feed_reconnected()
    assert store.books[YES].stale_reason == "reconnected: waiting for a fresh snapshot"


def test_feed_lost_marks_a_gap_after_each_tapes_newest_trade() -> None:
    """Trades made while the socket is down never come: each tape that has trades says where
    they may be missing (once per loss with no trade between), and the tape repaints."""
    store = live_store(YES, NO)
    store.apply([trade(YES), trade(YES, ts=4)])
    store.take_dirty()
    store.mark_feed_lost("server closed", at_ms=1_700_000_000_000)
    assert list(store.tapes[YES].gaps) == [(2, 1_700_000_000_000)]
    assert not store.tapes[NO].gaps  # no trades: nothing can be missing after them
    assert tape_key(YES) in store.take_dirty().slices
    store.mark_feed_lost("connect failed")  # the retries of the same outage
    assert list(store.tapes[YES].gaps) == [(2, 1_700_000_000_000)]
    store.apply([trade(YES, ts=5)])
    store.mark_feed_lost("server closed")
    assert list(store.tapes[YES].gaps) == [(2, 1_700_000_000_000), (3, None)]


def test_tape_gaps_are_bounded_and_cleared_with_the_trades() -> None:
    tape = TradeTape(maxlen=5)
    assert not tape.mark_gap(1)
    for n in range(GAPS_KEPT + 3):
        tape.append(trade(ts=n))
        assert tape.mark_gap(n)
    assert len(tape.gaps) == GAPS_KEPT and tape.gaps[-1] == (GAPS_KEPT + 3, GAPS_KEPT + 2)
    version = tape.version
    tape.clear()
    assert not tape.gaps and len(tape) == 0 and tape.version > version


# --- dirty slices and arrival stamps --------------------------------------------------------


def test_dirty_collects_slices_and_arrival_stamps() -> None:
    store = live_store(YES)
    store.apply([trade()], arrival=10.0)
    store.apply([delta(change(YES, "BUY", 490_000, 1))], arrival=12.5)
    store.apply([delta(change(NO, "BUY", 490_000, 1))], arrival=20.0)  # changes nothing
    store.apply([delta(change(YES, "BUY", 480_000, 1))], arrival=11.0)  # out of order stamp
    dirty = store.take_dirty()
    assert isinstance(dirty, Dirty)
    assert dirty.slices == {book_key(YES), tape_key(YES)}
    assert dirty.oldest_arrival == 10.0
    assert dirty.newest_arrival == 12.5
    empty = store.take_dirty()
    assert not empty
    assert empty.slices == set()
    assert empty.oldest_arrival is None and empty.newest_arrival is None


def test_apply_without_arrival_leaves_stamps_unset() -> None:
    store = live_store(YES)
    store.apply([trade()])
    dirty = store.take_dirty()
    assert dirty.slices and dirty.oldest_arrival is None


def test_book_version_lets_views_skip_unchanged_books() -> None:
    store = live_store(YES, NO)
    versions = {a: b.version for a, b in store.books.items()}
    store.apply([delta(change(YES, "BUY", 490_000, 5))])
    assert store.books[YES].version > versions[YES]
    assert store.books[NO].version == versions[NO]


# --- deltas through the store against OrderBook.apply_change --------------------------------

# Bids up to 0.5 and asks from 0.51 up (never crossed), on a 0.001 grid: levels come and go.
_BID_PRICES = st.integers(400, 499).map(lambda k: k * 1_000)
_ASK_PRICES = st.integers(510, 599).map(lambda k: k * 1_000)
_ENTRY = st.one_of(
    st.tuples(st.sampled_from([YES, NO]), st.just("BUY"), _BID_PRICES),
    st.tuples(st.sampled_from([YES, NO]), st.just("SELL"), _ASK_PRICES),
).flatmap(lambda e: st.tuples(st.just(e), st.one_of(st.just(0), st.integers(1, 10**9))))
_MESSAGES = st.lists(st.lists(_ENTRY, min_size=1, max_size=4), min_size=1, max_size=40)


def _reference_books() -> dict[str, OrderBook]:
    books = {asset: OrderBook(asset, MARKET) for asset in (YES, NO)}
    for asset, book in books.items():
        book.apply_snapshot(snap(asset))
    return books


def _same_book(mine: OrderBook, ref: OrderBook) -> None:
    assert mine.levels("BUY") == ref.levels("BUY")
    assert mine.levels("SELL") == ref.levels("SELL")
    assert (mine.best_bid, mine.best_ask, mine.spread) == (ref.best_bid, ref.best_ask, ref.spread)
    assert mine.best_bid == (mine.levels("BUY")[0][0] if mine.levels("BUY") else None)
    assert mine.best_ask == (mine.levels("SELL")[0][0] if mine.levels("SELL") else None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MESSAGES, st.booleans())
def test_store_deltas_match_order_book_apply_change(
    messages: list[list[tuple[tuple[str, str, int], int]]], announce_best: bool
) -> None:
    """Deltas through the store give the books ``OrderBook.apply_change`` gives, best prices
    and spreads included, whichever entries repeat an asset; only touched books change. With
    the server's best prices announced (those of the book after the whole message, on each
    asset's entries) the books stay live; without them nothing is checked but crossing."""
    store = live_store(YES, NO)
    ref = _reference_books()
    for ts, message in enumerate(messages, start=10):
        for (asset, side, price), size in message:
            ref[asset].apply_change(side, price, size)
        versions = {asset: store.books[asset].version for asset in (YES, NO)}
        changes = []
        for (asset, side, price), size in message:
            best = (ref[asset].best_bid, ref[asset].best_ask) if announce_best else (None, None)
            changes.append(change(asset, side, price, size, *best))
        store.apply([delta(*changes, ts=ts)])
        for asset in (YES, NO):
            book = store.books[asset]
            _same_book(book, ref[asset])
            assert book.state == "live", book.desync_reason
            if any(entry[0][0] == asset for entry in message):
                assert book.version > versions[asset]
                assert book.timestamp == ts
            else:
                assert book.version == versions[asset]
    assert store.take_heals() == []


def test_store_delta_with_a_stale_best_price_on_an_earlier_entry_only() -> None:
    """Only an asset's last entry is checked, even when another asset's entry sits between."""
    store = live_store(YES, NO)
    store.apply(
        [
            delta(
                change(YES, "SELL", 505_000, 1, best_bid=500_000, best_ask=505_000),
                change(NO, "BUY", 400_000, 1, best_bid=500_000, best_ask=510_000),
                change(YES, "SELL", 505_000, 0, best_bid=500_000, best_ask=510_000),
            )
        ]
    )
    assert {store.books[a].state for a in (YES, NO)} == {"live"}
    assert store.books[YES].best_ask == 510_000 and store.books[YES].spread == 10_000
    store.apply([delta(change(NO, "SELL", 510_000, 0, best_bid=500_000, best_ask=510_000))])
    assert store.books[NO].state == "desynced"
    assert store.books[NO].desync_reason == "best ask none != server 0.51"


def test_store_delta_with_an_unknown_side_raises_like_the_book() -> None:
    store = live_store(YES)
    with pytest.raises(ValueError, match="unknown book side"):
        store.apply([delta(change(YES, "buy", 500_000, 1))])


def test_entries_before_an_unknown_side_are_applied_and_judged() -> None:
    store = live_store(YES, NO)
    with pytest.raises(ValueError, match="unknown book side"):
        store.apply([delta(change(YES, "BUY", 515_000, 1), change(NO, "buy", 400_000, 1))])
    book = store.books[YES]
    assert book.best_bid == 515_000
    assert book.desync_reason == "crossed book: bid 0.515 >= ask 0.51"
    assert store.take_heals() == [YES]
    store.apply([delta(change(NO, "BUY", 400_000, 1, best_bid=500_000, best_ask=510_000))])
    assert store.books[NO].state == "live"
    assert store.take_heals() == []


# --- bounds ---------------------------------------------------------------------------------


def test_tape_is_bounded_newest_first() -> None:
    store = market_store(tape_len=5)
    store.watch([YES])
    for i in range(12):
        store.apply([trade(ts=i)])
    tape = store.tapes[YES]
    assert len(tape) == 5
    assert tape.total == 12
    assert [t.timestamp for t in tape.latest(3)] == [11, 10, 9]
    assert [t.timestamp for t in tape.latest(50)] == [11, 10, 9, 8, 7]


def test_events_no_slice_takes_change_nothing() -> None:
    store = market_store()
    store.apply([object()])  # type: ignore[list-item]
    assert not store.take_dirty()


def test_an_event_type_routes_to_one_slice_only() -> None:
    class OtherBooks(MarketState):
        shared = False

    store = market_store()
    with pytest.raises(ValueError, match="BookDelta"):
        store.add_slice(OtherBooks())


def test_a_shared_slice_joins_once() -> None:
    """Two feeds folding into one state (the CLOB's and the US venue's books) each make the
    slice; the first made is the one kept, and the events reach it."""
    first, second = MarketState(), MarketState()
    store = Store([first, second])
    assert store.slice(MarketState) is first
    first.watch(["a1"])
    store.take_dirty()
    store.apply([BookSnapshot(feed="us-markets", asset_id="a1", market="m", bids=(), asks=(),
                              timestamp=1)])
    assert first.books["a1"].has_snapshot
    assert "market:book:a1" in store.take_dirty().slices


def test_the_clob_feed_lost_leaves_the_other_venues_books_as_they_are() -> None:
    """The CLOB socket's loss says nothing of a book the US socket streams into the same
    state: only the CLOB's books turn stale (the US controller marks its own)."""
    state = MarketState()
    store = Store([state])
    state.watch([YES, "us-slug"])
    store.apply([snap(YES)])
    store.apply([BookSnapshot(feed="us-markets", asset_id="us-slug", market="us-slug",
                              bids=((400_000, 5),), asks=(), timestamp=1)])
    state.mark_feed_lost("server went away", at_ms=5)
    assert state.books[YES].state == "stale"
    assert state.books["us-slug"].state == "live"
    state.mark_feed_reconnected()
    assert state.books["us-slug"].state == "live"
    store.apply([FeedError(feed="market", message="not JSON", all_books=True)])
    assert state.books["us-slug"].state == "live"  # the CLOB's garbage is not the US feed's
    assert state.take_heals() == [YES]


# --- layering ------------------------------------------------------------------------------


def test_state_layer_imports_no_ui_or_io() -> None:
    code = (
        "import sys, json; import pmdash.state.store, pmdash.state.market, pmdash.state.book,"
        " pmdash.state.tape;"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual','rich','websockets','asyncio'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(out.stdout) == []


# --- real fixtures (through the market codec) -----------------------------------------------

MARKET_FIXTURES = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real" / "clob_market"
)


def _fixture_files() -> list[Path]:
    if not MARKET_FIXTURES.is_dir():
        return []
    return sorted(MARKET_FIXTURES.glob("*.json"))


def _asset_ids(value: object) -> set[str]:
    """Every asset id a raw JSON value names."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("asset_id", "winning_asset_id") and isinstance(item, str):
                found.add(item)
            found |= _asset_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= _asset_ids(item)
    return found


@pytest.mark.skipif(not _fixture_files(), reason=f"no real fixtures at {MARKET_FIXTURES}")
@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.name)
def test_real_market_fixture_flows_through_store(path: Path) -> None:
    text = path.read_text()
    store = market_store()
    assets = _asset_ids(json.loads(text))
    store.watch(assets)
    events = decode(text)
    assert events, path.name
    store.apply(events, arrival=1.0)
    # Every decoded event lands somewhere: no errors, and something became dirty (but the
    # server's best prices, which the books check their own against, change nothing shown).
    assert not any(isinstance(event, FeedError) for event in events)
    dirty = store.take_dirty()
    shown = not all(isinstance(event, BestBidAsk) for event in events)
    assert dirty.slices and (dirty.oldest_arrival == 1.0) is shown
    for event in events:
        if isinstance(event, BookSnapshot):
            book = store.books[event.asset_id]
            assert book.state == "live"
            assert book.depth("BUY") == len(event.bids)
            assert book.best_bid == max((p for p, _ in event.bids), default=None)
            assert book.best_ask == min((p for p, _ in event.asks), default=None)
        elif isinstance(event, BookDelta):
            # Deltas without a snapshot first: the store must flag, never guess.
            assert {store.books[c.asset_id].state for c in event.changes} == {"desynced"}


@pytest.mark.skipif(not _fixture_files(), reason=f"no real fixtures at {MARKET_FIXTURES}")
def test_real_live_book_then_its_levels_change() -> None:
    raw = json.loads((MARKET_FIXTURES / "py_book.json").read_text())
    store = market_store()
    store.watch([raw["asset_id"]])
    store.apply(decode(json.dumps(raw)))
    book = store.books[raw["asset_id"]]
    bids = sorted((Decimal(lv["price"]) for lv in raw["bids"]), reverse=True)
    asks = sorted(Decimal(lv["price"]) for lv in raw["asks"])
    assert book.best_bid == int(bids[0] * 1_000_000)
    assert book.best_ask == int(asks[0] * 1_000_000)
    assert book.depth("BUY") + book.depth("SELL") == len(raw["bids"]) + len(raw["asks"])
    # Remove the best bid the way the server would, announcing the new best prices.
    frame = {
        "event_type": "price_change",
        "market": raw["market"],
        "timestamp": str(int(raw["timestamp"]) + 1),
        "price_changes": [
            {
                "asset_id": raw["asset_id"],
                "price": str(bids[0]),
                "size": "0",
                "side": "BUY",
                "hash": "",
                "best_bid": str(bids[1]),
                "best_ask": str(asks[0]),
            }
        ],
    }
    store.apply(decode(json.dumps(frame)))
    assert book.state == "live", book.desync_reason
    assert book.best_bid == int(bids[1] * 1_000_000)


def test_a_resolved_markets_books_are_final_and_never_stale() -> None:
    store = live_store(YES, NO)
    store.apply([delta(change(YES, "BUY", 500_000, 0), change(YES, "BUY", 490_000, 7))])
    store.take_dirty()
    store.apply([MarketResolved(feed="market", id="1", market=MARKET, timestamp=9)])
    # No asset ids on the event: the market's tokens come from the books watched for it.
    assert {store.books[YES].state, store.books[NO].state} == {"final"}
    assert store.take_dirty().slices == {MARKETS, book_key(YES), book_key(NO)}
    assert store.books[YES].best_bid == 490_000  # the book as it closed
    store.mark_feed_lost("server closed")
    store.mark_feed_reconnected()
    assert {store.books[YES].state, store.books[NO].state} == {"final"}
    assert store.take_heals() == []


def test_a_book_resolved_while_stale_or_desynced_is_final_and_keeps_why_it_was_doubted() -> None:
    """Before, one resolved while desynced showed DESYNC "requesting snapshot" for good: the
    snapshot never comes for a resolved market."""
    store = live_store(YES, NO)
    store.mark_feed_lost("gone")
    store.books[NO].mark_desynced("best bid mismatch")
    store.apply(
        [MarketResolved(feed="market", id="1", market=MARKET, asset_ids=(YES, NO), timestamp=9)]
    )
    assert store.books[YES].state == "final" and store.books[YES].desync_reason is None
    assert store.books[NO].state == "final"
    assert store.books[NO].desync_reason == "best bid mismatch"  # known to be wrong: it says so
