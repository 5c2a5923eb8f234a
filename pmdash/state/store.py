"""The Store: routes decoded events to the slices that take them, and records what changed.

Pure: no asyncio, no I/O. Every feed's events go through one ``apply(events, arrival)``; each
event goes to the slice that declared its type (``Slice.routes``), and the keys that slice
marks dirty say which panels to redraw: the App's flush timer takes them with ``take_dirty()``.
The Store holds no feed's state and no feed-specific branch. The events every feed has
(``FeedStatus``, ``FeedError``, unknown events) mark ``status`` or ``errors`` dirty; a
``FeedError`` is also offered to its feed's slices (``Slice.distrust``).

Dirty keys carry the feed that owns them: ``<feed>:<what>[:<id>]`` (``market:book:<asset_id>``),
and the Store's own ``status`` (a feed's state changed) and ``errors`` (a feed sent something
unreadable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pmdash.models import Event, FeedError, FeedStatus, UnknownEvent

STATUS = "status"
"""Dirty key: a feed's ``FeedStatus`` changed (or it sent an event of a type pmdash does not
know, counted beside its status)."""
ERRORS = "errors"
"""Dirty key: a feed produced a ``FeedError``."""


class Slice(Protocol):
    """One feed's state (``state/<slice>.py``): a pure reducer over the events it declares.

    When the slice joins the Store, ``bind(dirty)`` hands it the Store's set of dirty keys, then
    ``routes()`` maps each event type the slice takes to the function that folds one such event
    in and returns whether anything changed; that function adds the keys it changed (each
    prefixed with ``feed + ":"``) to that set. An event type belongs to one slice only.

    A ``FeedError`` is offered to every slice of its feed through ``distrust`` (input that could
    not be read may have carried a change: the slice decides what that puts in doubt).
    """

    feed: str

    def bind(self, dirty: set[str]) -> None: ...

    def routes(self) -> Mapping[type[Any], Callable[[Any], bool]]: ...

    def distrust(self, error: FeedError) -> bool: ...


S = TypeVar("S")


@dataclass(slots=True)
class Dirty:
    """What changed since the last ``Store.take_dirty()``."""

    slices: set[str] = field(default_factory=set)
    """Dirty keys (``<feed>:...``, ``status``, ``errors``)."""
    oldest_arrival: float | None = None
    """``time.perf_counter()`` stamp of the earliest frame folded into these changes."""
    newest_arrival: float | None = None
    """``time.perf_counter()`` stamp of the latest frame folded into these changes."""

    def __bool__(self) -> bool:
        return bool(self.slices)

    def ids(self, prefix: str) -> set[str]:
        """The ids of the keys that start with ``prefix`` (``market:book:`` -> asset ids)."""
        n = len(prefix)
        return {key[n:] for key in self.slices if key.startswith(prefix)}


class Store:
    """The slices of every enabled feed, their health, and what changed."""

    def __init__(self, slices: Iterable[Slice] = ()) -> None:
        self._slices: list[Slice] = []
        self._routes: dict[type[Any], Callable[[Any], bool]] = {}
        self._dirty: set[str] = set()
        self._oldest: float | None = None
        self._newest: float | None = None
        for one in slices:
            self.add_slice(one)

    # --- slices ---------------------------------------------------------------------------

    def add_slice(self, new: Slice) -> None:
        """Route the event types ``new`` declares to it (each type to one slice only)."""
        new.bind(self._dirty)  # first: its routes may hold the set
        routes = new.routes()
        taken = [t.__name__ for t in routes if t in self._routes]
        if taken:
            raise ValueError(f"event types already routed to another slice: {', '.join(taken)}")
        self._slices.append(new)
        self._routes.update(routes)

    def slice(self, kind: type[S]) -> S:
        """The slice of class ``kind`` (``KeyError`` when no such slice joined)."""
        for one in self._slices:
            if isinstance(one, kind):
                return one
        raise KeyError(kind.__name__)

    def find(self, kind: type[S]) -> S | None:
        """The slice of class ``kind``, or None."""
        for one in self._slices:
            if isinstance(one, kind):
                return one
        return None

    # --- dirty keys -----------------------------------------------------------------------

    def mark_dirty(self, key: str) -> None:
        """Record a change made outside ``apply`` (a controller's housekeeping)."""
        self._dirty.add(key)

    def take_dirty(self) -> Dirty:
        """What changed since the last call, and the arrival stamps of the frames behind it."""
        dirty = Dirty(set(self._dirty), self._oldest, self._newest)
        self._dirty.clear()
        self._oldest = None
        self._newest = None
        return dirty

    # --- events ---------------------------------------------------------------------------

    def apply(self, events: Iterable[Event], arrival: float | None = None) -> None:
        """Fold one frame's events in. ``arrival``: ``time.perf_counter()`` at frame arrival."""
        changed = False
        routes = self._routes
        for event in events:
            try:  # a subscript, not .get(): no method call per event
                fold = routes[type(event)]
            except KeyError:
                if self._apply_health(event):
                    changed = True
                continue
            if fold(event):
                changed = True
        if changed and arrival is not None:
            if self._oldest is None or arrival < self._oldest:
                self._oldest = arrival
            if self._newest is None or arrival > self._newest:
                self._newest = arrival

    def _apply_health(self, event: Event) -> bool:
        if isinstance(event, FeedStatus):
            self._dirty.add(STATUS)
        elif isinstance(event, FeedError):
            self._dirty.add(ERRORS)
            for one in self._slices:
                if one.feed == event.feed:
                    one.distrust(event)
        elif isinstance(event, UnknownEvent):
            self._dirty.add(STATUS)  # counted by the connection, shown on the status bar
        else:
            return False  # a type no slice takes (a feed not enabled here)
        return True
