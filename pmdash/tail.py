"""``pmdash tail``: stream one feed headless as NDJSON, one normalised event per line."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import IO

import msgspec

from pmdash.jsonout import book_state, event_to_json
from pmdash.models import Event, FeedError, FeedStatus, MarketInfo
from pmdash.net.connection import Connection
from pmdash.net.market import market_policy
from pmdash.state.store import Store

_encode = msgspec.json.Encoder().encode


class TailRun:
    """One headless run: a connection, a store, and the NDJSON writer."""

    def __init__(
        self,
        url: str,
        markets: list[MarketInfo],
        *,
        out: IO[str],
        max_events: int | None = None,
        seconds: float | None = None,
        books: bool = False,
        quiet: bool = False,
    ) -> None:
        self.out = out
        self.max_events = max_events
        self.seconds = seconds
        self.books = books
        self.quiet = quiet
        self.events = 0
        self.errors = 0
        self.store = Store()
        assets = [token for market in markets for token in market.token_ids]
        for market in markets:
            self.store.add_market(market)
            self.store.watch(market.token_ids, market.condition_id)
        self.connection = Connection(
            market_policy(url, assets),
            on_events=self._on_events,
            on_reconnect=partial(self.store.mark_feed_reconnected, "market"),
            on_lost=partial(self.store.mark_feed_lost, "market"),
        )
        self._done = asyncio.Event()
        self._write: Callable[[str], object] = out.write

    def _on_events(self, events: list[Event], arrival: float) -> None:
        if self._done.is_set():
            return
        self.store.apply(events, arrival)
        for event in events:
            if isinstance(event, FeedError):
                self.errors += 1
            if not self.quiet:
                self._write(_encode(event_to_json(event)).decode() + "\n")
            self.events += 1
            if self.max_events is not None and self.events >= self.max_events:
                self._done.set()
                return
        heals = self.store.take_heals()
        if heals:
            self.connection.resync(heals)

    async def run(self) -> int:
        started = time.monotonic()
        worker = asyncio.create_task(self.connection.run())
        try:
            waiter = asyncio.create_task(self._done.wait())
            await asyncio.wait(
                {worker, waiter}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
        finally:
            self.connection.stop()
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        if self.books:
            for asset_id in sorted(self.store.books):
                self._write(_encode(book_state(self.store.books[asset_id])).decode() + "\n")
        if self.quiet:
            status = self.connection.status()
            summary = {
                "type": "summary",
                "feed": "market",
                "events": self.events,
                "errors": self.errors,
                "books": len(self.store.books),
                "reconnects": status.reconnects,
                "decode_errors": status.decode_errors,
                "heals": sum(book.heals for book in self.store.books.values()),
                "seconds": round(time.monotonic() - started, 3),
            }
            self._write(_encode(summary).decode() + "\n")
        self.out.flush()
        final = self.connection.status()
        failed = isinstance(final, FeedStatus) and final.state == "failed"
        return 1 if failed and not self.events else 0


def run_tail(url: str, markets: list[MarketInfo], **options: object) -> int:
    run = TailRun(url, markets, out=sys.stdout, **options)  # type: ignore[arg-type]
    return asyncio.run(run.run())
