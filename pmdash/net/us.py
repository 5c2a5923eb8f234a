"""Connection policies of the two Polymarket US sockets (PROTOCOLS §5).

- Handshake headers signed afresh on every (re)connect (``us_auth.header_factory``): the
  signed path is the URL's path, ``/v1/ws/markets`` or ``/v1/ws/private``.
- An upgrade answered 401/403 is not retried: the feed ends ``failed`` with ``authentication
  rejected: HTTP 401 ...: <the server's reason>`` (``FeedPolicy.authenticated``); a 429 backs
  off for at least its ``Retry-After``.
- No client heartbeat: the server sends ``{"heartbeat":{}}`` and the SDK never replies; it is
  a sign of life, not data (``FeedPolicy.server_heartbeat``); a socket silent for
  ``SILENCE_S`` is dropped and reconnected.
- Backoff 0.5 s doubling to 30 s with jitter, as the SDK's; after a reconnect every request is
  sent again with its original requestId (``us_subscriptions``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit

from pmdash.feeds import us_markets, us_private, us_wire
from pmdash.net.policy import Decode, FeedPolicy
from pmdash.net.us_auth import UsKey, header_factory
from pmdash.net.us_subscriptions import FixedSubscriptions, SlugSubscriptions, UsRequest

MARKETS_FEED = us_markets.FEED
PRIVATE_FEED = us_private.FEED
MARKETS_PATH = "/v1/ws/markets"
PRIVATE_PATH = "/v1/ws/private"
SILENCE_S = 90.0
"""The heartbeat interval is undocumented (PROTOCOLS §8.13): this much total silence ends a
socket."""
DEFAULT_MARKET_TYPES = (us_markets.MARKET_DATA, us_markets.TRADE)


def signed_path(url: str) -> str:
    """The path a handshake to ``url`` signs (no query)."""
    return urlsplit(url).path or "/"


def private_requests() -> tuple[UsRequest, ...]:
    """The private socket's requests: live orders, the open-order snapshot (its own
    requestId; replayed after a reconnect it reconciles the orders), positions and balances
    (all markets)."""
    return (
        UsRequest("orders", us_private.ORDER),
        UsRequest("orders-snapshot", us_private.ORDER_SNAPSHOT),
        UsRequest("positions", us_private.POSITION),
        UsRequest("balances", us_private.ACCOUNT_BALANCE),
    )


def _policy(
    feed: str,
    url: str,
    key: UsKey,
    decode: Decode,
    subscriptions: SlugSubscriptions | FixedSubscriptions,
    clock: Callable[[], float],
) -> FeedPolicy:
    return FeedPolicy(
        feed=feed,
        url=url,
        decode=decode,
        subscriptions=subscriptions,
        headers=header_factory(key, signed_path(url), clock=clock),
        authenticated=True,
        retry_after_failure=False,
        heartbeat=None,
        server_heartbeat=us_wire.is_heartbeat,
        silence_timeout=SILENCE_S,
        backoff_base=0.5,
        backoff_cap=30.0,
        max_size=16 * 2**20,
    )


def us_markets_policy(
    url: str,
    key: UsKey,
    slugs: Iterable[str],
    *,
    types: Sequence[str] = DEFAULT_MARKET_TYPES,
    clock: Callable[[], float] = time.time,
) -> FeedPolicy:
    """``/v1/ws/markets``: full books (``marketData``) and trades of ``slugs`` by default;
    ``Connection.subscribe``/``unsubscribe`` take slugs."""
    subs = SlugSubscriptions(slugs, types)
    return _policy(MARKETS_FEED, url, key, us_markets.decode, subs, clock)


def us_private_policy(
    url: str,
    key: UsKey,
    *,
    requests: Sequence[UsRequest] | None = None,
    clock: Callable[[], float] = time.time,
) -> FeedPolicy:
    """``/v1/ws/private``: orders (live and snapshot), positions and balances."""
    subs = FixedSubscriptions(private_requests() if requests is None else requests)
    return _policy(PRIVATE_FEED, url, key, us_private.decode, subs, clock)
