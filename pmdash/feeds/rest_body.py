"""What every REST decoder does first: parse the body as JSON, or say why it is not JSON."""

from __future__ import annotations

from typing import Any

import msgspec

from pmdash.feeds.common import sample_of
from pmdash.models import FeedError

_ANY = msgspec.json.Decoder()


def body_error(feed: str, message: str, body: Any) -> FeedError:
    """A FeedError about a REST body, with the start of the body as its sample."""
    return FeedError(feed=feed, message=message[:400], sample=sample_of(body))


def load_body(feed: str, body: str | bytes) -> Any | FeedError:
    """The parsed body, or a FeedError saying why it cannot be parsed."""
    try:
        return _ANY.decode(body)
    except UnicodeError:
        return body_error(feed, "body is not valid UTF-8 text", body)
    except msgspec.DecodeError as exc:
        return body_error(feed, f"not JSON: {exc}", body)
    except TypeError:
        return body_error(feed, f"body is not text: {type(body).__name__}", body)
