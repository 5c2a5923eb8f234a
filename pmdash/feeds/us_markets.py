"""Codec of the Polymarket US markets socket ``/v1/ws/markets`` (PROTOCOLS §5.2, §5.3).

Frames dispatch on their top-level key, in the SDK's order: ``heartbeat`` -> ``error`` ->
payload. ``marketData`` (a full book: it replaces the local one) becomes a ``BookSnapshot``,
``marketDataLite`` a ``BestBidAsk``, ``trade`` a ``Trade``; the market slug is both the market
and the asset id, so US books and trades go into the same ladder and tape as the CLOB's.
A heartbeat yields nothing; an ``error`` frame, or anything malformed, a ``FeedError``.
Pure and sans-I/O; never raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from pmdash.feeds import us_wire
from pmdash.feeds.us_wire import Amount
from pmdash.models import BestBidAsk, BookSnapshot, Event, FeedError, Level, Trade, UnknownEvent

FEED = "us-markets"
MARKET_DATA = "SUBSCRIPTION_TYPE_MARKET_DATA"
MARKET_DATA_LITE = "SUBSCRIPTION_TYPE_MARKET_DATA_LITE"
TRADE = "SUBSCRIPTION_TYPE_TRADE"
TYPES = (MARKET_DATA, MARKET_DATA_LITE, TRADE)


class BookLevel(msgspec.Struct, frozen=True, gc=False):
    px: Amount
    qty: us_wire.Number


class Stats(msgspec.Struct, frozen=True, gc=False):
    lastTradePx: Amount | None = None
    sharesTraded: Decimal | None = None
    openInterest: Decimal | None = None
    highPx: Amount | None = None
    lowPx: Amount | None = None


class MarketData(msgspec.Struct, frozen=True, gc=False):
    marketSlug: str
    bids: list[BookLevel] | None = None
    offers: list[BookLevel] | None = None
    state: str = ""
    stats: Stats | None = None
    transactTime: str | None = None


class MarketDataLite(msgspec.Struct, frozen=True, gc=False):
    marketSlug: str
    bestBid: Amount | None = None
    bestAsk: Amount | None = None
    lastTradePx: Amount | None = None
    currentPx: Amount | None = None
    bidDepth: int | None = None
    askDepth: int | None = None
    sharesTraded: Decimal | None = None
    openInterest: Decimal | None = None
    transactTime: str | None = None


class TradeSide(msgspec.Struct, frozen=True, gc=False):
    side: str = ""
    intent: str = ""


class UsTrade(msgspec.Struct, frozen=True, gc=False):
    marketSlug: str
    price: Amount
    quantity: Amount | us_wire.Number
    """An Amount per the docs and both SDKs; a bare number or string taken too."""
    tradeTime: str | None = None
    maker: TradeSide | None = None
    taker: TradeSide | None = None


class MarketsFrame(us_wire.Envelope, frozen=True, gc=False):
    marketData: MarketData | None = None
    marketDataLite: MarketDataLite | None = None
    trade: UsTrade | None = None


_PAYLOAD_KEYS = frozenset({"requestId", "subscriptionType", "heartbeat", "error",
                           "marketData", "marketDataLite", "trade"})


def subscribe(request_id: str, subscription_type: str, slugs: Sequence[str]) -> str:
    """One subscription (at most 100 slugs: split larger sets with ``us_wire.chunks``)."""
    if subscription_type not in TYPES:
        raise ValueError(f"not a markets subscription type: {subscription_type!r}")
    return us_wire.subscribe(request_id, subscription_type, slugs)


unsubscribe = us_wire.unsubscribe


def decode(frame: str | bytes) -> list[Event]:
    """One frame -> events (``[]`` for a heartbeat). Never raises."""
    return us_wire.decode(FEED, frame, MarketsFrame, _events)


def _events(msg: MarketsFrame, frame: str | bytes) -> list[Event]:
    if msg.marketData is not None:
        return [book_of(msg.marketData)]
    if msg.marketDataLite is not None:
        return [_bbo(msg.marketDataLite)]
    if msg.trade is not None:
        return [_trade(msg.trade)]
    return [_unknown(frame)]


def _levels(levels: list[BookLevel] | None, side: str, best_first_desc: bool) -> tuple[Level, ...]:
    out: dict[int, int] = {}
    for i, level in enumerate(levels or ()):
        px = us_wire.price(level.px, f"{side}[{i}].px")
        qty = us_wire.size(level.qty, f"{side}[{i}].qty")
        if qty:
            out[px] = out.get(px, 0) + qty
    return tuple(sorted(out.items(), reverse=best_first_desc))


def book_of(data: MarketData) -> BookSnapshot:
    """A ``marketData`` payload (socket or REST ``/book``) as a full book."""
    last = data.stats.lastTradePx if data.stats is not None else None
    return BookSnapshot(
        feed=FEED,
        asset_id=data.marketSlug,
        market=data.marketSlug,
        bids=_levels(data.bids, "bids", True),
        asks=_levels(data.offers, "offers", False),
        timestamp=us_wire.rfc3339_ms(data.transactTime),
        last_trade_price=us_wire.optional_price(last, "stats.lastTradePx"),
    )


def _bbo(lite: MarketDataLite) -> BestBidAsk:
    bid = us_wire.optional_price(lite.bestBid, "bestBid")
    ask = us_wire.optional_price(lite.bestAsk, "bestAsk")
    return BestBidAsk(
        feed=FEED,
        asset_id=lite.marketSlug,
        market=lite.marketSlug,
        best_bid=bid,
        best_ask=ask,
        spread=ask - bid if bid is not None and ask is not None else None,
        timestamp=us_wire.rfc3339_ms(lite.transactTime),
    )


def _trade(trade: UsTrade) -> Trade:
    qty = trade.quantity.value if isinstance(trade.quantity, Amount) else trade.quantity
    taker = trade.taker.side if trade.taker is not None and trade.taker.side else None
    return Trade(
        feed=FEED,
        asset_id=trade.marketSlug,
        market=trade.marketSlug,
        price=us_wire.price(trade.price, "price"),
        size=us_wire.size(qty, "quantity"),
        side=us_wire.side_of(taker) if taker else None,
        timestamp=us_wire.rfc3339_ms(trade.tradeTime),
    )


def _unknown(frame: str | bytes) -> Event:
    data = us_wire.load(FEED, frame, dict[str, Any])
    if isinstance(data, FeedError):
        return data
    keys = [k for k in data if k not in _PAYLOAD_KEYS]
    if not keys:
        return us_wire.error(FEED, "frame without a payload", frame)
    return UnknownEvent(feed=FEED, event_type=keys[0], data=data)
