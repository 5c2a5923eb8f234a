"""Reading a client's JSON message in the embedded exchange, whatever the client sends.

``json.loads`` raises ``RecursionError`` (not ``ValueError``) for a message nested deeper than
it recurses (``[[[[...]]]]``): it escaped every channel's handler and closed the socket with
1011 (internal error), where the real servers answer an unreadable message as unreadable.
"""

from __future__ import annotations

import json
from typing import Any


def loads(message: str | bytes) -> Any:
    """A client's JSON message; ``ValueError`` when it is not JSON or nested too deep."""
    try:
        return json.loads(message)
    except RecursionError:
        raise ValueError("nested too deep") from None
