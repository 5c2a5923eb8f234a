"""The CLOB market channel's codec (PROTOCOLS §1): ``decode(frame) -> list[Event]`` and the
request builders. Speed code stays here because a benchmark proved it (``benchmarks/ingest.py``):

- ``decoding``: ``decode``, the entry point, the slow path and what a bad frame puts in doubt;
- ``hot_path``: nearly all of the traffic, read with reused strict decoders;
- ``wire``: the wire shapes, their exact parsing into events, and which field is bad;
- ``requests``: subscribe, add, drop, and the heartbeat texts;
- ``book_levels``: one level per price in a snapshot that repeats one (with a FeedError).
"""

from pmdash.feeds.market.decoding import (
    books_touched,
    clear_value_caches,
    decode,
    infer_event_type,
    is_pong,
    validation_message,
)
from pmdash.feeds.market.requests import PING, PONG, subscribe, subscribe_more, unsubscribe
from pmdash.feeds.market.wire import FEED

__all__ = [
    "FEED",
    "PING",
    "PONG",
    "books_touched",
    "clear_value_caches",
    "decode",
    "infer_event_type",
    "is_pong",
    "subscribe",
    "subscribe_more",
    "unsubscribe",
    "validation_message",
]
