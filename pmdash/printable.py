"""Text from the network made safe to put on a terminal.

Market questions, outcomes, slugs and error bodies come from servers. Textual writes a string's
characters to the terminal as they are, and strips only a few control codes (BEL, BS, VT, FF,
CR), and ``print`` strips none, so an escape sequence inside a question (``ESC ]0;...BEL``
retitles the window, ``ESC [2J`` clears it, OSC 52 writes the clipboard) would reach the user's
terminal. Every string pmdash did not write itself goes through ``printable`` before a widget
shows it or the command line prints it (JSON output escapes control characters already).

Three more kinds of code point are dealt with here, because a terminal and Textual can
disagree about them:

- Format characters (Unicode category Cf: bidi overrides and isolates such as U+202E and
  U+2067, zero-width spaces, the BOM) are replaced like control characters: a right-to-left
  override would reverse the text after it (prices included) on a terminal that applies it.
- Emoji sequences whose width depends on the terminal's grapheme support are taken apart into
  code points of a fixed width: variation selectors (``❤️`` is ``❤`` + U+FE0F: 2 cells to
  Textual, 1 to many terminals), the zero-width joiner (``🏳️‍🌈``), skin-tone modifiers
  (``👍🏽``), the keycap mark (``1️⃣``) and tag characters are dropped, and regional-indicator
  letters (flags, ``🇺🇸``) become the ASCII letters they stand for (``US``). What remains is
  as wide on screen as Textual measures it, so borders and columns stay where they belong.
- Lone surrogates (not text at all) are replaced.
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"
"""Shown where a control or format character was: the text had something there, not shown."""

_TABLE: dict[int, str | None] = {code: REPLACEMENT for code in range(0x20)}
_TABLE[0x7F] = REPLACEMENT
_TABLE.update({code: REPLACEMENT for code in range(0x80, 0xA0)})  # C1: 0x9B is a lone CSI
_TABLE.update({ord(space): " " for space in "\t\n\v\f\r\u2028\u2029"})  # one line

_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
)  # fmt: skip
"""Unicode category Cf (format characters, as of Unicode 15), but the tags and the joiner."""
for _first, _last in _FORMAT_RANGES:
    _TABLE.update({code: REPLACEMENT for code in range(_first, _last + 1)})
_TABLE.update({code: REPLACEMENT for code in range(0xD800, 0xE000)})  # lone surrogates

_DROPPED_RANGES = (
    (0xFE00, 0xFE0F),  # variation selectors 1-16 (VS15 text, VS16 emoji presentation)
    (0xE0100, 0xE01EF),  # variation selectors 17-256
    (0x200D, 0x200D),  # zero-width joiner (emoji ZWJ sequences)
    (0x1F3FB, 0x1F3FF),  # skin-tone modifiers
    (0x20E3, 0x20E3),  # combining enclosing keycap
    (0xE0020, 0xE007F),  # tag characters (subdivision flags)
)
for _first, _last in _DROPPED_RANGES:
    _TABLE.update({code: None for code in range(_first, _last + 1)})
_TABLE.update({0x1F1E6 + i: chr(ord("A") + i) for i in range(26)})  # regional indicators


def printable(text: str) -> str:
    """``text`` on one line as a terminal shows it at the width Textual measures: control and
    format characters replaced (whitespace controls by spaces, the others by U+FFFD), emoji
    sequences of uncertain width taken apart (see the module's doc). Text with none of these
    comes back as it is (the same object)."""
    if text.isascii():
        return text if text.isprintable() else text.translate(_TABLE)
    clean = text.translate(_TABLE)
    return text if clean == text else clean
