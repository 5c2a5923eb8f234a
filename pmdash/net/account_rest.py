"""Your CLOB account over REST (PROTOCOLS §2.4): L2-signed reads and the Data API positions.

``AccountRest`` loads what the user channel cannot replay: cash, open orders, your fills since
the last one seen, and positions by profile address. Each endpoint keeps under its documented
rate limit (a sliding window: a call that would exceed it waits); a call that fails is retried
with jittered backoff, except for a refusal that retrying cannot fix (HTTP 4xx other than
429), and then raises ``AccountError`` with the reason. ``load()`` runs every read and returns
an ``AccountSnapshot`` holding what came and why anything did not.

Headers are signed anew for every attempt; neither the secret nor the passphrase is ever part
of an error (``HttpError`` quotes the URL and the server's words only).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pmdash.credentials import ClobCredentials as Credentials
from pmdash.feeds import account_rest as codec
from pmdash.feeds.user import Identity
from pmdash.models import Balance, FeedError, Fill, OrderEvent, Position
from pmdash.net.backoff import Backoff
from pmdash.net.clob_auth import l2_headers
from pmdash.net.http import HttpError, build_url, get_bytes

CLOB_REST = "https://clob.polymarket.com"
DATA_API = "https://data-api.polymarket.com"
MAX_PAGES = 100
"""Pages read per listing at most (a runaway cursor ends here)."""
POSITIONS_PAGE = 500
POSITIONS_MAX_OFFSET = 10_000

LIMITS: dict[str, tuple[int, float]] = {
    "/balance-allowance": (200, 10.0),
    "/data/orders": (500, 10.0),
    "/data/trades": (500, 10.0),
    "/positions": (150, 10.0),
}
"""Path -> (calls, per seconds): Polymarket's documented limits (PROTOCOLS §2.4)."""


class AccountError(Exception):
    """A read that failed after its retries; the message says which and why."""


class SlidingWindow:
    """At most ``calls`` per ``period`` seconds: ``acquire()`` waits for a free slot."""

    def __init__(self, calls: int, period: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.calls = calls
        self.period = period
        self._clock = clock
        self._sent: deque[float] = deque()

    def delay(self) -> float:
        """Seconds until a call may go (0: now)."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= self.period:
            self._sent.popleft()
        if len(self._sent) < self.calls:
            return 0.0
        return self._sent[0] + self.period - now

    async def acquire(self) -> None:
        while (wait := self.delay()) > 0:
            await asyncio.sleep(wait)
        self._sent.append(self._clock())


@dataclass
class AccountSnapshot:
    """What one ``load()`` got: each part is None when its read failed (see ``errors``)."""

    balance: Balance | None = None
    orders: list[OrderEvent] | None = None
    fills: list[Fill] | None = None
    positions: list[Position] | None = None
    errors: list[str] = field(default_factory=list)
    """One line per failed read: what it was and why."""
    decode_errors: list[FeedError] = field(default_factory=list)


class AccountRest:
    """The L2-signed account reads of one API key (signer ``address``) and the positions of
    one profile address."""

    def __init__(
        self,
        creds: Credentials,
        *,
        address: str,
        profile: str = "",
        clob_base: str = CLOB_REST,
        data_base: str = DATA_API,
        signature_type: int = 0,
        attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.creds = creds
        self.address = address
        self.profile = profile or address
        self.identity = Identity.of([creds.api_key], [address, self.profile])
        self.clob_base = clob_base
        self.data_base = data_base
        self.signature_type = signature_type
        self.attempts = max(1, attempts)
        self.timeout = timeout
        self._clock = clock
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._limits = {path: SlidingWindow(n, s) for path, (n, s) in LIMITS.items()}
        self.calls = 0
        """HTTP requests made (attempts, retries included)."""

    def __repr__(self) -> str:  # the credentials stay out of any repr
        return f"AccountRest(api_key={self.creds.api_key!r}, address={self.address!r})"

    # --- one GET, limited, retried -----------------------------------------------------------

    async def _get(self, base: str, path: str, params: dict[str, str | int | bool],
                   *, signed: bool) -> bytes:
        backoff = Backoff(self._backoff_base, self._backoff_cap, jitter="full")
        url = build_url(base, path, params)
        last = ""
        for attempt in range(self.attempts):
            limit = self._limits.get(path)
            if limit is not None:
                await limit.acquire()
            headers = (l2_headers(self.creds, self.address, "GET", path, clock=self._clock)
                       if signed else None)
            self.calls += 1
            try:
                return await get_bytes(url, timeout=self.timeout, headers=headers)
            except HttpError as exc:
                last = str(exc)
                status = exc.status
                if status is not None and 400 <= status < 500 and status != 429:
                    break  # refused: the same request will be refused again
            if attempt + 1 < self.attempts:
                await asyncio.sleep(backoff.next_delay())
        raise AccountError(f"GET {path}: {last}")

    # --- the reads ---------------------------------------------------------------------------

    async def balance(self) -> Balance:
        body = await self._get(self.clob_base, "/balance-allowance",
                               {"asset_type": "COLLATERAL",
                                "signature_type": self.signature_type}, signed=True)
        result = codec.decode_balance(body, timestamp=int(self._clock() * 1000))
        if isinstance(result, FeedError):
            raise AccountError(f"GET /balance-allowance: {result.message}")
        return result

    async def _paged(self, path: str, extra: dict[str, str | int | bool],
                     errors: list[FeedError]) -> list[bytes]:
        bodies: list[bytes] = []
        cursor = codec.FIRST_CURSOR
        for _ in range(MAX_PAGES):
            body = await self._get(self.clob_base, path, {**extra, "next_cursor": cursor},
                                   signed=True)
            bodies.append(body)
            page = codec.read_page(body)
            if isinstance(page, FeedError):
                errors.append(page)
                break
            cursor = page[1]
            if cursor == codec.LAST_CURSOR:
                break
        return bodies

    async def open_orders(self, errors: list[FeedError] | None = None) -> list[OrderEvent]:
        bad = [] if errors is None else errors
        out: list[OrderEvent] = []
        for body in await self._paged("/data/orders", {}, bad):
            events, _ = codec.decode_orders(body, self.identity)
            out.extend(e for e in events if isinstance(e, OrderEvent))
            bad.extend(e for e in events if isinstance(e, FeedError))
        return out

    async def fills_since(self, after_s: int,
                          errors: list[FeedError] | None = None) -> list[Fill]:
        """Your fills in trades after ``after_s`` (Unix seconds); not filtered by asset (that
        would miss maker fills)."""
        bad = [] if errors is None else errors
        out: list[Fill] = []
        for body in await self._paged("/data/trades", {"after": max(0, after_s)}, bad):
            events, _ = codec.decode_trades(body, self.identity)
            out.extend(e for e in events if isinstance(e, Fill))
            bad.extend(e for e in events if isinstance(e, FeedError))
        return out

    async def positions(self, errors: list[FeedError] | None = None) -> list[Position]:
        bad = [] if errors is None else errors
        out: list[Position] = []
        offset = 0
        while offset <= POSITIONS_MAX_OFFSET:
            body = await self._get(self.data_base, "/positions",
                                   {"user": self.profile, "sizeThreshold": 0,
                                    "limit": POSITIONS_PAGE, "offset": offset}, signed=False)
            items = codec.decode_positions(body, timestamp=int(self._clock() * 1000))
            out.extend(p for p in items if isinstance(p, Position))
            bad.extend(p for p in items if isinstance(p, FeedError))
            if len(items) < POSITIONS_PAGE:
                break
            offset += POSITIONS_PAGE
        return out

    async def load(self, fills_after_s: int | None = None) -> AccountSnapshot:
        """Orders, then fills (when ``fills_after_s`` is given), then positions, then cash,
        as nautilus_trader's "mass status" does. A read that fails leaves its part None."""
        snap = AccountSnapshot()
        try:
            snap.orders = await self.open_orders(snap.decode_errors)
        except AccountError as exc:
            snap.errors.append(str(exc))
        if fills_after_s is not None:
            try:
                snap.fills = await self.fills_since(fills_after_s, snap.decode_errors)
            except AccountError as exc:
                snap.errors.append(str(exc))
        try:
            snap.positions = await self.positions(snap.decode_errors)
        except AccountError as exc:
            snap.errors.append(str(exc))
        try:
            snap.balance = await self.balance()
        except AccountError as exc:
            snap.errors.append(str(exc))
        return snap

