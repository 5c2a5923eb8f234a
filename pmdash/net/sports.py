"""The sports socket's connection policy (PROTOCOLS §4).

No subscription message: the server pushes every active game as soon as the socket opens. It
sends the text ``ping`` every 5 s and closes a client that has not answered ``pong`` within
10 s; the client answers at once (``AnswerPing``) and treats 30 s without a ``ping`` as a stale
socket, dropped and reopened (as the official SDKs do). Games change seldom, so inbound silence
alone is not a fault: the ping rule is the watchdog.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pmdash.endpoints import PATHS, Endpoints
from pmdash.feeds import sports as codec
from pmdash.net.policy import AnswerPing, FeedPolicy

FEED = "sports"
URL = "wss://sports-api.polymarket.com/ws"
PING_TIMEOUT_S = 30.0


def sports_policy(url: str = URL, *, ping_timeout: float = PING_TIMEOUT_S) -> FeedPolicy:
    """The sports feed at ``url``: answer ``ping`` with ``pong``; no ``ping`` for
    ``ping_timeout`` s drops and reopens the socket."""
    return FeedPolicy(
        feed=FEED,
        url=url,
        decode=codec.decode,
        heartbeat=AnswerPing(ping=codec.PING, reply=codec.PONG, timeout=ping_timeout),
        silence_timeout=None,
    )


def sports_url(endpoints: Endpoints) -> str:
    """The sports socket for ``endpoints``: Polymarket's, or ``/sports`` on the server laid
    out like the embedded exchange that serves the other feeds."""
    if not endpoints.embedded:
        return URL
    parts = urlsplit(endpoints.market_ws)
    return f"{parts.scheme}://{parts.netloc}{PATHS[FEED]}"
