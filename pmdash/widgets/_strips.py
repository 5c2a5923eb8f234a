"""Small helpers to build one-line Strips from (text, style) parts."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

Part = tuple[str, Style]
"""A run of text and the Rich style it is drawn with."""


def cells(parts: Iterable[Part]) -> int:
    """How many cells the parts take."""
    return sum(cell_len(text) for text, _ in parts)


def strip_of(parts: Iterable[Part], width: int, fill: Style, *, ellipsis: bool = False) -> Strip:
    """One line of exactly ``width`` cells: the parts, cropped or padded with ``fill``.

    With ``ellipsis``, a line that had to be cropped ends in "…".
    """
    strip = Strip([Segment(text, style) for text, style in parts if text])
    if ellipsis and strip.cell_length > width > 0:
        return Strip([*strip.crop(0, width - 1), Segment("…", fill)], width)
    return strip.adjust_cell_length(width, fill)


def ellipsize(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in an ellipsis when it was cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def centred(text: str, width: int, fill: str = " ") -> tuple[str, str, str]:
    """(left fill, text, right fill) that centre ``text`` in ``width`` cells."""
    text = ellipsize(text, width)
    spare = max(0, width - cell_len(text))
    left = spare // 2
    return fill * left, text, fill * (spare - left)
