"""One level per price in a book snapshot.

A server that lists one price twice in a ``book`` (``0.5``, ``0.50`` and ``.5`` all parse to
the same price) sends a book no real order book has: each price is one aggregate level. The
codec keeps one level per price (the first of each in best-first order) and reports the frame
with a ``FeedError`` beside the snapshot, so the duplicates are neither printed nor drawn twice
nor silently dropped. The error does not distrust the book (it is taken, one level per price):
asking the same server for the book again would give the same duplicates.
"""

from __future__ import annotations

from pmdash.models import BookSnapshot, FeedError, Level, MarketEvent
from pmdash.units import fmt_price


def _duplicated(levels: tuple[Level, ...]) -> bool:
    return len(levels) > 1 and len({price for price, _ in levels}) != len(levels)


def _one_per_price(levels: tuple[Level, ...]) -> tuple[tuple[Level, ...], list[int]]:
    """The levels with each price once (first kept) and the prices that were repeated."""
    seen: dict[int, None] = {}
    repeated: dict[int, None] = {}
    kept: list[Level] = []
    for level in levels:
        price = level[0]
        if price in seen:
            repeated[price] = None
            continue
        seen[price] = None
        kept.append(level)
    return tuple(kept), list(repeated)


def _fixed(book: BookSnapshot) -> tuple[BookSnapshot, FeedError]:
    bids, bid_dups = _one_per_price(book.bids)
    asks, ask_dups = _one_per_price(book.asks)
    parts = [
        f"{side} {', '.join(fmt_price(price) for price in dups[:5])}"
        + (" ..." if len(dups) > 5 else "")
        for side, dups in (("bids", bid_dups), ("asks", ask_dups))
        if dups
    ]
    error = FeedError(
        feed=book.feed,
        message=(
            f"book for {book.asset_id[:80]} lists a price more than once ({'; '.join(parts)}): "
            "kept one level per price"
        ),
    )
    fixed = BookSnapshot(
        feed=book.feed,
        asset_id=book.asset_id,
        market=book.market,
        bids=bids,
        asks=asks,
        timestamp=book.timestamp,
        hash=book.hash,
        tick_size=book.tick_size,
        last_trade_price=book.last_trade_price,
    )
    return fixed, error


def one_level_per_price(events: list[MarketEvent]) -> list[MarketEvent]:
    """``events`` with every snapshot that repeats a price replaced by one that does not,
    followed by a ``FeedError`` saying which prices were repeated. The list itself when no
    snapshot repeats one (the common case costs a type check per event, and a set per book)."""
    for event in events:
        if type(event) is BookSnapshot and (_duplicated(event.bids) or _duplicated(event.asks)):
            break
    else:
        return events
    out: list[MarketEvent] = []
    for event in events:
        if type(event) is BookSnapshot and (_duplicated(event.bids) or _duplicated(event.asks)):
            fixed, error = _fixed(event)
            out.append(fixed)
            out.append(error)
        else:
            out.append(event)
    return out
