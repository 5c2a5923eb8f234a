"""Gamma Market and Event objects in the real shape (PROTOCOLS §6.2).

``outcomes``, ``outcomePrices`` and ``clobTokenIds`` are JSON-encoded strings, as Gamma sends
them; prices such as ``bestBid`` are JSON numbers. Each simulated market has its own event.
"""

from __future__ import annotations

import json
from typing import Any

from pmdash.sim.book import MarketBook
from pmdash.sim.markets import SimMarket
from pmdash.sim.wire import event_identity
from pmdash.units import SCALE, to_decimal_str

Json = dict[str, Any]


def _num(units: int | None) -> float | None:
    return None if units is None else units / SCALE


def outcome_prices(market: SimMarket, book: MarketBook) -> list[str]:
    """YES/NO display prices: 1/0 once resolved, else the midpoint (or last trade, or 0.5)."""
    if market.closed:
        won = market.outcomes.index(market.winning_outcome) if market.winning_outcome else 0
        return ["1", "0"] if won == 0 else ["0", "1"]
    yes = book.mid()
    if yes is None:
        yes = book.last_trade if book.last_trade is not None else SCALE // 2
    return [to_decimal_str(yes), to_decimal_str(SCALE - yes)]


def _liquidity(book: MarketBook) -> float:
    notional = sum(p * s for p, s in book.bids.items())
    notional += sum((SCALE - p) * s for p, s in book.asks.items())
    return round(notional / SCALE / SCALE, 4)


def _event_stub(market: SimMarket) -> Json:
    game = {} if market.game_id is None else {"gameId": market.game_id}  # a number, as Gamma's
    return {
        **event_identity(market),
        **game,
        "startDate": market.created_at,
        "creationDate": market.created_at,
        "endDate": market.end_date,
        "active": market.active,
        "closed": market.closed,
        "archived": False,
        "new": False,
        "featured": False,
        "restricted": True,
        "enableOrderBook": True,
        "negRisk": False,
        "commentCount": 0,
    }


def market_json(market: SimMarket, book: MarketBook) -> Json:
    bid, ask = book.touch(0)
    volume = round(book.volume / SCALE, 6)
    liquidity = _liquidity(book)
    spread = None if bid is None or ask is None else _num(ask - bid)
    return {
        "id": market.gamma_id,
        "question": market.question,
        "conditionId": market.condition_id,
        "slug": market.slug,
        "resolutionSource": "",
        "endDate": market.end_date,
        "liquidity": str(liquidity),
        "startDate": market.created_at,
        "image": "",
        "icon": "",
        "description": market.description,
        "outcomes": json.dumps(list(market.outcomes)),
        "outcomePrices": json.dumps(outcome_prices(market, book)),
        "volume": str(volume),
        "active": market.active,
        "closed": market.closed,
        "marketMakerAddress": "",
        "createdAt": market.created_at,
        "updatedAt": market.created_at,
        "new": False,
        "featured": False,
        "archived": False,
        "restricted": True,
        "groupItemTitle": market.group_item_title,
        "groupItemThreshold": "0",
        "questionID": "0x" + market.condition_id[2:][::-1],
        "enableOrderBook": True,
        "orderPriceMinTickSize": _num(book.tick),
        "orderMinSize": 5,
        "volumeNum": volume,
        "liquidityNum": liquidity,
        "endDateIso": market.end_date[:10],
        "startDateIso": market.created_at[:10],
        "clobTokenIds": json.dumps(list(market.token_ids)),
        "acceptingOrders": not market.closed,
        "negRisk": False,
        "events": [_event_stub(market)],
        "spread": spread,
        "lastTradePrice": _num(book.last_trade) or 0,
        "bestBid": _num(bid),
        "bestAsk": _num(ask),
        "umaResolutionStatuses": "[]",
        "feesEnabled": market.fee_rate_bps != "0",
        **({} if market.game_id is None else {"gameId": str(market.game_id)}),  # a string here
    }


def event_json(market: SimMarket, book: MarketBook) -> Json:
    event = _event_stub(market)
    event["liquidity"] = _liquidity(book)
    event["volume"] = round(book.volume / SCALE, 6)
    event["tags"] = [{"id": str(1000 + i), "label": t.replace("-", " ").title(), "slug": t}
                     for i, t in enumerate(market.tags)]
    event["markets"] = [market_json(market, book)]
    return event
