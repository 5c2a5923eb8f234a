"""Helpers every codec uses: a safe sample of a frame for a ``FeedError``, and the JSON name
of a decoded value's type for messages."""

from __future__ import annotations

from typing import Any

SAMPLE_CHARS = 120
NESTED_TOO_DEEP = "not JSON: nested too deep to read"
"""Why a frame or body nested deeper than the parser recurses (``[[[[...]]]]``) is refused:
msgspec raises ``RecursionError`` for it, not ``DecodeError``, and a codec catching only the
latter let it escape (the user channel's and the account REST decoders did)."""


def sample_of(frame: str | bytes | Any) -> str:
    """The first characters of a frame as safe text, for an error's ``sample``."""
    if isinstance(frame, bytes | bytearray | memoryview):
        text = bytes(frame[: SAMPLE_CHARS * 4]).decode("utf-8", "replace")
    elif isinstance(frame, str):
        text = frame
    else:
        text = repr(frame)
    return safe_text(text[:SAMPLE_CHARS])


def safe_text(text: str) -> str:
    """Text that can be encoded as UTF-8 (lone surrogates escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_type_name(value: Any) -> str:
    """The JSON name of a decoded value's type: object, array, string, number, boolean, null."""
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)
