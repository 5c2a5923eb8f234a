"""Text from the network made safe to put on a terminal.

Market questions, outcomes, slugs and error bodies come from servers. Textual writes a string's
characters to the terminal as they are, and strips only a few control codes (BEL, BS, VT, FF,
CR), and ``print`` strips none, so an escape sequence inside a question (``ESC ]0;...BEL``
retitles the window, ``ESC [2J`` clears it, OSC 52 writes the clipboard) would reach the user's
terminal. Every string pmdash did not write itself goes through ``printable`` before a widget
shows it or the command line prints it (JSON output escapes control characters already).
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"
"""Shown where a control character was: the text had something in it, and it is not shown."""

_TABLE: dict[int, str] = {code: REPLACEMENT for code in range(0x20)}
_TABLE[0x7F] = REPLACEMENT
_TABLE.update({code: REPLACEMENT for code in range(0x80, 0xA0)})  # C1: 0x9B is a lone CSI
_TABLE.update({ord(space): " " for space in "\t\n\v\f\r"})  # one line: line breaks are spaces


def printable(text: str) -> str:
    """``text`` on one line with no control characters (C0, DEL, C1): whitespace controls
    become spaces and the others U+FFFD. Text that has none comes back as it is."""
    if text.isprintable():  # False for every control character (Unicode category Cc)
        return text
    return text.translate(_TABLE)
