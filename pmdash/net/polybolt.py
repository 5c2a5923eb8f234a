"""PolyBolt's connection policy (PROTOCOLS §3b.1-§3b.4).

On every socket: the ``auth`` op first (the CLOB credential triple), then one batched subscribe
of the full set. The server pings at the protocol level every 25 s (the socket answers by
itself); pmdash also sends ``{"op":"ping"}`` every 30 s, as PY-SDK does, so a quiet socket (an
equity market closed) still shows signs of life, and drops a socket silent for 90 s.

Close codes (§3b.4): 4001 (authentication failed) and 4008 (policy violation: limits, too many
auth frames) end the connection in state ``failed``: retrying would be refused the same way;
4003 (server draining) reconnects once after a uniform 0-10 s; 4002 (slow consumer) backs off.
A handshake refused with 429/503 waits at least its ``Retry-After`` (the connection loop).
"""

from __future__ import annotations

from collections.abc import Iterable

from pmdash.credentials import ClobCredentials
from pmdash.feeds import polybolt as codec
from pmdash.net.policy import ClientPing, CloseRule, FeedPolicy

FEED = codec.FEED
PING_INTERVAL = 30.0
SILENCE_TIMEOUT = 90.0
CREDENTIAL_NAMES = "CLOB_API_KEY, CLOB_SECRET and CLOB_PASS_PHRASE"
CLOSE_RULES = {
    codec.CLOSE_AUTH_FAILED: CloseRule(
        retry=False,
        reason=f"PolyBolt refused the CLOB credentials; check {CREDENTIAL_NAMES}",
    ),
    codec.CLOSE_POLICY: CloseRule(
        retry=False,
        reason="PolyBolt closed for a policy violation (limits or auth attempts); not retried",
    ),
    codec.CLOSE_DRAINING: CloseRule(
        retry=True, delay_min=0.0, delay_max=10.0, reason="PolyBolt server draining"
    ),
}


class PolyBoltSubscriptions:
    """Auth plus the (channel, filter) pairs, named by ``codec.sub_key`` strings.

    ``open()`` gives the auth op and one batched subscribe; changes on an open socket send only
    differences (a subscribe batch, one unsubscribe per pair). At most ``codec.MAX_PAIRS``
    pairs: one more would close the socket with 4008, so ``add`` refuses it (ValueError)."""

    def __init__(self, credentials: ClobCredentials, keys: Iterable[str]) -> None:
        self._credentials = credentials
        self._wanted: dict[str, None] = {}
        self._active: dict[str, None] = {}
        self._open = False
        self._check(list(dict.fromkeys(keys)))
        self._wanted = dict.fromkeys(keys)

    def __repr__(self) -> str:
        return f"PolyBoltSubscriptions({self._credentials!r}, {list(self._wanted)!r})"

    def _check(self, new: list[str]) -> None:
        for key in new:
            codec.parse_key(key)  # a malformed key is a caller's bug: ValueError now
        if len(self._wanted) + len(new) > codec.MAX_PAIRS:
            raise ValueError(f"PolyBolt takes at most {codec.MAX_PAIRS} subscriptions a socket")

    def wanted(self) -> tuple[str, ...]:
        return tuple(self._wanted)

    def open(self) -> list[str]:
        self._open = True
        self._active = dict(self._wanted)
        c = self._credentials
        frames = [codec.auth(c.api_key, c.secret, c.passphrase, rid="auth")]
        if self._active:
            frames.append(codec.subscribe(list(self._active), rid="sub"))
        return frames

    def close(self) -> None:
        self._open = False
        self._active = {}

    def add(self, keys: Iterable[str]) -> list[str]:
        new = [k for k in dict.fromkeys(keys) if k not in self._wanted]
        self._check(new)
        self._wanted.update(dict.fromkeys(new))
        if not self._open or not new:
            return []
        self._active.update(dict.fromkeys(new))
        return [codec.subscribe(new, rid="sub")]

    def remove(self, keys: Iterable[str]) -> list[str]:
        gone = [k for k in dict.fromkeys(keys) if k in self._wanted]
        for k in gone:
            del self._wanted[k]
        if not self._open:
            return []
        frames = [codec.unsubscribe(k, rid="unsub") for k in gone if k in self._active]
        for k in gone:
            self._active.pop(k, None)
        return frames

    def resync(self, keys: Iterable[str]) -> list[str]:
        """Unsubscribe and subscribe again: a new subscription brings a fresh snapshot."""
        if not self._open:
            return []
        again = [k for k in dict.fromkeys(keys) if k in self._active]
        if not again:
            return []
        return [codec.unsubscribe(k, rid="resync") for k in again] + [
            codec.subscribe(again, rid="resync")
        ]


def polybolt_policy(
    url: str,
    credentials: ClobCredentials,
    keys: Iterable[str] | None = None,
    *,
    ping_interval: float = PING_INTERVAL,
    silence_timeout: float = SILENCE_TIMEOUT,
) -> FeedPolicy:
    """A new policy (with its own subscription state) for one PolyBolt connection; ``keys``
    default to spot and 60 s TWAP of BTC, ETH, SOL and XRP (``codec.default_keys``)."""
    return FeedPolicy(
        feed=FEED,
        url=url,
        decode=codec.decode,
        subscriptions=PolyBoltSubscriptions(
            credentials, codec.default_keys() if keys is None else keys
        ),
        # The op-level ping's answer is a JSON ack, not a bare word: no reply is awaited; the
        # ack (like any frame) keeps the silence watchdog quiet.
        heartbeat=ClientPing(
            interval=ping_interval, text=codec.ping(), reply="", timeout=None, probe=None,
            late=None,
        ),
        silence_timeout=silence_timeout,
        close_rules=CLOSE_RULES,
        max_size=2**20,
    )
