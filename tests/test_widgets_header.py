"""MarketHeader: a live market and a resolved one."""

from __future__ import annotations

from widget_apps.header_app import LIVE, RESOLVED, HeaderApp

from pmdash.widgets.market_header import MarketHeader


def test_header_live(snap_compare) -> None:
    """Border title "fed-cut-march-2026"; the question in bold; then a "Yes" badge, bid 0.49
    ask 0.51 spread 0.02 mid 0.50 last 0.50 BUY (green) tick 0.01, and "book live · heals 0" at
    the right."""
    assert snap_compare(HeaderApp(LIVE), terminal_size=(100, 4))


def test_header_resolved(snap_compare) -> None:
    """A green "RESOLVED: No" badge at the right of the question; "No" badge, bid/ask/spread/mid
    "-", last 0.999 SELL (red), tick 0.001, and "book desynced · heals 2" in red."""
    assert snap_compare(HeaderApp(RESOLVED), terminal_size=(100, 4))


def test_header_narrow(snap_compare) -> None:
    """At 60 columns the question ends in "…"; the prices line shows "Yes", bid 0.49, ask 0.51
    and last 0.50 BUY (no spread, mid or tick: the ladder's middle line has spread and mid),
    and "live" alone at the right."""
    assert snap_compare(HeaderApp(LIVE), terminal_size=(60, 4))


async def test_narrow_header_keeps_prices_and_the_book_state() -> None:
    """When the prices and "book <state> · heals N" do not both fit, the heal count and the
    word "book" go first, then spread, mid and tick; bid, ask and the last trade stay, and the
    state itself always stays (it says whether to trust the prices)."""
    for data, width, state in ((LIVE, 60, "live"), (RESOLVED, 46, "desynced")):
        app = HeaderApp(data)
        async with app.run_test(size=(width, 4)) as pilot:
            await pilot.pause()
            header = app.query_one(MarketHeader)
            line = header.render_line(1).text
            assert line.rstrip().endswith(state), line
            assert len(line) == header.size.width
            words = line.split()
            assert "bid" in words and "ask" in words and "last" in words, line
            assert not {"heals", "book", "spread", "mid", "tick"} & set(words), line
    app = HeaderApp(LIVE)
    async with app.run_test(size=(100, 4)) as pilot:
        await pilot.pause()
        line = app.query_one(MarketHeader).render_line(1).text
        assert "spread 0.02" in line and "mid 0.50" in line and "tick 0.01" in line
        assert line.rstrip().endswith("book live · heals 0")


async def test_the_last_trade_stays_as_the_header_narrows() -> None:
    """Between the compact line and a cut one, the side word goes, then the bid/ask labels
    ("0.49/0.51"), so the last trade is shown down to a 34-cell header (a 60-column screen
    with the market list): below 100 columns the tape is hidden and this is all there is."""
    seen = {}
    for width in range(52, 35, -1):
        app = HeaderApp(LIVE)
        async with app.run_test(size=(width, 4)) as pilot:
            await pilot.pause()
            header = app.query_one(MarketHeader)
            line = header.render_line(1).text
            seen[header.size.width] = line
        assert "last 0.50" in line and "…" not in line, (width, line)
        assert line.rstrip().endswith("live"), line
    assert min(seen) == 34
    assert "bid 0.49" in seen[50] and "BUY" in seen[50]
    assert "0.49/0.51" in seen[34] and "BUY" not in seen[34]
