"""Helpers every codec uses: a safe sample of a frame for a ``FeedError``, the JSON name of a
decoded value's type for messages, and the never-raising decode of a frame holding one message
or an array of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from pmdash.models import Event, FeedError

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


def decode_each(
    frame: str | bytes,
    decoder: msgspec.json.Decoder[Any],
    convert: Callable[[Any, str | bytes], list[Event]],
    error: Callable[[str, str | bytes], FeedError],
) -> list[Event]:
    """``frame`` decoded with ``decoder`` (one wire message, or an array of them), each message
    turned into events by ``convert``. Never raises: a frame of the wrong shape, one that is not
    JSON, or a bug in ``convert`` becomes the ``FeedError`` that ``error`` builds."""
    try:
        try:
            wire = decoder.decode(frame)
        except msgspec.ValidationError as exc:
            return [error(f"unexpected frame shape: {exc}", frame)]
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            return [error(f"not JSON: {exc}", frame)]
        events: list[Event] = []
        for item in wire if isinstance(wire, list) else [wire]:
            events.extend(convert(item, frame))
        return events
    except Exception as exc:  # a bug, not bad input: still never raise out of a codec
        return [error(f"internal decoder error: {type(exc).__name__}: {exc}", frame)]
