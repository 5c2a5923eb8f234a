"""Hostile input to every codec of the new feeds (user, PolyBolt, RTDS, sports, Polymarket US,
the account and book REST bodies): nothing raises out of a decoder, whatever a server sends
(nesting deeper than the parser's recursion limit, lone surrogates, bytes that are not UTF-8,
numbers out of range), and everything decoded can be written as ``tail`` writes it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmdash.feeds import (
    account_rest,
    clob_rest,
    gamma,
    market,
    polybolt,
    rtds,
    sports,
    us_markets,
    us_private,
    us_rest,
    user,
)
from pmdash.jsonout import event_to_json
from pmdash.models import FeedError

DECODERS: dict[str, Callable[[Any], Any]] = {
    "market": market.decode,
    "user": user.decode,
    "polybolt": polybolt.decode,
    "rtds": rtds.decode,
    "sports": sports.decode,
    "us-markets": us_markets.decode,
    "us-private": us_private.decode,
    "user-rest balance": account_rest.decode_balance,
    "user-rest page": account_rest.read_page,
    "user-rest orders": account_rest.decode_orders,
    "user-rest trades": account_rest.decode_trades,
    "user-rest positions": account_rest.decode_positions,
    "clob books": clob_rest.decode_books,
    "gamma market": gamma.decode_market,
    "gamma markets": gamma.decode_markets,
    "gamma search": gamma.decode_search,
    "gamma event": gamma.decode_event,
    "us positions": us_rest.decode_positions,
    "us market": us_rest.decode_market,
    "us search": us_rest.decode_search,
    "us book": us_rest.decode_book,
    "us open orders": us_rest.decode_open_orders,
    "us balances": us_rest.decode_balances,
}

DEPTH = 100_000
HOSTILE: dict[str, str | bytes] = {
    "nested arrays": "[" * DEPTH + "]" * DEPTH,
    "nested objects": '{"a":' * DEPTH + "1" + "}" * DEPTH,
    "nested in a field": '{"event_type":"order","id":' + "[" * DEPTH + "]" * DEPTH + "}",
    "escaped lone surrogate": '{"topic":"crypto_prices","type":"update","payload":'
    '{"symbol":"\\ud800btc","value":1,"timestamp":1}}',
    "lone surrogate in a str": '{"question":"\ud800"}',
    "not UTF-8": b'{"a":"\xff\xfe"}',
    "empty": "",
    "blank": " \n",
    "null": "null",
    "huge number": "1e400",
    "huge integer in a field": '{"price":' + "9" * 5000 + "}",
    "100,000 digits": "9" * 100_000,
    "NaN": '{"value":NaN}',
    "a thousand empty objects": "[" + ",".join(["{}"] * 1000) + "]",
    "a string": '"PING"',
}


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, list | tuple) and not hasattr(value, "__struct_fields__"):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _written(value: Any) -> None:
    """What ``tail`` would write of ``value``: every event as JSON, valid UTF-8."""
    for leaf in _leaves(value):
        if isinstance(leaf, str | int | None):  # a cursor, a count
            continue
        if isinstance(leaf, FeedError):
            assert leaf.message and leaf.feed
        data = event_to_json(leaf) if hasattr(leaf, "feed") else leaf
        msgspec.json.encode(data).decode("utf-8")


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("codec", sorted(DECODERS))
def test_no_hostile_body_raises_out_of_a_codec(codec: str, name: str) -> None:
    _written(DECODERS[codec](HOSTILE[name]))


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["event_type", "type", "topic", "payload", "price", "size", "id",
                             "asset_id", "market", "value", "symbol", "score", "gameId",
                             "homeTeam", "status", "requestId", "marketData", "orders",
                             "balance", "data", "side", "timestamp", "question"]) | st.text(),
            inner, max_size=5),
        max_leaves=12,
    )


@settings(max_examples=150, deadline=None)
@given(_json_values(), st.sampled_from(sorted(DECODERS)))
def test_no_json_value_raises_out_of_a_codec(value: Any, codec: str) -> None:
    _written(DECODERS[codec](json.dumps(value)))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64), st.sampled_from(sorted(DECODERS)))
def test_no_bytes_raise_out_of_a_codec(frame: bytes, codec: str) -> None:
    _written(DECODERS[codec](frame))
