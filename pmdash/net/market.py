"""The CLOB market channel's connection policy (PROTOCOLS §1.1-§1.3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pmdash.feeds import market as codec
from pmdash.net.policy import ClientPing, FeedPolicy
from pmdash.net.subscriptions import SetSubscriptions

FEED = "market"
MAX_SIZE = 16 * 2**20
"""The initial dump is one JSON array of full books: it can exceed the 1 MiB default."""


def market_subscriptions(
    asset_ids: Iterable[str], *, custom_features: bool = True
) -> SetSubscriptions:
    """Token ids (``assets_ids``): the full set on a new socket, then only differences."""

    def initial(ids: Sequence[str]) -> str:
        return codec.subscribe(ids, custom_features=custom_features, initial_dump=True)

    def add(ids: Sequence[str]) -> str:
        return codec.subscribe_more(ids, custom_features=custom_features)

    return SetSubscriptions(asset_ids, initial=initial, add=add, remove=codec.unsubscribe)


def market_policy(
    url: str, asset_ids: Iterable[str], *, custom_features: bool = True
) -> FeedPolicy:
    """``PING`` every 10 s, and after 2 s with nothing from the server; shown stale after 3 s
    more with nothing (``ClientPing``), dropped after 30 s without ``PONG`` or any frame."""
    return FeedPolicy(
        feed=FEED,
        url=url,
        decode=codec.decode,
        subscriptions=market_subscriptions(asset_ids, custom_features=custom_features),
        heartbeat=ClientPing(interval=10.0, text=codec.PING, reply=codec.PONG, timeout=30.0),
        silence_timeout=30.0,
        max_size=MAX_SIZE,
    )
