"""Polymarket US subscriptions, kept by requestId (PROTOCOLS §5.2, §5.3 "Reconnect").

A US subscription is a request: ``(requestId, subscriptionType, marketSlugs ≤ 100)``. It is
ended by its requestId only. After a reconnect every request is sent again with its original
requestId, as Polymarket's SDK does.

``SlugSubscriptions`` (the markets socket) takes market slugs as its keys: added slugs become
new requests, one per subscription type, split by 100; removing a slug unsubscribes every
request holding it and subscribes that request's other slugs again under a new requestId.
``FixedSubscriptions`` (the private socket) is a fixed list of requests.
Both satisfy ``pmdash.net.subscriptions.Subscriptions``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pmdash.feeds import us_wire


@dataclass(frozen=True)
class UsRequest:
    request_id: str
    subscription_type: str
    slugs: tuple[str, ...] = ()

    def frame(self) -> str:
        return us_wire.subscribe(self.request_id, self.subscription_type, self.slugs)


class _Requests:
    """Requests by id, which of them the open socket has, and the frames between."""

    def __init__(self) -> None:
        self._requests: dict[str, UsRequest] = {}
        self._active: set[str] = set()
        self._open = False

    def requests(self) -> tuple[UsRequest, ...]:
        """Every request wanted, oldest first (what a new socket subscribes)."""
        return tuple(self._requests.values())

    def active_ids(self) -> tuple[str, ...]:
        """Request ids the open socket has been sent (empty while closed)."""
        return tuple(r for r in self._requests if r in self._active)

    def open(self) -> list[str]:
        self._open = True
        self._active = set(self._requests)
        return [r.frame() for r in self._requests.values()]

    def close(self) -> None:
        self._open = False
        self._active = set()

    def _put(self, request: UsRequest) -> list[str]:
        self._requests[request.request_id] = request
        if not self._open:
            return []
        self._active.add(request.request_id)
        return [request.frame()]

    def _drop(self, request_id: str) -> list[str]:
        self._requests.pop(request_id, None)
        if request_id in self._active:
            self._active.discard(request_id)
            return [us_wire.unsubscribe(request_id)]
        return []

    def _again(self, request_ids: Iterable[str]) -> list[str]:
        frames: list[str] = []
        for rid in request_ids:
            if rid in self._active:
                frames += [us_wire.unsubscribe(rid), self._requests[rid].frame()]
        return frames


class SlugSubscriptions(_Requests):
    """Market slugs under the given subscription types; request ids ``{prefix}-{n}``."""

    def __init__(self, slugs: Iterable[str], types: Sequence[str], *, prefix: str = "md") -> None:
        super().__init__()
        if not types:
            raise ValueError("at least one subscription type is needed")
        self._types = tuple(types)
        self._prefix = prefix
        self._count = 0
        self._wanted: dict[str, None] = {}
        self.add(slugs)

    def wanted(self) -> tuple[str, ...]:
        return tuple(self._wanted)

    def _new_requests(self, slugs: Sequence[str]) -> list[str]:
        frames: list[str] = []
        for kind in self._types:
            for chunk in us_wire.chunks(slugs):
                self._count += 1
                frames += self._put(UsRequest(f"{self._prefix}-{self._count}", kind, tuple(chunk)))
        return frames

    def add(self, keys: Iterable[str]) -> list[str]:
        new = [k for k in dict.fromkeys(keys) if k and k not in self._wanted]
        self._wanted.update(dict.fromkeys(new))
        return self._new_requests(new) if new else []

    def remove(self, keys: Iterable[str]) -> list[str]:
        gone = {k for k in keys if k in self._wanted}
        if not gone:
            return []
        for k in gone:
            del self._wanted[k]
        frames: list[str] = []
        regroup: dict[str, list[str]] = {}
        for request in self.requests():
            if gone.intersection(request.slugs):
                frames += self._drop(request.request_id)
                keep = [s for s in request.slugs if s not in gone]
                regroup.setdefault(request.subscription_type, []).extend(keep)
        for kind, slugs in regroup.items():
            for chunk in us_wire.chunks(slugs):
                if chunk:
                    self._count += 1
                    frames += self._put(UsRequest(f"{self._prefix}-{self._count}", kind,
                                                  tuple(chunk)))
        return frames

    def resync(self, keys: Iterable[str]) -> list[str]:
        """Every active request holding one of ``keys``: unsubscribe and subscribe again
        (same requestId), so the server sends a fresh full picture."""
        wanted = set(keys)
        return self._again(r.request_id for r in self.requests() if wanted.intersection(r.slugs))


class FixedSubscriptions(_Requests):
    """A fixed list of requests (the private socket's): keys are request ids."""

    def __init__(self, requests: Iterable[UsRequest]) -> None:
        super().__init__()
        for request in requests:
            self._put(request)

    def wanted(self) -> tuple[str, ...]:
        return tuple(r.request_id for r in self.requests())

    def add(self, keys: Iterable[str]) -> list[str]:
        return []

    def remove(self, keys: Iterable[str]) -> list[str]:
        frames: list[str] = []
        for rid in keys:
            frames += self._drop(rid)
        return frames

    def resync(self, keys: Iterable[str]) -> list[str]:
        return self._again(keys)
