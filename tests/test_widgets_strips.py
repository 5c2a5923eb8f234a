"""LeanStrip is a Strip that makes its caches when first used, and ``strip_of`` builds lines
with it: both must give exactly what Textual's Strip gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._ansi_theme import DEFAULT_TERMINAL_THEME
from textual.color import Color
from textual.filter import ANSIToTruecolor
from textual.strip import Strip

from pmdash.widgets._line_view import _release
from pmdash.widgets._strips import CACHE_SIZES, PLAIN_SLOTS, LeanStrip, strip_of

RED = Style(color="red", bold=True)
BLUE = Style(color="blue", bgcolor="white")
FILL = Style(bgcolor="black")

SEGMENTS = [
    Segment("0.51 ", RED),
    Segment("1,250", None),
    Segment(" 漢字 ", BLUE),
    Segment("█▍", RED),
]


def made_caches(strip: Strip) -> set[str]:
    """The caches ``strip`` holds, read through the slots (not making any)."""
    held = set()
    for name in CACHE_SIZES:
        try:
            Strip.__dict__[name].__get__(strip)
        except AttributeError:
            continue
        held.add(name)
    return held


def runs(strip: Strip) -> list[tuple[str, Style | None]]:
    return [(segment.text, segment.style) for segment in strip]


def test_lean_strip_sets_every_slot_a_strip_sets_and_knows_each_cache() -> None:
    sample = Strip([])
    assert set(Strip.__slots__) == {"_segments", "_cell_length", *CACHE_SIZES, *PLAIN_SLOTS}
    assert {name: getattr(sample, name)._maxsize for name in CACHE_SIZES} == CACHE_SIZES
    lean = LeanStrip([])
    assert {name: getattr(lean, name) for name in PLAIN_SLOTS} == PLAIN_SLOTS
    assert len(CACHE_SIZES) == 7


def test_a_lean_strip_makes_only_the_caches_it_uses() -> None:
    lean = LeanStrip(SEGMENTS)
    assert made_caches(lean) == set()
    lean.divide([3, 9])
    assert made_caches(lean) == {"_divide_cache"}
    lean.crop(2, 8)
    assert made_caches(lean) == {"_divide_cache", "_crop_cache"}
    assert made_caches(Strip(SEGMENTS)) == set(CACHE_SIZES)


def test_a_lean_strip_answers_as_a_strip_does() -> None:
    lean, plain = LeanStrip(SEGMENTS), Strip(SEGMENTS)
    assert lean.cell_length == plain.cell_length == 18
    assert lean.text == plain.text
    for start, end in ((0, 18), (2, 8), (6, 7), (12, 13), (5, 40)):
        assert runs(lean.crop(start, end)) == runs(plain.crop(start, end))
        assert lean.crop(start, end) is lean.crop(start, end)  # cached as Strip caches it
        assert runs(lean.crop_extend(start, end, FILL)) == runs(plain.crop_extend(start, end, FILL))
    cuts = [0, 4, 12, 18]
    assert [runs(s) for s in lean.divide(cuts)] == [runs(s) for s in plain.divide(cuts)]
    for width in (10, 12, 18, 20):
        assert runs(lean.adjust_cell_length(width, FILL)) == runs(
            plain.adjust_cell_length(width, FILL)
        )
    assert runs(lean.apply_style(FILL)) == runs(plain.apply_style(FILL))
    assert runs(lean.simplify()) == runs(plain.simplify())


def test_a_lean_strip_filters_and_renders_as_a_strip_does() -> None:
    lean, plain = LeanStrip(SEGMENTS), Strip(SEGMENTS)
    line_filter = ANSIToTruecolor(DEFAULT_TERMINAL_THEME)
    background = Color(10, 20, 30)
    assert runs(lean.apply_filter(line_filter, background)) == runs(
        plain.apply_filter(line_filter, background)
    )
    console = Console(color_system="truecolor", width=40, legacy_windows=False)
    assert lean.render(console) == plain.render(console)


def test_release_clears_a_division_and_makes_no_cache() -> None:
    divided, fresh = LeanStrip(SEGMENTS), LeanStrip(SEGMENTS)
    pieces = divided.divide([18])  # one piece: the strip itself
    assert pieces[0] is divided  # the self-reference ``_release`` breaks
    _release([divided, fresh, None, Strip(SEGMENTS)])
    assert len(divided._divide_cache) == 0
    assert made_caches(fresh) == set()


def old_strip_of(parts: list[tuple[str, Style]], width: int, fill: Style, ellipsis: bool) -> Strip:
    """``strip_of`` as it was, with Textual's Strip throughout."""
    strip = Strip([Segment(text, style) for text, style in parts if text])
    if ellipsis and strip.cell_length > width > 0:
        return Strip([*strip.crop(0, width - 1), Segment("…", fill)], width)
    return strip.adjust_cell_length(width, fill)


PARTS = st.lists(
    st.tuples(st.text(alphabet="ab 0.5漢字█", max_size=6), st.sampled_from([RED, BLUE])),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(parts=PARTS, width=st.integers(min_value=-1, max_value=24), ellipsis=st.booleans())
def test_strip_of_draws_what_it_drew_with_textuals_strips(
    parts: list[tuple[str, Style]], width: int, ellipsis: bool
) -> None:
    ours = strip_of(parts, width, FILL, ellipsis=ellipsis)
    theirs = old_strip_of(parts, width, FILL, ellipsis)
    assert runs(ours) == runs(theirs)
    assert ours.cell_length == theirs.cell_length
