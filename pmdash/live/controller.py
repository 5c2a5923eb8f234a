"""What every feed's controller offers, and what it is given.

A controller (``live/<feed>.py``) owns its feed's ``Connection`` and the housekeeping the feed
needs beyond decoding (the market feed: heals -> resync, first-book waits, catch-up after a
reconnect, following new markets). It puts every event into the shared ``Store``. The dashboard
and ``pmdash tail`` use the same controller: the App runs ``run()`` in a worker and calls
``housekeep(now)`` on its flush timer; ``tail`` awaits ``run()`` and calls ``housekeep`` on its
tick. No Textual here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.models import Event, FeedStatus, MarketInfo
from pmdash.net.connection import Connection
from pmdash.state.store import Store

Tap = Callable[[list[Event]], list[Event]]
"""Sees each frame's events before the Store does and returns the ones to apply (``tail``
prints them, and cuts a frame short at ``--max-events``)."""


@dataclass(kw_only=True)
class FeedContext:
    """What a controller factory is given (the same for every feed)."""

    endpoints: Endpoints
    store: Store = field(default_factory=Store)
    """The shared store (the App's or the ``tail`` run's, holding the feeds' slices)."""
    settings: Settings = field(default_factory=Settings)
    markets: Sequence[MarketInfo] = ()
    """The markets selected (looked up before the feeds start)."""
    url: str | None = None
    """The feed's URL when a flag moved it (``tail --url``); None: from ``endpoints``."""
    credentials: dict[str, str] = field(default_factory=dict)
    """The feed's credentials by name (``FeedSpec.credentials``), read before it starts."""
    tap: Tap | None = None
    options: argparse.Namespace = field(default_factory=argparse.Namespace)
    """``tail``'s parsed flags (the feed's own, from ``FeedSpec.tail_options``); empty for the
    dashboard."""


class Controller(Protocol):
    """One feed's live side (see the module docstring)."""

    feed: str

    async def run(self) -> None:
        """Keep the feed connected until ``stop()`` (returns early only if it gave up)."""
        ...

    def stop(self) -> None: ...

    def status(self) -> FeedStatus: ...

    def mark_failed(self, reason: str) -> None:
        """Its worker died of ``reason`` (a bug, not the network): report state ``failed``
        with it from now on (the App calls this; ``reason`` holds no secret)."""
        ...

    def housekeep(self, now: float) -> None:
        """Periodic work (``now``: ``time.perf_counter()``); marks what it changed dirty in
        the Store."""
        ...


class OnConnection:
    """The part of ``Controller`` every socket feed hands straight to its ``Connection``:
    ``stop``, ``status`` and ``mark_failed`` (a controller overrides ``status`` to add what it
    knows beyond the socket, e.g. credentials refused)."""

    connection: Connection

    def stop(self) -> None:
        self.connection.stop()

    def status(self) -> FeedStatus:
        return self.connection.status()

    def mark_failed(self, reason: str) -> None:
        self.connection.mark_failed(reason)
