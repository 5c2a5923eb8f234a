"""Subscription sets: what the client wants, what the open socket has, and the frames between.

The server rejects a subscribe naming an asset it already sends ("duplicate assets",
PROTOCOLS §1.2), so the client tracks the active set and only ever sends the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol


class Subscriptions(Protocol):
    """What the connection loop needs from a feed's subscription state."""

    def wanted(self) -> tuple[str, ...]:
        """Every key the client wants, in the order they were added."""
        ...

    def open(self) -> list[str]:
        """A socket just opened: the frames subscribing the full wanted set (may be empty)."""
        ...

    def close(self) -> None:
        """The socket closed: nothing is active any more."""
        ...

    def add(self, keys: Iterable[str]) -> list[str]:
        """Want these keys too; returns the frames to send now (empty while closed)."""
        ...

    def remove(self, keys: Iterable[str]) -> list[str]:
        """Stop wanting these keys; returns the frames to send now (empty while closed)."""
        ...

    def resync(self, keys: Iterable[str]) -> list[str]:
        """Frames re-requesting fresh snapshots for these active keys (empty while closed)."""
        ...


class NoSubscriptions:
    """A feed that takes no subscription (the sports socket pushes everything)."""

    def wanted(self) -> tuple[str, ...]:
        return ()

    def open(self) -> list[str]:
        return []

    def close(self) -> None:
        return None

    def add(self, keys: Iterable[str]) -> list[str]:
        return []

    def remove(self, keys: Iterable[str]) -> list[str]:
        return []

    def resync(self, keys: Iterable[str]) -> list[str]:
        return []


Build = Callable[[Sequence[str]], str]


class SetSubscriptions:
    """A set of string keys with three frame builders: full set, add some, remove some.

    ``initial`` builds the first frame on a new socket (always sent, even for an empty set,
    so the server sees a valid subscription before the first heartbeat), ``add`` and
    ``remove`` build the frames that change the set on an open socket.
    """

    def __init__(self, keys: Iterable[str], *, initial: Build, add: Build, remove: Build) -> None:
        self._wanted: dict[str, None] = dict.fromkeys(keys)
        self._active: dict[str, None] = {}
        self._open = False
        self._initial = initial
        self._add = add
        self._remove = remove

    @property
    def is_open(self) -> bool:
        return self._open

    def wanted(self) -> tuple[str, ...]:
        return tuple(self._wanted)

    def active(self) -> tuple[str, ...]:
        """What the open socket has been asked for (empty while closed)."""
        return tuple(self._active)

    def open(self) -> list[str]:
        self._open = True
        self._active = dict(self._wanted)
        return [self._initial(list(self._active))]

    def close(self) -> None:
        self._open = False
        self._active = {}

    def add(self, keys: Iterable[str]) -> list[str]:
        new = [k for k in dict.fromkeys(keys) if k not in self._wanted]
        self._wanted.update(dict.fromkeys(new))
        if not self._open:
            return []
        send = [k for k in new if k not in self._active]
        if not send:
            return []
        self._active.update(dict.fromkeys(send))
        return [self._add(send)]

    def remove(self, keys: Iterable[str]) -> list[str]:
        gone = [k for k in dict.fromkeys(keys) if k in self._wanted]
        for k in gone:
            del self._wanted[k]
        if not self._open:
            return []
        send = [k for k in gone if k in self._active]
        if not send:
            return []
        for k in send:
            del self._active[k]
        return [self._remove(send)]

    def resync(self, keys: Iterable[str]) -> list[str]:
        if not self._open:
            return []
        again = [k for k in dict.fromkeys(keys) if k in self._active]
        if not again:
            return []
        return [self._remove(again), self._add(again)]
