"""The App's flush: each panel at its own cadence, nothing pushed when nothing shown changed,
key presses shown at once, and the garbage collector set up after the first frame.

The feeds are off and events go straight into the Store (stamped with their arrival time, as the
connection loop does); ``flush()`` is called by hand (the App's own timer is slowed to 1 Hz so
it does not race the test).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conftest import dashboard_app, market_group, market_state, offline_market

from pmdash.app import GC_THRESHOLD_FULL, GC_THRESHOLD_YOUNG, PmdashApp
from pmdash.config import Settings
from pmdash.models import (
    BookDelta,
    BookSnapshot,
    FeedStatus,
    LevelChange,
    MarketInfo,
    NewMarket,
    TickSizeChange,
    Trade,
)
from pmdash.widgets.market_group import MarketPanelSettings

NOW_MS = 1_767_364_200_000
YES, NO = "1" * 77, "2" * 77
MARKET = MarketInfo(
    condition_id="0x" + "a" * 64,
    question="Will it rain in Paris tomorrow?",
    slug="rain-paris",
    token_ids=(YES, NO),
    outcomes=("Yes", "No"),
)
OTHER_YES, OTHER_NO = "3" * 77, "4" * 77
OTHER = MarketInfo(
    condition_id="0x" + "b" * 64,
    question="Will it snow in Oslo tomorrow?",
    slug="snow-oslo",
    token_ids=(OTHER_YES, OTHER_NO),
    outcomes=("Yes", "No"),
)
BIDS = ((480_000, 10_000_000), (470_000, 20_000_000))
ASKS = ((520_000, 15_000_000), (530_000, 25_000_000))
LIVE = FeedStatus(feed="market", state="live", frames_per_s=5.0, last_frame_age_s=0.1)
SIZE = (140, 36)


def snapshot(asset: str, bids: tuple = BIDS, asks: tuple = ASKS) -> BookSnapshot:  # type: ignore[type-arg]
    market = OTHER if asset in OTHER.token_ids else MARKET
    return BookSnapshot(
        feed="market", asset_id=asset, market=market.condition_id, bids=bids, asks=asks,
        timestamp=NOW_MS,
    )


def delta(price: int, size: int) -> BookDelta:
    """A bid level set to ``size`` on YES; the best prices are those of BIDS/ASKS."""
    change = LevelChange(
        asset_id=YES, side="BUY", price=price, size=size, best_bid=480_000, best_ask=520_000
    )
    return BookDelta(feed="market", market=MARKET.condition_id, timestamp=NOW_MS, changes=(change,))


def trade(price: int, offset_ms: int = 0) -> Trade:
    return Trade(
        feed="market", asset_id=YES, market=MARKET.condition_id, price=price,
        size=5_000_000, side="BUY", timestamp=NOW_MS + offset_ms,
    )


def flush_app(
    settings: Settings | None = None,
    markets: tuple[MarketInfo, ...] = (MARKET,),
    **options: Any,
) -> PmdashApp:
    """The real App with no sockets, flushing once a second unless a test calls ``flush``;
    ``offline_market(app).statuses`` is what the connection would report."""
    return dashboard_app(list(markets), settings=settings, refresh_hz=1.0, status=LIVE, **options)


def tune(app: PmdashApp, **panel: float) -> None:
    """Change the market panels' cadence while the App runs."""
    group = market_group(app)
    group.panel = replace(group.panel, **panel)


class Calls:
    """Counts calls of the panels' update methods."""

    def __init__(self, app: PmdashApp) -> None:
        self.counts: dict[str, int] = {}
        for widget, name in (
            (market_group(app).ladder, "update_book"),
            (market_group(app).header, "update_header"),
            (market_group(app).tape, "update_trades"),
            (market_group(app).market_list, "update_markets"),
            (app.status_bar, "update_statuses"),
        ):
            setattr(widget, name, self._counting(name, getattr(widget, name)))

    def _counting(self, name: str, method: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            self.counts[name] = self.counts.get(name, 0) + 1
            return method(*args, **kwargs)

        return call


async def test_nothing_is_pushed_when_nothing_shown_changed() -> None:
    app = flush_app()
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        app.store.apply([snapshot(YES), snapshot(NO)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert panels.ladder.data is not None and panels.ladder.data.state == "live"
        calls = Calls(app)

        app.flush()  # idle: nothing changed
        await pilot.pause()
        assert calls.counts == {}

        # A level set to the size it already had: the book is dirty, what it shows is not.
        app.store.apply([delta(470_000, 20_000_000)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert "update_book" not in calls.counts and "update_header" not in calls.counts

        app.store.apply([delta(470_000, 21_000_000)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert calls.counts["update_book"] == 1
        assert panels.ladder.data.bids[1] == (470_000, 21_000_000, 31_000_000)
        assert "update_header" not in calls.counts  # best prices did not move
        assert app.latency.total >= 1 and app.latency_newest.total >= 1


async def test_header_shows_a_trade_at_once_and_the_tape_at_its_cadence() -> None:
    app = flush_app()
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        app.store.apply([snapshot(YES), snapshot(NO)], time.perf_counter())
        app.flush()
        await pilot.pause()

        tune(app, tape_hz=0.01)  # the tape just repainted: wait 100 s
        panels._tape_shown_at = time.perf_counter()
        app.store.apply([trade(500_000)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert panels.header.data is not None and panels.header.data.last_trade_price == 500_000
        assert list(panels.tape.trades) == []

        tune(app, tape_hz=1000.0)
        app.flush()  # nothing new, but the tape's change is now due
        await pilot.pause()
        await pilot.pause()
        assert [t.price for t in panels.tape.trades] == [500_000]
        assert panels.tape_latency.total == 1


def _row_prices(app: PmdashApp, index: int) -> str:
    """The prices line of the ``index``th market's row."""
    return str(market_group(app).market_list.get_option_at_index(index).prompt).split("\n")[1]


async def test_market_list_follows_at_its_cadence() -> None:
    """The rows of the markets not on screen wait for list_hz (the selected one's row follows
    every flush: see the next test)."""
    app = flush_app(markets=(MARKET, OTHER))
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        tune(app, list_hz=0.01)
        panels._list_shown_at = time.perf_counter()
        app.store.apply([snapshot(OTHER_YES), snapshot(OTHER_NO)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert _row_prices(app, 1) == "no book yet"

        tune(app, list_hz=1000.0)
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert "bid 0.48" in _row_prices(app, 1) and "ask 0.52" in _row_prices(app, 1)
        assert panels.list_latency.total == 1

        # A reconnect: the list says the prices are stale until fresh books arrive.
        market_state(app).mark_feed_stale()
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert _row_prices(app, 1) == "STALE  bid 0.48  ask 0.52"
        app.store.apply([snapshot(OTHER_YES), snapshot(OTHER_NO)], time.perf_counter())
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert "last" in _row_prices(app, 1)


async def test_the_selected_markets_row_follows_the_header_at_every_flush() -> None:
    """Before, the selected market's row waited for list_hz like the others while the header
    followed every flush: one screen said bid 0.49 in the header and 0.48 in the row. Now
    that row changes with the header (whichever outcome the header shows, the row shows the
    first); the other rows still wait for the list's cadence."""
    app = flush_app(markets=(MARKET, OTHER))
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        books = [snapshot(asset) for asset in (YES, NO, OTHER_YES, OTHER_NO)]
        app.store.apply(books, time.perf_counter())
        tune(app, list_hz=1000.0)
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert _row_prices(app, 0) == _row_prices(app, 1) == "bid 0.48  ask 0.52  last -"

        tune(app, list_hz=0.01)  # the list just repainted: 100 s
        panels._list_shown_at = time.perf_counter()
        better = ((490_000, 1_000_000), *BIDS)
        for outcome in ("Yes", "No"):
            if outcome == "No":
                await pilot.press("o")  # the header shows No; the row still shows Yes
                await pilot.pause()
                assert panels.header.data is not None and panels.header.data.outcome == "No"
            fresh = [snapshot(YES, better), snapshot(OTHER_YES, better)]
            app.store.apply(fresh, time.perf_counter())
            app.flush()
            await pilot.pause()
            await pilot.pause()
            assert _row_prices(app, 0) == "bid 0.49  ask 0.52  last -", outcome
            if outcome == "Yes":
                assert panels.header.data is not None and panels.header.data.best_bid == 490_000
            assert _row_prices(app, 1) == "bid 0.48  ask 0.52  last -"  # at its cadence
            app.store.apply([snapshot(YES)], time.perf_counter())  # back to 0.48
            app.flush()
            await pilot.pause()
            assert _row_prices(app, 0) == "bid 0.48  ask 0.52  last -"


async def test_key_presses_show_at_once_whatever_the_cadence() -> None:
    app = flush_app()
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        tune(app, tape_hz=0.01)
        no_trade = Trade(
            feed="market", asset_id=NO, market=MARKET.condition_id, price=470_000,
            size=1_000_000, side="SELL", timestamp=NOW_MS,
        )
        events = [snapshot(YES), snapshot(NO), trade(500_000), no_trade]
        app.store.apply(events, time.perf_counter())
        app.flush()
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert panels.ladder.data is not None and panels.ladder.data.outcome == "No"
        assert [t.price for t in panels.tape.trades] == [470_000]


async def test_feed_state_reaches_the_status_bar_at_the_next_flush() -> None:
    app = flush_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "backoff" not in app.status_bar.render_line(0).text
        down = FeedStatus(feed="market", state="backoff", detail="connection refused")
        offline_market(app).statuses = [down]
        app.store.apply([down], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert "backoff" in app.status_bar.render_line(0).text


async def test_start_up_heap_is_frozen_after_the_first_frame_and_released_on_exit() -> None:
    before = gc.get_threshold()
    app = flush_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.first_frame_at is None
        app.store.apply([snapshot(YES), snapshot(NO)], time.perf_counter())
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert app.first_frame_at is not None
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == GC_THRESHOLD_YOUNG
        assert gc.get_threshold()[2] == GC_THRESHOLD_FULL
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_an_announced_market_is_not_listed_under_an_explicit_selection() -> None:
    """With an explicit selection the real feed announces every new market: none of them is
    listed or watched, and the chosen market stays on screen."""
    app = flush_app(Settings(markets=["rain-paris"]))
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        app.store.apply([snapshot(YES), snapshot(NO)], time.perf_counter())
        announced = NewMarket(
            feed="market", id="9", market="0x" + "b" * 64, question="Snow in Paris?",
            slug="snow-paris", asset_ids=("3" * 77, "4" * 77), outcomes=("Yes", "No"),
            timestamp=NOW_MS,
        )
        app.store.apply([announced], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert announced.market in market_state(app).markets
        assert announced.market not in panels.market_order
        assert "3" * 77 not in market_state(app).books

        selected = panels.selected
        await pilot.press("j")
        await pilot.pause()
        assert panels.selected == selected
        assert panels.ladder.data is not None and panels.ladder.data.state == "live"
        assert panels.header.data is not None and panels.header.data.question != "Snow in Paris?"


async def test_screen_latency_leaves_out_frames_that_waited_for_start_up() -> None:
    """Frames that arrived before the first full frame waited for start-up, not a refresh;
    the status bar's p99 is the steady state, so they add no sample."""
    app = flush_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        before_start = time.perf_counter()
        app.store.apply([snapshot(YES)], before_start)
        app.flush()
        await pilot.pause()
        assert app.first_frame_at is not None and app.first_frame_at > before_start
        assert app.latency.total == 0 and app.latency_newest.total == 0

        app.store.apply([delta(470_000, 21_000_000)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert app.latency.total == 1 and app.latency_newest.total == 1
        assert 0 < app.latency.samples[-1] < 5_000


async def test_after_a_lost_connection_the_tape_says_stale_and_marks_the_gap() -> None:
    """The reviewer's case: during an outage the ladder said STALE and the tape did not, and
    after the reconnect the trades made meanwhile were silently missing. Now the tape's title
    says STALE while the book is, and a marked line stays where trades may be missing."""
    app = flush_app(panel=MarketPanelSettings(tape_hz=1000.0))
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        app.store.apply([snapshot(YES), snapshot(NO), trade(500_000)], time.perf_counter())
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert str(panels.tape.border_title) == "Trades (UTC)"

        market_state(app).mark_feed_lost("server closed", int(time.time() * 1000))
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert str(panels.tape.border_title) == "Trades (UTC) · STALE"
        lines = ["".join(panels.tape.render_line(y).text) for y in range(1, 4)]
        assert "gap: disconnected" in lines[0] and "0.50" in lines[1]

        # Back, with a fresh book and a new trade: live again, the gap below the new trade.
        market_state(app).mark_feed_reconnected()
        app.store.apply([snapshot(YES), trade(510_000, 1_000)], time.perf_counter())
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert str(panels.tape.border_title) == "Trades (UTC)"
        lines = ["".join(panels.tape.render_line(y).text) for y in range(1, 4)]
        assert "0.51" in lines[0] and "gap: disconnected" in lines[1] and "0.50" in lines[2]


async def test_a_book_still_stale_long_after_the_reconnect_says_why() -> None:
    """The reviewer's case: a market the restarted server no longer lists stayed "reconnected:
    waiting for a fresh snapshot" for ever under a live feed. Open that long with no fresh
    book, the reason says the server may no longer list it."""
    app = flush_app(no_book_after_s=0.2)
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        app.store.apply([snapshot(YES), snapshot(NO)], time.perf_counter())
        market_state(app).mark_feed_reconnected()
        app.flush()
        await pilot.pause()
        assert panels.ladder.data is not None and panels.ladder.data.state == "stale"
        assert panels.ladder.data.detail == "reconnected: waiting for a fresh snapshot"
        await pilot.pause(0.3)
        app.flush()
        await pilot.pause()
        assert panels.ladder.data.state == "stale"  # still not to be trusted, but now says why
        assert panels.ladder.data.detail == (
            "no fresh book from the server 0.2 s after reconnecting"
            " — it may no longer list this market"
        )
        app.store.apply([snapshot(YES)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert panels.ladder.data.state == "live" and panels.ladder.data.detail == ""


async def test_the_header_shows_no_tick_for_a_book_never_received() -> None:
    """``--asset 12345``: the header said "tick 0.01", a default, for a book that never came."""
    app = flush_app()
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        app.flush()
        await pilot.pause()
        assert panels.header.data is not None and panels.header.data.tick is None
        app.store.apply([snapshot(YES)], time.perf_counter())
        app.flush()
        await pilot.pause()
        assert panels.header.data.tick == 10_000


async def test_the_tape_takes_a_new_tick_without_waiting_for_a_trade() -> None:
    """The reviewer's case: the tape kept "0.93" after the tick went to 0.001 while the ladder
    showed "0.980", until the next trade repainted it."""
    app = flush_app(panel=MarketPanelSettings(tape_hz=1000.0))
    panels = market_group(app)
    async with app.run_test(size=SIZE) as pilot:
        app.store.apply([snapshot(YES), snapshot(NO), trade(930_000)], time.perf_counter())
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert " 0.93 " in "".join(panels.tape.render_line(1).text)
        app.store.apply(
            [
                TickSizeChange(
                    feed="market", asset_id=YES, market=MARKET.condition_id,
                    old_tick_size=10_000, new_tick_size=1_000, timestamp=NOW_MS,
                )
            ],
            time.perf_counter(),
        )
        app.flush()
        await pilot.pause()
        await pilot.pause()
        assert " 0.930 " in "".join(panels.tape.render_line(1).text)
