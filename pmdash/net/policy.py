"""What makes one feed's connection different from another's: a plain settings object."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pmdash.models import Event
from pmdash.net.backoff import Jitter
from pmdash.net.proxy import Proxy
from pmdash.net.subscriptions import NoSubscriptions, Subscriptions
from pmdash.net.wsclient import WRITE_LIMIT, WRITE_STALL_S

Decode = Callable[[str | bytes], Sequence[Event]]


@dataclass(frozen=True, kw_only=True)
class ClientPing:
    """The client sends ``text`` every ``interval`` s; the server answers ``reply``.

    ``timeout``: seconds without a ``reply`` before the socket counts as stale and is dropped
    (``None``: the reply is not required, as on RTDS). ``probe``: after this many seconds with
    nothing from the server, a ``text`` goes out at once rather than at the next interval, so
    a stalled server is noticed within ``probe + late`` s, not up to ``interval + late``.
    ``late``: seconds after a ``text`` with nothing from the server (no ``reply``, no data)
    before the feed shows as ``stale`` while the socket is kept; the next frame of any kind
    brings it back to ``live``. ``None``: never (for either).
    """

    interval: float = 10.0
    text: str = "PING"
    reply: str = "PONG"
    timeout: float | None = 30.0
    probe: float | None = 2.0
    late: float | None = 3.0


@dataclass(frozen=True, kw_only=True)
class AnswerPing:
    """The server sends ``ping``; the client answers ``reply`` (the sports socket).

    ``timeout``: seconds without a server ``ping`` before the socket counts as stale and is
    dropped (a server that keeps sending data but stopped pinging is not well either; the
    sports SDKs use 30 s). ``None``: pings are answered but not required."""

    ping: str = "ping"
    reply: str = "pong"
    timeout: float | None = 30.0


Heartbeat = ClientPing | AnswerPing | None


@dataclass(frozen=True, kw_only=True)
class CloseRule:
    """What the connection does when the server closes the socket with a given close code.

    ``retry=False``: end ``run()`` in state ``failed`` with ``reason`` (retrying would repeat
    the same refusal: wrong credentials, a client bug). ``retry=True``: reconnect after a
    uniform draw in ``[delay_min, delay_max]`` s instead of the backoff (once: if that
    reconnect fails, the backoff takes over again). ``reason`` is shown in the status; never
    put a secret in it.
    """

    retry: bool
    delay_min: float = 0.0
    delay_max: float = 0.0
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class FeedPolicy:
    """One feed's connection settings. Every time is in seconds.

    ``subscriptions`` is the feed's live subscription state: give each ``Connection`` a
    policy of its own (build a new one per connection, e.g. with ``market_policy``)."""

    feed: str
    url: str
    decode: Decode
    subscriptions: Subscriptions = field(default_factory=NoSubscriptions)
    headers: Callable[[], dict[str, str]] | None = None
    """Called anew before every (re)connect, so signed headers are fresh each time. If it
    raises, its message is shown in the status detail: never put a secret in it."""
    authenticated: bool = False
    """The handshake carries credentials (``headers``): an upgrade answered 401 or 403 means
    they were refused, shown as ``authentication rejected: ...`` with the server's reason, and
    counts as a permanent failure (see ``retry_after_failure``)."""
    heartbeat: Heartbeat = None
    server_heartbeat: Callable[[str | bytes], bool] | None = None
    """Tells a server's own heartbeat frame (``{"heartbeat":{}}`` on Polymarket US): a sign of
    life for the watchdogs, left out of the data-frame count, rate and age, not decoded."""
    silence_timeout: float | None = 30.0
    """Drop the socket after this long without any inbound frame (``None``: never)."""
    backoff_base: float = 1.0
    """Delays double from here up to ``backoff_cap`` while attempts fail before any data. A
    connection that delivered a data frame resets them: the next delay is drawn from
    ``backoff_base`` again (jittered)."""
    backoff_cap: float = 60.0
    jitter: Jitter = "full"
    retry_after_failure: bool = True
    """After a permanent failure (HTTP 4xx other than 429 at the handshake or from the proxy,
    bad TLS certificate, a headers factory that raises), keep retrying at about the cap rate
    (``True``) or end ``run()`` in state ``failed`` (``False``). A malformed URL always ends
    ``run()``, as does an unusable proxy variable: nothing at runtime can fix them."""
    proxy: Proxy | bool = True
    """``True``: the proxy the environment sets for ``url`` (``proxy.proxy_for``: loopback is
    always direct); ``False``: none; or this one. A proxy's 4xx refusal (other than 429) counts
    as a permanent failure."""
    write_limit: int = WRITE_LIMIT
    """Unsent bytes past which the socket stops reading (a server that makes us answer its
    PINGs but never reads cannot grow our memory)."""
    write_stall: float = WRITE_STALL_S
    """Seconds past ``write_limit`` before the socket is dropped (the status says why)."""
    max_size: int | None = 2**20
    """Largest inbound message in bytes (all its fragments); None: no limit."""
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    protocol_ping_interval: float | None = 20.0
    """Protocol-level (opcode 9) ping every this many seconds; no pong within
    ``protocol_ping_timeout`` drops the socket. Harmless beside the text heartbeat."""
    protocol_ping_timeout: float | None = 20.0
    rate_window: float = 5.0
    """Window of the ``frames_per_s`` figure."""
    close_rules: Mapping[int, CloseRule] = field(default_factory=dict)
    """Server close code -> what to do instead of backing off (codes not named back off)."""
