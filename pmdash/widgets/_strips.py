"""Small helpers to build one-line Strips from (text, style) parts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.cache import FIFOCache
from textual.strip import Strip, get_line_length

Part = tuple[str, Style]
"""A run of text and the Rich style it is drawn with."""


def cells(parts: Iterable[Part]) -> int:
    """How many cells the parts take."""
    return sum(cell_len(text) for text, _ in parts)


def strip_of(parts: Iterable[Part], width: int, fill: Style, *, ellipsis: bool = False) -> Strip:
    """One line of exactly ``width`` cells: the parts, cropped or padded with ``fill``.

    With ``ellipsis``, a line that had to be cropped ends in "…".
    """
    segments = [Segment(text, style) for text, style in parts if text]
    length = get_line_length(segments)
    if length <= width:  # ``adjust_cell_length``'s padding, without its extra Strip
        if length < width:
            segments.append(Segment(" " * (width - length), fill))
        return LeanStrip(segments, width)
    strip = LeanStrip(segments, length)
    if ellipsis and width > 0:
        return LeanStrip([*strip.crop(0, width - 1), Segment("…", fill)], width)
    return strip.adjust_cell_length(width, fill)


def ellipsize(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in an ellipsis when it was cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` cells (on the left when ``right``): ``ljust``
    and ``rjust`` by the cells a terminal gives it, not by code points, so a column after a
    wide character (CJK, emoji) from a server stays where it belongs. Longer text is kept."""
    spare = width - cell_len(text)
    if spare <= 0:
        return text
    return " " * spare + text if right else text + " " * spare


def centred(text: str, width: int, fill: str = " ") -> tuple[str, str, str]:
    """(left fill, text, right fill) that centre ``text`` in ``width`` cells."""
    text = ellipsize(text, width)
    spare = max(0, width - cell_len(text))
    left = spare // 2
    return fill * left, text, fill * (spare - left)


_SAMPLE = Strip([])
CACHE_SIZES: dict[str, int] = {
    name: cache._maxsize
    for name in Strip.__slots__
    if isinstance(cache := getattr(_SAMPLE, name, None), FIFOCache)
}
"""Strip's caches (slot name -> size), read from a Strip, so a Textual that changes them
changes these with it."""
PLAIN_SLOTS: dict[str, object] = {
    name: getattr(_SAMPLE, name)
    for name in Strip.__slots__
    if name not in CACHE_SIZES and name not in ("_segments", "_cell_length")
}
"""Strip's other slots and their starting values, which ``LeanStrip.__init__`` writes out
(a test holds the two together)."""


class LeanStrip(Strip):
    """A Strip that makes each of its caches when first used, not all seven up front.

    Textual's Strip makes seven ``FIFOCache`` objects in ``__init__`` (divide, crop, style,
    filter, line length, crop-extend, offsets). A line on screen uses one or two: the
    compositor divides it, and crops it at a column cut. The panels build thousands of lines a
    second under a busy feed, and making the unused caches was more than half the cost of
    repainting a whole ladder (``benchmarks/render_lines.py``). A slot not set yet raises
    ``AttributeError``, which ``__getattr__`` answers with a new cache of Strip's size
    (``Content`` in Textual makes its divide cache the same way). Everything else is Strip's;
    the strips its methods make (a crop, a division) are plain Strips.
    """

    __slots__ = ()

    def __init__(self, segments: Iterable[Segment], cell_length: int | None = None) -> None:
        self._segments = list(segments)
        self._cell_length = cell_length
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None

    def __getattr__(self, name: str) -> FIFOCache[Any, Any]:
        size = CACHE_SIZES.get(name)
        if size is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        cache: FIFOCache[Any, Any] = FIFOCache(size)
        setattr(self, name, cache)
        return cache
