"""The CLOB user channel's connection policy (PROTOCOLS §2.1) and its refusal guard.

Heartbeat and reconnect are the market feed's (``PING`` every 10 s, stale without ``PONG``).
The credentials go in the first message, which ``user_subscriptions`` builds anew on every
socket with the full set of condition ids (none: every market of the key); later changes are
``operation: subscribe/unsubscribe``.

A server that refuses the credentials closes the socket right after the first message, or
sends an error frame. Retrying would only repeat that, so ``RejectionGuard`` (between the
``Connection`` and its owner) stops the connection then and reports the feed ``failed:
authentication rejected`` from then on: one connection attempt, no retry loop; other feeds,
with connections of their own, run on. A socket that delivered data, or stayed up longer than
``within`` seconds, is lost like any other and reconnects with the usual backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from msgspec.structs import replace

from pmdash.credentials import ClobCredentials
from pmdash.feeds import user as codec
from pmdash.models import Event, FeedError, FeedStatus
from pmdash.net.connection import Connection, OnEvents
from pmdash.net.policy import ClientPing, FeedPolicy
from pmdash.net.subscriptions import SetSubscriptions

FEED = codec.FEED
REJECTED = "authentication rejected"


def user_subscriptions(creds: ClobCredentials, markets: Iterable[str] = ()) -> SetSubscriptions:
    def initial(ids: Sequence[str]) -> str:
        return codec.subscribe(creds, ids)

    return SetSubscriptions(markets, initial=initial, add=codec.subscribe_more,
                            remove=codec.unsubscribe)


def user_policy(
    url: str,
    creds: ClobCredentials,
    identity: codec.Identity,
    markets: Iterable[str] = (),
    **overrides: object,
) -> FeedPolicy:
    """``identity``: your API key and addresses, to recognise your maker fills."""
    settings: dict[str, object] = dict(
        feed=FEED,
        url=url,
        decode=codec.decoder(identity),
        subscriptions=user_subscriptions(creds, markets),
        heartbeat=ClientPing(interval=10.0, text=codec.PING, reply=codec.PONG, timeout=30.0),
        silence_timeout=None,  # a quiet account sends nothing for hours: PONGs keep it alive
        retry_after_failure=True,
    )
    settings.update(overrides)
    return FeedPolicy(**settings)  # type: ignore[arg-type]


class RejectionGuard:
    """Wraps a connection's ``on_events`` and ``on_lost``; ``attach`` it to the connection.

    ``rejected`` once the server refused: the socket closed within ``within`` s of opening with
    no data, or an error frame came. The connection is then stopped, and every status it
    reports from then on says ``failed: authentication rejected``.
    """

    def __init__(self, on_events: OnEvents, *, within: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._on_events = on_events
        self.within = within
        self._clock = clock
        self._conn: Connection | None = None
        self._opened: float | None = None
        self._data = 0
        self.rejected = False
        self.detail = ""

    def attach(self, conn: Connection) -> None:
        self._conn = conn

    def on_events(self, events: list[Event], arrival: float) -> None:
        out: list[Event] = []
        for event in events:
            if isinstance(event, FeedStatus):
                if self.rejected:
                    event = replace(event, state="failed", detail=self.detail,
                                    backoff_until=None)
                elif event.state == "live" and self._opened is None:
                    self._opened = self._clock()
                    self._data = 0
            elif isinstance(event, FeedError) and event.message.startswith("server error"):
                self._reject(f"{REJECTED} ({event.message})")
            else:
                self._data += 1
            out.append(event)
        self._on_events(out, arrival)

    def on_lost(self, reason: str) -> None:
        opened, self._opened = self._opened, None
        if opened is None or self.rejected:
            return
        if self._data == 0 and self._clock() - opened < self.within:
            self._reject(f"{REJECTED}: the server closed the socket right after the "
                         f"subscription ({reason})")

    def _reject(self, detail: str) -> None:
        if self.rejected:
            return
        self.rejected = True
        self.detail = detail
        if self._conn is not None:
            self._conn.stop()
            self._on_events([replace(self._conn.status(), state="failed", detail=detail,
                                     backoff_until=None)], time.perf_counter())


def user_connection(
    policy: FeedPolicy,
    on_events: OnEvents,
    *,
    on_reconnect: Callable[[], None] | None = None,
    on_lost: Callable[[str], None] | None = None,
    within: float = 3.0,
) -> tuple[Connection, RejectionGuard]:
    """A ``Connection`` for the user channel with its ``RejectionGuard`` in place."""
    guard = RejectionGuard(on_events, within=within)

    def lost(reason: str) -> None:
        guard.on_lost(reason)
        if on_lost is not None:
            on_lost(reason)

    conn = Connection(policy, guard.on_events, on_reconnect=on_reconnect, on_lost=lost)
    guard.attach(conn)
    return conn, guard
