"""The dashboard against the embedded exchange, driven with Pilot: real loopback sockets."""

from __future__ import annotations

from conftest import market_controller, market_group
from textual.widgets import Footer

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.selection import resolve_markets
from pmdash.sim.runner import serve_exchange
from pmdash.widgets.help_screen import HelpScreen
from pmdash.widgets.ladder import BookLadder
from pmdash.widgets.market_list import MarketList
from pmdash.widgets.status_bar import FeedStatusBar

SIZE = (160, 45)


async def _wait_for(pilot, condition, *, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    steps = int(seconds / 0.05)
    for _ in range(steps):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


async def test_demo_dashboard_fills_and_keys_work() -> None:
    async with serve_exchange(seed=11, rate=200) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        markets = await resolve_markets(endpoints, Settings())
        assert len(markets) >= 2
        app = PmdashApp(endpoints, markets)
        async with app.run_test(size=SIZE) as pilot:
            ladder = app.query_one(BookLadder)

            def live_ladder() -> bool:
                data = ladder.data
                return data is not None and data.state == "live" and bool(data.bids or data.asks)

            assert await _wait_for(pilot, live_ladder), "the ladder never filled with live levels"
            first = ladder.data
            assert first is not None
            truth_bids, truth_asks = running.exchange.book(market_group(app).selected_asset)
            assert truth_bids or truth_asks
            assert market_controller(app).connection.status().state == "live"

            # o flips the outcome: the ladder now shows the other token of the same market.
            market_before = market_group(app).selected
            await pilot.press("o")
            await pilot.pause(0.1)
            assert market_group(app).selected == market_before
            assert ladder.data is not None and ladder.data.outcome != first.outcome
            await pilot.press("o")
            await pilot.pause(0.1)
            assert ladder.data is not None and ladder.data.outcome == first.outcome

            # j moves to the next market, k back.
            await pilot.press("j")
            await pilot.pause(0.1)
            assert market_group(app).selected == market_group(app).market_order[1]
            assert app.query_one(MarketList).highlighted_id == market_group(app).market_order[1]
            await pilot.press("k")
            await pilot.pause(0.1)
            assert market_group(app).selected == market_group(app).market_order[0]

            # ? opens help, escape closes it.
            await pilot.press("question_mark")
            await pilot.pause(0.1)
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.pause(0.1)
            assert not isinstance(app.screen, HelpScreen)

            # The status bar reports the live feed and a measured screen latency.
            assert await _wait_for(pilot, lambda: app.latency.total > 5)
            app.refresh_status()
            await pilot.pause(0.05)
            bar = app.query_one(FeedStatusBar)
            text = "".join(bar.render_line(0).text)
            assert "market" in text and "screen p99" in text

            await pilot.press("q")
            await pilot.pause(0.2)
        assert app.return_code == 0


async def test_dashboard_survives_any_terminal_size() -> None:
    """Shrinking the terminal while the feed streams: at some sizes a panel gets no columns
    (or no rows) at all; every panel must take that, and the next update, without raising.
    It once did not: the ladder laid out no lines at width 0, then compared 12 new ones
    against them on the next flush (IndexError), which took the dashboard down."""
    sizes = [(70, 20), (48, 14), (40, 10), (36, 12), (34, 8), (20, 5), (10, 3), (2, 1)]
    sizes += [(1, 1), (120, 6), (6, 40), (80, 24), (90, 30), SIZE]
    async with serve_exchange(seed=5, rate=400) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        markets = await resolve_markets(endpoints, Settings())
        app = PmdashApp(endpoints, markets)
        async with app.run_test(size=SIZE) as pilot:
            ladder = app.query_one(BookLadder)

            def filled() -> bool:
                return ladder.data is not None and bool(ladder.data.bids)

            assert await _wait_for(pilot, filled)
            for width, height in sizes:
                await pilot.resize_terminal(width, height)
                # Several flushes at this size, each showing book changes on the screen.
                wanted = app.latency.total + 3
                assert await _wait_for(pilot, lambda w=wanted: app.latency.total >= w)
                assert app.is_running, f"the dashboard stopped at {width}x{height}"
                assert app.size == (width, height)
                if (width, height) == (80, 24):  # the narrow layout: no tape, the book's room
                    assert ladder.outer_size.width == 56 and not market_group(app).tape.display
                    assert app.focused is market_group(app).market_list  # back from the tiny layout
                if (width, height) == (48, 14):  # the tiny layout: the book alone, keys shown
                    assert ladder.outer_size.width == 48
                    assert not market_group(app).market_list.display
                    await pilot.pause()
                    shown = [
                        getattr(key, "description", "")
                        for key in app.query_one(Footer).walk_children()
                        if key.region.right <= width
                    ]
                    assert "Move" in shown, shown
            lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
            assert any("spread" in line for line in lines), "the ladder did not come back"
        assert app.return_code in (0, None)
