"""REST bodies: CLOB ``GET /book`` / ``POST /books`` and Gamma markets, events and search."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmdash.feeds import clob_rest, gamma
from pmdash.models import BookSnapshot, FeedError, MarketInfo

TOKEN = "5211431950124591551605510604688420996992612748282795467444384642781381322242"
BOOK = {
    "market": "0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af",
    "asset_id": TOKEN,
    "timestamp": "1790909400123",
    "hash": "9d6d9e8831a150ac4cd878f99f7b2c6d419b875f",
    "bids": [{"price": "0.15", "size": "100"}, {"price": "0.49", "size": "310.2"}],
    "asks": [{"price": "0.99", "size": "5000"}, {"price": ".52", "size": "75"}],
    "min_order_size": "5",
    "tick_size": "0.01",
    "neg_risk": False,
    "last_trade_price": "0.50",
}


def body(value: Any) -> str:
    return json.dumps(value)


# --- CLOB /book ----------------------------------------------------------------------------


def one_book(text: str | bytes) -> BookSnapshot | FeedError:
    """The one result of a body holding one book summary (``GET /book``)."""
    (result,) = clob_rest.decode_books(text)
    return result


def test_book_body_normalised_best_first() -> None:
    snap = one_book(body(BOOK))
    assert isinstance(snap, BookSnapshot)
    assert snap.feed == "rest"
    assert snap.bids == ((490_000, 310_200_000), (150_000, 100_000_000))
    assert snap.asks == ((520_000, 75_000_000), (990_000, 5_000_000_000))
    assert (snap.tick_size, snap.last_trade_price) == (10_000, 500_000)
    assert snap.timestamp == 1790909400123
    assert snap.hash == BOOK["hash"]
    assert one_book(body(BOOK).encode()) == snap


def test_book_404_body_names_the_server_error() -> None:
    error = one_book('{"error":"No orderbook exists for the requested token id"}')
    assert isinstance(error, FeedError)
    assert error.feed == "rest"
    assert error.message == "books: server error: 'No orderbook exists for the requested token id'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<html>502</html>", "not JSON: "),
        (body({**BOOK, "bids": [{"price": "1.2", "size": "1"}]}), "books.bids[0].price: price "),
        (body({**BOOK, "asks": [{"price": "0.5", "size": "-1"}]}), "books.asks[0].size: negative"),
        (body({**BOOK, "timestamp": "2026-01-01T00:00:00Z"}), "books.timestamp: expected `int`"),
        (body({k: v for k, v in BOOK.items() if k != "bids"}), "missing required field `bids`"),
        (body({**BOOK, "tick_size": "x"}), "books.tick_size: not a decimal number: 'x'"),
    ],
)
def test_bad_book_bodies(text: str, expected: str) -> None:
    error = one_book(text)
    assert isinstance(error, FeedError)
    assert expected in error.message
    assert error.sample == text[:120]


def test_books_body_salvages_each_summary() -> None:
    other = {**BOOK, "asset_id": "1", "asks": [{"price": "7", "size": "1"}]}
    results = clob_rest.decode_books(body([BOOK, other, {"error": "gone"}]))
    assert [type(r) for r in results] == [BookSnapshot, FeedError, FeedError]
    assert results[1].message == "books[1].asks[0].price: price outside [0, 1]: '7'"
    assert results[2].message == "books[2]: server error: 'gone'"
    assert isinstance(clob_rest.decode_books("{"), list)


def test_book_hash_ignores_key_order_and_the_hash_field() -> None:
    shuffled = dict(reversed(list(BOOK.items())))
    assert clob_rest.book_hash(shuffled) == clob_rest.book_hash({**BOOK, "hash": "anything"})
    assert len(clob_rest.book_hash(BOOK)) == 40


# --- Gamma ---------------------------------------------------------------------------------


def market(**over: Any) -> dict[str, Any]:
    m = {
        "id": "516724",
        "question": "Will the Fed cut rates in December?",
        "slug": "fed-cut-december",
        "conditionId": "0x8e9b6942b4dac3117dadfacac2edb390b6d62d59c14152774bb5fcd983fc134e",
        "outcomes": '["Yes", "No"]',
        "outcomePrices": '["0.62", "0.38"]',
        "clobTokenIds": '["1234", "5678"]',
        "enableOrderBook": True,
        "active": True,
        "closed": False,
        "orderPriceMinTickSize": 0.01,
        "orderMinSize": 5,
        "negRisk": False,
    }
    m.update(over)
    return m


def test_market_json_encoded_lists() -> None:
    info = gamma.decode_market(body(market()))
    assert info == MarketInfo(
        condition_id=market()["conditionId"],
        question="Will the Fed cut rates in December?",
        slug="fed-cut-december",
        token_ids=("1234", "5678"),
        outcomes=("Yes", "No"),
        tick_size=10_000,
        active=True,
        closed=False,
        gamma_id="516724",
        outcome_prices=(620_000, 380_000),
    )
    assert info.outcome_of("5678") == "No"


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        ('["0.9995", "0.0005"]', (999_500, 500)),  # as in the real bodies
        ('["1", "0"]', (1_000_000, 0)),  # resolved
        (["0.62", "0.38"], (620_000, 380_000)),  # a real list
        ('["0.4350000000000001", "0.5649999999999999"]', (435_000, 565_000)),  # computed
        ('["0.62"]', ()),  # one price for two outcomes
        ('["0.62", "1.5"]', ()),  # not a price
        ('["0.62", "NaN"]', ()),
        ('["0.62", 0.38]', ()),  # an item that is not a string
        ('["0.62", ', ()),  # not JSON
        ("", ()),
        (None, ()),
    ],
)
def test_outcome_prices_are_shown_or_dropped_never_the_market(
    prices: Any, expected: tuple[int, ...]
) -> None:
    """Gamma's outcome prices are only shown (``pmdash search``): a list that cannot be used
    costs the prices, never the market."""
    info = gamma.decode_market(body(market(outcomePrices=prices)))
    assert isinstance(info, MarketInfo)
    assert info.token_ids == ("1234", "5678")
    assert info.outcome_prices == expected


def test_market_real_lists_string_tick_and_integer_id() -> None:
    info = gamma.decode_market(
        body(market(clobTokenIds=["1", "2"], outcomes=["A", "B"], orderPriceMinTickSize="0.001",
                    id=77, closed=True))
    )  # fmt: skip
    assert isinstance(info, MarketInfo)
    assert (info.token_ids, info.outcomes) == (("1", "2"), ("A", "B"))
    assert (info.tick_size, info.gamma_id, info.closed) == (1_000, "77", True)


def test_market_defaults_when_optional_fields_are_missing() -> None:
    m = market()
    for key in ("outcomes", "orderPriceMinTickSize", "active", "closed", "question"):
        del m[key]
    info = gamma.decode_market(body(m))
    assert isinstance(info, MarketInfo)
    assert (info.outcomes, info.tick_size, info.active, info.closed) == ((), 10_000, True, False)
    assert info.question == ""


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({"enableOrderBook": False}, "market fed-cut-december: not order-book enabled"),
        ({"clobTokenIds": None}, "not order-book enabled (no clobTokenIds)"),
        ({"clobTokenIds": "[]"}, "not order-book enabled (no clobTokenIds)"),
        ({"clobTokenIds": '["1", '}, "market fed-cut-december: clobTokenIds: not a JSON list"),
        ({"clobTokenIds": "[1, 2]"}, "clobTokenIds: an item is a JSON number, not a string: 1"),
        ({"clobTokenIds": {"a": 1}}, "clobTokenIds: a JSON object, not a list"),
        ({"outcomes": '["Yes", "No", "Maybe"]'}, "3 outcomes for 2 clobTokenIds"),
        ({"conditionId": ""}, "no conditionId"),
        ({"orderPriceMinTickSize": 0}, "orderPriceMinTickSize: not a tick in (0, 1]: 0"),
        ({"orderPriceMinTickSize": 5}, "orderPriceMinTickSize: price outside [0, 1]"),
        ({"orderPriceMinTickSize": True}, "orderPriceMinTickSize: a JSON boolean, not a number"),
        ({"active": "yes"}, "active: a JSON string, not a boolean"),
        ({"question": ["?"]}, "question: a JSON array, not a string"),
    ],
)
def test_bad_or_unusable_market(over: dict[str, Any], expected: str) -> None:
    error = gamma.decode_market(body(market(**over)))
    assert isinstance(error, FeedError)
    assert error.feed == "gamma"
    assert expected in error.message


def test_market_body_errors() -> None:
    assert "not JSON" in gamma.decode_market("nope").message  # type: ignore[union-attr]
    assert "a JSON array, not a market object" in gamma.decode_market("[]").message  # type: ignore[union-attr]
    error = gamma.decode_market('{"error": "market not found"}')
    assert isinstance(error, FeedError)
    assert error.message == "server error: 'market not found'"


def test_markets_array_skips_non_order_book_and_reports_bad_ones() -> None:
    items = [
        market(),
        market(enableOrderBook=False, slug="amm-only"),
        market(clobTokenIds="", slug="no-tokens"),
        market(clobTokenIds="[oops", slug="broken"),
        "not a market",
        market(slug="second", clobTokenIds='["9", "8"]'),
    ]
    results = gamma.decode_markets(body(items))
    assert [type(r) for r in results] == [MarketInfo, FeedError, FeedError, MarketInfo]
    assert results[1].message.startswith("markets[3] (broken): clobTokenIds: not a JSON list")
    assert results[2].message == "markets[4]: a JSON string, not a market object"
    assert results[3].slug == "second"
    assert gamma.decode_markets("[]") == []


def test_search_flattens_event_markets() -> None:
    found = {
        "events": [
            {"id": "1", "markets": [market(slug="a")]},
            {"id": "2", "markets": [market(slug="b"), market(slug="c", enableOrderBook=False)]},
            {"id": "3"},
            {"id": "4", "markets": None},
        ],
        "tags": [],
        "profiles": [],
        "pagination": {"hasMore": False, "totalResults": 3},
    }
    results = gamma.decode_search(body(found))
    assert [r.slug for r in results if isinstance(r, MarketInfo)] == ["a", "b"]
    assert len(results) == 2
    assert gamma.decode_search('{"events": null, "pagination": {}}') == []
    assert gamma.decode_search('{"tags": []}') == []
    (error,) = gamma.decode_search(body({"events": [7]}))
    assert isinstance(error, FeedError)
    assert error.message == "events[0]: a JSON number, not an event"
    (error,) = gamma.decode_search("[]")
    assert isinstance(error, FeedError)
    assert error.message == "search: a JSON array, not an object"


def test_event_object_or_array_of_events() -> None:
    event = {"id": "9", "slug": "fed", "markets": [market(slug="x"), market(slug="y")]}
    assert [r.slug for r in gamma.decode_event(body(event))] == ["x", "y"]  # type: ignore[union-attr]
    both = gamma.decode_event(body([event, {**event, "markets": [market(slug="z")]}]))
    assert [r.slug for r in both] == ["x", "y", "z"]  # type: ignore[union-attr]
    bad = gamma.decode_event(body({"markets": [market(conditionId=None, slug="q")]}))
    assert [r.message for r in bad] == ["markets[0] (q): no conditionId"]  # type: ignore[union-attr]
    (error,) = gamma.decode_event('"event"')
    assert isinstance(error, FeedError)


# --- Never raises ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                   max_size=4),
    max_leaves=20,
)  # fmt: skip
KEYS = ["clobTokenIds", "outcomes", "conditionId", "orderPriceMinTickSize", "active", "closed",
        "id", "slug", "question", "enableOrderBook", "markets", "events"]  # fmt: skip
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DECODERS = [gamma.decode_market, gamma.decode_markets, gamma.decode_search, gamma.decode_event,
            clob_rest.decode_books]  # fmt: skip


def check(result: Any) -> None:
    for r in result if isinstance(result, list) else [result]:
        assert isinstance(r, MarketInfo | FeedError | BookSnapshot)
        if isinstance(r, FeedError):
            assert not r.message.startswith("internal"), r.message
            assert len(r.sample) <= 120


@FAST
@given(st.text(max_size=100) | st.binary(max_size=100))
def test_rest_decoders_never_raise_on_random_input(text: str | bytes) -> None:
    for decode in DECODERS:
        check(decode(text))


@FAST
@given(json_values)
def test_rest_decoders_never_raise_on_random_json(value: Any) -> None:
    for decode in DECODERS:
        check(decode(json.dumps(value)))


@FAST
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=4))
def test_gamma_never_raises_on_damaged_markets(changes: dict[str, Any]) -> None:
    damaged = market(**changes)
    check(gamma.decode_market(body(damaged)))
    check(gamma.decode_search(body({"events": [{"markets": [damaged, market()]}]})))
    check(one_book(body({**BOOK, **changes})))
