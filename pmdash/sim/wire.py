"""Market-channel and CLOB REST payloads in the real wire format (PROTOCOLS §1.4, §6.1).

Every number is a string; prices and sizes are written exactly from micro-units ("0.5", "340.5").
Book levels go out as the real server orders them: bids ascending, asks descending (best last).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pmdash.feeds.clob_rest import book_hash
from pmdash.models import Level
from pmdash.sim.book import Change, MarketBook, mirror_price, mirror_side
from pmdash.sim.markets import SimMarket
from pmdash.units import to_decimal_str

MIN_ORDER_SIZE = "5"

Json = dict[str, Any]


_price_strs: dict[int | None, str] = {}


def price_str(units: int | None) -> str:
    """``to_decimal_str`` for prices, cached (few distinct prices; on the hot path)."""
    try:
        return _price_strs[units]
    except KeyError:
        text = _price_strs[units] = to_decimal_str(units)
        return text


def _levels(levels: list[Level]) -> list[dict[str, str]]:
    """Best-first levels as the wire's worst-first list of {price, size}."""
    return [{"price": price_str(p), "size": to_decimal_str(s)} for p, s in reversed(levels)]


def book_summary(market: SimMarket, outcome: int, book: MarketBook, ts: int) -> Json:
    """The ``GET /book`` body for one token, with the server hash (PROTOCOLS §6.1)."""
    bids, asks = book.view(outcome)
    summary: Json = {
        "market": market.condition_id,
        "asset_id": market.token_ids[outcome],
        "timestamp": str(ts),
        "hash": "",
        "bids": _levels(bids),
        "asks": _levels(asks),
        "min_order_size": MIN_ORDER_SIZE,
        "tick_size": to_decimal_str(book.tick),
        "neg_risk": False,
        "last_trade_price": price_str(book.last_trade_of(outcome)),
    }
    summary["hash"] = book_hash(summary)
    return summary


def book_event(market: SimMarket, outcome: int, book: MarketBook, ts: int) -> Json:
    """A ``book`` event: the /book summary (same hash) tagged ``event_type``."""
    return {"event_type": "book", **book_summary(market, outcome, book, ts)}


def _entry_hash(asset_id: str, price: str, size: str, side: str, ts: int) -> str:
    # The real semantics of price_changes[].hash are unconfirmed (PROTOCOLS §8.5); this is an
    # opaque 40-hex id of the change, not a hash clients can recompute.
    return hashlib.sha1(f"{asset_id}:{price}:{size}:{side}:{ts}".encode()).hexdigest()


def price_change(market: SimMarket, book: MarketBook, changes: list[Change], ts: int) -> Json:
    """One ``price_change`` for a market: each outcome-0 change plus its mirrored outcome-1
    entry. ``best_bid``/``best_ask`` are each asset's touch after the whole message."""
    yes, no = market.token_ids
    touch = (book.touch(0), book.touch(1))
    best = [(price_str(b), price_str(a)) for b, a in touch]
    entries: list[Json] = []
    for side, price, size in changes:
        size_s = to_decimal_str(size)
        for outcome, asset, p, sd in ((0, yes, price, side),
                                      (1, no, mirror_price(price), mirror_side(side))):
            price_s = price_str(p)
            entries.append({
                "asset_id": asset,
                "price": price_s,
                "size": size_s,
                "side": sd,
                "hash": _entry_hash(asset, price_s, size_s, sd, ts),
                "best_bid": best[outcome][0],
                "best_ask": best[outcome][1],
            })
    return {
        "event_type": "price_change",
        "market": market.condition_id,
        "price_changes": entries,
        "timestamp": str(ts),
    }


def last_trade_price(market: SimMarket, outcome: int, price: int, size: int, side: str,
                     ts: int, tx_hash: str) -> Json:
    return {
        "event_type": "last_trade_price",
        "asset_id": market.token_ids[outcome],
        "market": market.condition_id,
        "price": price_str(price),
        "size": to_decimal_str(size),
        "side": side,
        "fee_rate_bps": market.fee_rate_bps,
        "timestamp": str(ts),
        "transaction_hash": tx_hash,
    }


def tick_size_change(market: SimMarket, outcome: int, old: int, new: int, ts: int) -> Json:
    return {
        "event_type": "tick_size_change",
        "asset_id": market.token_ids[outcome],
        "market": market.condition_id,
        "old_tick_size": to_decimal_str(old),
        "new_tick_size": to_decimal_str(new),
        "timestamp": str(ts),
    }


def best_bid_ask(market: SimMarket, outcome: int, book: MarketBook, ts: int) -> Json:
    bid, ask = book.touch(outcome)
    spread = "" if bid is None or ask is None else to_decimal_str(ask - bid)
    return {
        "event_type": "best_bid_ask",
        "market": market.condition_id,
        "asset_id": market.token_ids[outcome],
        "best_bid": price_str(bid),
        "best_ask": price_str(ask),
        "spread": spread,
        "timestamp": str(ts),
    }


def event_identity(market: SimMarket) -> Json:
    """The event a market belongs to, as the channel's ``event_message`` names it; Gamma's
    event objects start with the same five fields."""
    return {
        "id": market.event_id,
        "ticker": market.event_slug,
        "slug": market.event_slug,
        "title": market.event_title,
        "description": market.description,
    }


def _announcement(event_type: str, market: SimMarket, ts: int, **middle: object) -> Json:
    """The fields ``new_market`` and ``market_resolved`` share, in the server's order, with
    ``middle`` (the event's own fields) between the outcomes and the event message."""
    return {
        "event_type": event_type,
        "id": market.gamma_id,
        "question": market.question,
        "market": market.condition_id,
        "slug": market.slug,
        "description": market.description,
        "assets_ids": list(market.token_ids),
        "outcomes": list(market.outcomes),
        **middle,
        "event_message": event_identity(market),
        "timestamp": str(ts),
        "tags": list(market.tags),
    }


def new_market(market: SimMarket, tick: int, ts: int) -> Json:
    return {
        **_announcement("new_market", market, ts),
        "condition_id": market.condition_id,
        "active": market.active,
        "clob_token_ids": list(market.token_ids),
        "sports_market_type": "",
        "line": "",
        "game_start_time": "",
        "order_price_min_tick_size": to_decimal_str(tick),
        "group_item_title": market.group_item_title,
    }


def market_resolved(market: SimMarket, winner: int, ts: int) -> Json:
    return _announcement(
        "market_resolved",
        market,
        ts,
        winning_asset_id=market.token_ids[winner],
        winning_outcome=market.outcomes[winner],
    )
