"""What every REST decoder does first: parse the body as JSON, or say why it is not JSON."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from pmdash.feeds.common import NESTED_TOO_DEEP, sample_of
from pmdash.models import FeedError

_ANY = msgspec.json.Decoder()



def body_error(feed: str, message: str, body: Any) -> FeedError:
    """A FeedError about a REST body, with the start of the body as its sample."""
    message = message[:400].encode("utf-8", "backslashreplace").decode("utf-8")
    return FeedError(feed=feed, message=message, sample=sample_of(body))


def load_body(feed: str, body: str | bytes) -> Any | FeedError:
    """The parsed body, or a FeedError saying why it cannot be parsed."""
    try:
        return _ANY.decode(body)
    except UnicodeError:
        return body_error(feed, "body is not valid UTF-8 text", body)
    except msgspec.DecodeError as exc:
        if "surrogate" in str(exc):
            return _with_lone_surrogates(feed, body, exc)
        return body_error(feed, f"not JSON: {exc}", body)
    except TypeError:
        return body_error(feed, f"body is not text: {type(body).__name__}", body)
    except RecursionError:  # msgspec's answer to ``[[[[...]]]]`` deeper than it recurses
        return body_error(feed, NESTED_TOO_DEEP, body)


def _with_lone_surrogates(feed: str, body: str | bytes, exc: msgspec.DecodeError) -> Any:
    """A body msgspec refuses for an escaped lone surrogate (``"\\ud800"``: valid JSON, not
    valid Unicode). One bad string must not cost every other entry of a list, so the body is
    parsed again by the standard library, which keeps such a string as it is; the decoders
    then refuse the entries that hold one (``has_lone_surrogate``) and keep the rest."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return body_error(feed, f"not JSON: {exc}", body)


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a surrogate code point on its own (it cannot be printed or
    encoded: such a string is refused where it is read, not where it is printed)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
