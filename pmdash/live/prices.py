"""The reference-price feeds' controller (``polybolt`` and ``rtds``), written once for the
dashboard and ``pmdash tail``.

It owns the feed's ``Connection`` and hands each frame's events to the Store (through ``tap``
first, for ``tail``); the feed's ``FeedStatus`` also goes to its ``PriceSlice`` (the board
notes when the feed went live, and a reconnect as a gap). Its status is the connection's, but
a live RTDS that sends no prices for 30 s is reported ``stale`` with the board's notice ("RTDS
sends no prices (retired?); set CLOB credentials for PolyBolt"), not as a healthy feed, and a
PolyBolt that refused the credentials with an ``auth_invalid`` error on an open socket is
``failed`` (naming the variables to check), as it is when the server closes with 4001.
"""

from __future__ import annotations

import asyncio
from typing import Self

from msgspec.structs import replace

from pmdash.credentials import ClobCredentials
from pmdash.live.controller import FeedContext, OnConnection, Tap
from pmdash.models import Event, FeedStatus
from pmdash.net.connection import Connection
from pmdash.net.policy import FeedPolicy
from pmdash.state.price_slice import PriceSlice
from pmdash.state.prices import RTDS_SILENT
from pmdash.state.store import Store


class PriceController(OnConnection):
    """One price feed's connection (see the module docstring)."""

    def __init__(self, store: Store, policy: FeedPolicy, *, tap: Tap | None = None) -> None:
        self.feed = policy.feed
        self.store = store
        found = store.find(PriceSlice)
        if found is None or found.feed != policy.feed:
            found = PriceSlice(policy.feed)
            store.add_slice(found)
        self.slice = found
        self.board = self.slice.board
        self.tap = tap
        self.connection = Connection(policy, on_events=self._on_events)
        self._refused: str | None = None
        """Why the feed gave up (the server refused the credentials), or None."""
        self._give_up = asyncio.Event()

    @classmethod
    def polybolt(cls, ctx: FeedContext, url: str) -> Self:
        """PolyBolt at ``url`` (``ctx.url`` wins), authenticated with the CLOB credentials in
        ``ctx.credentials`` (``specs.credentials.CLOB_CREDENTIALS``)."""
        from pmdash.net.polybolt import polybolt_policy

        creds = ctx.credentials
        credentials = ClobCredentials(creds["api_key"], creds["secret"], creds["passphrase"])
        return cls(ctx.store, polybolt_policy(ctx.url or url, credentials), tap=ctx.tap)

    @classmethod
    def rtds(cls, ctx: FeedContext, url: str) -> Self:
        """RTDS at ``url`` (``ctx.url`` wins): no credentials."""
        from pmdash.net.rtds import rtds_policy

        return cls(ctx.store, rtds_policy(ctx.url or url), tap=ctx.tap)

    # --- the Controller protocol -------------------------------------------------------------

    async def run(self) -> None:
        """Until ``stop()``, or until the server refuses the credentials (then it ends in
        ``failed``: retrying the same credentials would be refused the same way)."""
        conn = asyncio.ensure_future(self.connection.run())
        gave_up = asyncio.ensure_future(self._give_up.wait())
        try:
            await asyncio.wait({conn, gave_up}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gave_up.cancel()
            if not conn.done():
                self.connection.stop()
            await asyncio.gather(gave_up, return_exceptions=True)
            await conn

    def status(self) -> FeedStatus:
        status = self.connection.status()
        if self._refused is not None:
            return replace(status, state="failed", detail=self._refused, backoff_until=None)
        if status.state == "live" and RTDS_SILENT in self.board.notices():
            return replace(status, state="stale", detail=RTDS_SILENT)
        return status

    def housekeep(self, now: float) -> None:
        """Nothing periodic: ages and notices are read when the board is drawn."""

    # --- once per frame ----------------------------------------------------------------------

    def _on_events(self, events: list[Event], arrival: float | None) -> None:
        if self.tap is not None:
            events = self.tap(events)
        for event in events:
            if isinstance(event, FeedStatus):
                self.slice.note_status(event)
        self.store.apply(events, arrival)
        if self._refused is None and self.board.refused(self.feed):
            # The server answered the auth op with an error and left the socket open: nothing
            # will flow until the credentials are fixed. Say so and stop (no retry loop).
            notices = [n for n in self.board.notices() if "refused" in n]
            self._refused = notices[0] if notices else f"{self.feed} refused the credentials"
            self.connection.mark_failed(self._refused)
            self._give_up.set()
