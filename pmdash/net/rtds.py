"""RTDS's connection policy (PROTOCOLS §3.1-§3.2): the price topics, subscribed without
server-side filters, and the text ``PING`` every 5 s.

Whether RTDS answers ``PING`` with ``PONG`` is unconfirmed (§8.8), so no reply is required; a
socket with nothing at all for 60 s is dropped and reconnected. An RTDS that answers but sends
no prices is a matter for the price board ("RTDS sends no prices (retired?)"), not for the
socket: it is alive.
"""

from __future__ import annotations

from collections.abc import Iterable

from pmdash.feeds import rtds as codec
from pmdash.net.policy import ClientPing, FeedPolicy
from pmdash.net.subscriptions import SetSubscriptions

FEED = codec.FEED
PING_INTERVAL = 5.0
SILENCE_TIMEOUT = 60.0


def rtds_subscriptions(topics: Iterable[str] = codec.DEFAULT_TOPICS) -> SetSubscriptions:
    return SetSubscriptions(
        topics,
        initial=codec.subscribe,
        add=codec.subscribe,
        remove=codec.unsubscribe,
    )


def rtds_policy(
    url: str,
    topics: Iterable[str] = codec.DEFAULT_TOPICS,
    *,
    ping_interval: float = PING_INTERVAL,
    silence_timeout: float = SILENCE_TIMEOUT,
) -> FeedPolicy:
    """A new policy (with its own subscription state) for one RTDS connection."""
    return FeedPolicy(
        feed=FEED,
        url=url,
        decode=codec.decode,
        subscriptions=rtds_subscriptions(topics),
        heartbeat=ClientPing(
            interval=ping_interval, text=codec.PING, reply=codec.PONG, timeout=None,
            probe=None, late=None,
        ),
        silence_timeout=silence_timeout,
    )
