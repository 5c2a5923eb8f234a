"""Odd input in frames and bodies: a book listing a price twice, a Gamma market with a lone
surrogate, server text with bidi controls and emoji sequences, sizes too wide for the tape."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from pmdash.feeds import gamma, market
from pmdash.models import BookSnapshot, FeedError, MarketInfo
from pmdash.printable import REPLACEMENT, printable
from pmdash.units import SCALE, fmt_size_within
from tests.hostile.scripted import gamma_market


def book_frame(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> str:
    return json.dumps({
        "event_type": "book", "asset_id": "42", "market": "0xm",
        "bids": [{"price": p, "size": s} for p, s in bids],
        "asks": [{"price": p, "size": s} for p, s in asks],
        "timestamp": "1700000000000", "hash": "h",
    })  # fmt: skip


def test_a_book_listing_one_price_three_ways_keeps_one_level_and_says_so() -> None:
    frame = book_frame([("0.4", "7"), ("0.5", "10"), ("0.50", "20"), (".5", "5")],
                       [("0.6", "1"), ("0.60", "2")])
    for text in (frame, f"[{frame}]"):
        snapshot, error = market.decode(text)
        assert isinstance(snapshot, BookSnapshot) and isinstance(error, FeedError)
        assert [price for price, _ in snapshot.bids] == [500_000, 400_000]
        assert [price for price, _ in snapshot.asks] == [600_000]
        assert error.message == (
            "book for 42 lists a price more than once (bids 0.50; asks 0.60): "
            "kept one level per price"
        )
        assert not error.all_books and not error.asset_ids  # the book itself is taken


def test_a_book_with_distinct_prices_has_no_error() -> None:
    events = market.decode(book_frame([("0.4", "7"), ("0.5", "10")], [("0.6", "1")]))
    assert [type(e) for e in events] == [BookSnapshot]


def test_a_lone_surrogate_costs_its_market_only() -> None:
    body = json.dumps([gamma_market(1), gamma_market(2, "bad \ud800"), gamma_market(3)])
    decoded = gamma.decode_markets(body.encode())
    assert [type(m) for m in decoded] == [MarketInfo, FeedError, MarketInfo]
    error = decoded[1]
    assert isinstance(error, FeedError)
    assert error.message == "markets[1] (market-2): question: holds a lone surrogate " \
        "(not Unicode text)"
    json.dumps(error.message).encode("utf-8")  # printable and encodable


EMOJI = ["❤️", "✈️", "1️⃣", "🏳️‍🌈", "👍🏽", "👨‍👩‍👧", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🇺🇸"]
BIDI = ["\u202e", "\u202a", "\u2067", "\u2066", "\u2069", "\u200f", "\u061c", "\ufeff"]


def test_emoji_sequences_are_taken_apart_to_code_points_of_fixed_width() -> None:
    for emoji in EMOJI:
        shown = printable(f"Will {emoji} win?")
        assert cell_len(shown) == sum(cell_len(ch) for ch in shown), repr(shown)
        assert not any(0xFE00 <= ord(ch) <= 0xFE0F or ch == "\u200d" for ch in shown)
    assert printable("🇺🇸 ❤️ 👍🏽 1️⃣") == "US ❤ 👍 1"


def test_bidi_and_format_characters_are_replaced_like_controls() -> None:
    for control in BIDI:
        assert printable(f"a{control}b") == f"a{REPLACEMENT}b"
    assert printable("line\u2028break") == "line break"
    assert printable("plain ascii") == "plain ascii"
    text = "日本語 and é"
    assert printable(text) is text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_printable_leaves_no_control_format_or_joiner(text: str) -> None:
    shown = printable(text)
    for ch in shown:
        assert unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"), repr(ch)
        assert not 0xFE00 <= ord(ch) <= 0xFE0F
    assert printable(shown) == shown


def test_tape_sizes_shorten_with_a_unit_never_by_dropping_digits() -> None:
    assert fmt_size_within(1_234_567_890_000, 12) == "1,234,567.89"
    assert fmt_size_within(1_234_567_890_000, 9) == "1,234,568"
    assert fmt_size_within(1_234_567_890_000, 8) == "1.23M"
    assert fmt_size_within(10**13 * SCALE, 8) == "10.00T"
    assert fmt_size_within(10**13 * SCALE, 4) == "10T"
    assert fmt_size_within(999_999_999 * SCALE, 6) == "1.00B"
    assert fmt_size_within(10**30, 6) == "1,000…"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**22), st.integers(4, 16))
def test_a_shortened_size_fits_and_reads_as_its_magnitude(units: int, width: int) -> None:
    text = fmt_size_within(units, width)
    assert len(text) <= width
    if text.endswith("…"):
        return
    scale = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}.get(text[-1], 1)
    digits = text.rstrip("KMBT").replace(",", "")
    decimals = len(digits.partition(".")[2])
    # Rounded to the last digit shown, never cut: within half of it.
    assert abs(float(digits) * scale - units / SCALE) <= 0.5001 * 10**-decimals * scale, text
