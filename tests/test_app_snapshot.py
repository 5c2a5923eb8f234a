"""The whole dashboard with fixed data: layout, header, ladder, tape, market list, status bar."""

from __future__ import annotations

from conftest import dashboard_app

from pmdash.app import PmdashApp
from pmdash.models import (
    BookSnapshot,
    FeedStatus,
    MarketInfo,
    MarketResolved,
    Trade,
)

NOW_MS = 1_767_364_200_000
YES, NO = "1" * 77, "2" * 77
YES2, NO2 = "3" * 77, "4" * 77
MARKETS = [
    MarketInfo(
        condition_id="0x" + "a" * 64,
        question="Will the Fed cut rates in December?",
        slug="fed-cut-december",
        token_ids=(YES, NO),
        outcomes=("Yes", "No"),
    ),
    MarketInfo(
        condition_id="0x" + "b" * 64,
        question="Bitcoin Up or Down - October 2, 10:30PM ET",
        slug="btc-updown-5m-1790994600",
        token_ids=(YES2, NO2),
        outcomes=("Up", "Down"),
    ),
]


Levels = list[tuple[int, int]]


def _book(asset: str, market: str, bids: Levels, asks: Levels) -> BookSnapshot:
    return BookSnapshot(
        feed="market",
        asset_id=asset,
        market=market,
        bids=tuple(bids),
        asks=tuple(asks),
        timestamp=NOW_MS,
        tick_size=10_000,
    )


def _events() -> list:  # type: ignore[type-arg]
    fed, btc = MARKETS[0].condition_id, MARKETS[1].condition_id
    bids = [(620_000 - i * 10_000, (100 + 37 * i) * 1_000_000) for i in range(12)]
    asks = [(650_000 + i * 10_000, (80 + 53 * i) * 1_000_000) for i in range(12)]
    no_bids = [(1_000_000 - p, s) for p, s in asks]
    no_asks = [(1_000_000 - p, s) for p, s in bids]
    trades = [
        Trade(
            feed="market",
            asset_id=YES,
            market=fed,
            price=630_000 + (i % 3) * 10_000,
            size=(25 + i * 11) * 1_000_000,
            side="BUY" if i % 2 else "SELL",
            timestamp=NOW_MS - i * 1_500,
        )
        for i in reversed(range(8))
    ]
    return [
        _book(YES, fed, bids, asks),
        _book(NO, fed, no_bids, no_asks),
        _book(YES2, btc, [(480_000, 10_000_000)], [(520_000, 12_000_000)]),
        _book(NO2, btc, [(480_000, 12_000_000)], [(520_000, 10_000_000)]),
        *trades,
        MarketResolved(
            feed="market",
            id="1",
            market=btc,
            asset_ids=(YES2, NO2),
            winning_asset_id=YES2,
            winning_outcome="Up",
            timestamp=NOW_MS,
        ),
    ]


LIVE = FeedStatus(
    feed="market",
    state="live",
    frames=4_210,
    frames_per_s=42.0,
    last_frame_age_s=0.2,
    latency_ms=38.0,
)


def dashboard() -> PmdashApp:
    """The real App with no sockets and fixed data in its store."""
    return dashboard_app(MARKETS, events=_events(), status=LIVE)


def test_dashboard_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: the market list on the left (the Fed market highlighted, the Bitcoin one
    marked resolved), a header for "Will the Fed cut rates in December?" (Yes, bid 0.62, ask
    0.65, spread 0.03), a ladder with 12 asks above and 12 bids below a spread line, a tape of 8
    trades with green BUY and red SELL, the status bar with a green dot for the live market
    feed, and the footer keys q, ?, j/k, tab, o and t."""
    assert snap_compare(dashboard(), terminal_size=(150, 40))


def test_dashboard_snapshot_resolved_market(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: the Bitcoin market selected (j), its header with a RESOLVED badge naming
    "Up" as the winner and "book final", and a one-level ladder under a green RESOLVED banner
    (the book as it closed), drawn in muted colours."""
    assert snap_compare(dashboard(), terminal_size=(150, 40), press=["j"])
