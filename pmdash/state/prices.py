"""The reference-price board: per symbol, each series (kind and source) with its latest exact
value, its own timestamp, a bounded history, the change over the session and its gaps.

Pure apart from an injected clock (wall ms), read only to note when a feed went live and when
its last price arrived: ``notices(now_ms)`` says "RTDS sends no prices (retired?)" when a live
RTDS socket has delivered no price for ``quiet_ms``, and ``series_note`` says a Chainlink series
quiet for a while is "waiting for next round", not an outage (Chainlink publishes in rounds).

Takes ``PriceTick``, ``PriceGap``, ``FeedAck`` and ``FeedStatus`` of its feeds;
``apply(event)`` returns the dirty keys: ``"<feed>:<symbol>"`` for a series that changed,
``"<feed>:"`` for the feed's notices.
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Literal

from pmdash.models import Event, FeedAck, FeedStatus, PriceGap, PriceKind, PriceTick

SeriesKey = tuple[str, PriceKind, str]
"""(symbol, kind, source)."""
Point = tuple[int, Decimal]
GapReason = Literal["dropped", "seq", "disconnected"]

WINDOW_MS = 10 * 60_000
"""History kept per series: ten minutes (the chart shows the recent minutes)."""
MAX_POINTS = 1_200
"""And never more than this many points per series, whatever the rate."""
MAX_GAPS = 32
QUIET_MS = 30_000
STALE_MS = 10_000
"""A series whose latest price is older than this is "stale" (Chainlink: "waiting for next
round", unless much older: ``CHAINLINK_OUTAGE_MS``)."""
CHAINLINK_OUTAGE_MS = 5 * 60_000
AUTH_CODES = frozenset({"auth_invalid", "auth_required", "auth_expired", "auth_attempts",
                        "auth_unavailable"})
CREDENTIAL_NAMES = "CLOB_API_KEY, CLOB_SECRET, CLOB_PASS_PHRASE"
RTDS_SILENT = "RTDS sends no prices (retired?); set CLOB credentials for PolyBolt"
_SPOT_ORDER = ("pyth", "binance", "chainlink", "massive")


def _wall_ms() -> int:
    return int(time.time() * 1000)


class Gap:
    """Where a series lost data: the time of the first point after it, and why."""

    __slots__ = ("at", "dropped", "reason")

    def __init__(self, at: int, reason: GapReason, dropped: int = 0) -> None:
        self.at = at
        self.reason: GapReason = reason
        self.dropped = dropped

    def __repr__(self) -> str:
        return f"Gap(at={self.at}, reason={self.reason!r}, dropped={self.dropped})"


class Series:
    """One price series. Read it; only the board changes it."""

    __slots__ = ("channel", "feed", "gaps", "kind", "open", "pending_gap", "points", "source",
                 "symbol", "window_s")

    def __init__(self, feed: str, symbol: str, kind: PriceKind, source: str, channel: str,
                 window_s: int | None) -> None:
        self.feed = feed
        self.symbol = symbol
        self.kind: PriceKind = kind
        self.source = source
        self.channel = channel
        self.window_s = window_s
        self.points: list[Point] = []
        """Oldest first, no two with the same timestamp, bounded."""
        self.open: Decimal | None = None
        """The first value this session saw: the base of ``change``."""
        self.gaps: deque[Gap] = deque(maxlen=MAX_GAPS)
        self.pending_gap: Gap | None = None
        """Set when the feed reconnected: ``at`` is the newest point before the loss. The next
        point decides: a snapshot reaching back to it fills the hole, anything later is a gap."""

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def change(self) -> Decimal | None:
        if self.open is None or not self.points:
            return None
        return self.points[-1][1] - self.open

    def age_ms(self, now_ms: int) -> int | None:
        """How old the latest price is, by its own timestamp."""
        return None if not self.points else max(now_ms - self.points[-1][0], 0)

    def since(self, start_ms: int) -> list[Point]:
        """The points from ``start_ms`` on."""
        i = bisect.bisect_left(self.points, start_ms, key=lambda p: p[0])
        return self.points[i:]


class PriceBoard:
    """Every reference-price series of the price feeds, by symbol."""

    TAKES: tuple[type, ...] = (PriceTick, PriceGap, FeedAck, FeedStatus)

    def __init__(
        self,
        feeds: Iterable[str] = ("polybolt", "rtds"),
        *,
        window_ms: int = WINDOW_MS,
        max_points: int = MAX_POINTS,
        quiet_ms: int = QUIET_MS,
        clock: Callable[[], int] = _wall_ms,
    ) -> None:
        self.feeds = frozenset(feeds)
        self.window_ms = window_ms
        self.max_points = max_points
        self.quiet_ms = quiet_ms
        self._clock = clock
        self._series: dict[str, dict[SeriesKey, Series]] = {}
        """symbol -> its series, in the order first seen."""
        self._seq: dict[tuple[str, str], int] = {}
        self._live_since: dict[str, int] = {}
        self._last_price_at: dict[str, int] = {}
        self._was_live: set[str] = set()
        self._auth_error: dict[str, str] = {}

    # --- reducing ----------------------------------------------------------------------------

    def apply(self, event: Event) -> set[str]:
        if event.feed not in self.feeds:
            return set()
        if isinstance(event, PriceTick):
            return self._tick(event)
        if isinstance(event, PriceGap):
            return self._gap(event)
        if isinstance(event, FeedAck):
            return self._ack(event)
        if isinstance(event, FeedStatus):
            return self._status(event)
        return set()

    def apply_all(self, events: Iterable[Event]) -> set[str]:
        dirty: set[str] = set()
        for event in events:
            dirty |= self.apply(event)
        return dirty

    def _tick(self, tick: PriceTick) -> set[str]:
        feed = tick.feed
        self._last_price_at[feed] = self._clock()
        key: SeriesKey = (tick.symbol, tick.kind, tick.source)
        by_symbol = self._series.setdefault(tick.symbol, {})
        series = by_symbol.get(key)
        if series is None:
            series = by_symbol[key] = Series(feed, tick.symbol, tick.kind, tick.source,
                                             tick.channel, tick.window_s)
        if tick.seq is not None:
            channel_key = (feed, tick.channel)
            last = self._seq.get(channel_key)
            self._seq[channel_key] = tick.seq
            if last is not None and tick.seq > last + 1:  # seq is dense per channel
                series.gaps.append(Gap(tick.timestamp, "seq", tick.seq - last - 1))
        pending = series.pending_gap
        if pending is not None:
            series.pending_gap = None
            if not (tick.snapshot and tick.timestamp <= pending.at):
                series.gaps.append(Gap(tick.timestamp, "disconnected"))
        self._insert(series, tick.timestamp, tick.value)
        return {f"{feed}:{tick.symbol}"}

    def _insert(self, series: Series, ts: int, value: Decimal) -> None:
        points = series.points
        if series.open is None:
            series.open = value
        if not points or ts > points[-1][0]:
            points.append((ts, value))
        else:
            i = bisect.bisect_left(points, ts, key=lambda p: p[0])
            if i < len(points) and points[i][0] == ts:
                points[i] = (ts, value)  # the same instant again (a snapshot overlapping)
            else:
                points.insert(i, (ts, value))
        newest = points[-1][0]
        cut = bisect.bisect_left(points, newest - self.window_ms, key=lambda p: p[0])
        cut = max(cut, len(points) - self.max_points)
        if cut > 0:
            del points[:cut]

    def _gap(self, gap: PriceGap) -> set[str]:
        dirty = set()
        for by_symbol in self._series.values():
            for series in by_symbol.values():
                if series.feed == gap.feed and series.channel == gap.channel:
                    series.gaps.append(Gap(gap.timestamp, "dropped", gap.dropped))
                    dirty.add(f"{gap.feed}:{series.symbol}")
        return dirty

    def _ack(self, ack: FeedAck) -> set[str]:
        if ack.op == "authed":
            self._auth_error.pop(ack.feed, None)
            return {f"{ack.feed}:"}
        if ack.op == "error" and ack.code in AUTH_CODES:
            if ack.code == "auth_required" and ack.feed in self._auth_error:
                return set()  # the consequence of the refusal already shown: keep its cause
            self._auth_error[ack.feed] = ack.code
            return {f"{ack.feed}:"}
        return set()

    def _status(self, status: FeedStatus) -> set[str]:
        feed = status.feed
        if status.state == "live" and feed not in self._live_since:
            self._live_since[feed] = self._clock()
            if feed in self._was_live:
                # What came between the last socket and this one is lost for good.
                for by_symbol in self._series.values():
                    for series in by_symbol.values():
                        if series.feed == feed and series.latest is not None:
                            series.pending_gap = Gap(series.latest[0], "disconnected")
                for channel_key in [k for k in self._seq if k[0] == feed]:
                    del self._seq[channel_key]  # seq restarts on every connection
            self._was_live.add(feed)
            self._last_price_at.pop(feed, None)
            return {f"{feed}:"}
        lost = status.state in ("backoff", "failed", "stopped", "connecting")
        if lost and self._live_since.pop(feed, None) is not None:
            return {f"{feed}:"}
        return set()

    # --- reading -----------------------------------------------------------------------------

    def symbols(self) -> list[str]:
        """Every symbol with a series, in the order first seen."""
        return list(self._series)

    def series(self, symbol: str) -> list[Series]:
        return list(self._series.get(symbol, {}).values())

    def primary(self, symbol: str) -> Series | None:
        """The spot to show first: Pyth, then Binance, then Chainlink spot, then any."""
        spots = [s for s in self.series(symbol) if s.kind == "spot" and s.points]
        if not spots:
            return None
        return min(spots, key=lambda s: (_SPOT_ORDER.index(s.source)
                                         if s.source in _SPOT_ORDER else len(_SPOT_ORDER)))

    def secondary(self, symbol: str) -> Series | None:
        """The series beside it: the TWAP (what up/down markets settle on), else another spot
        (RTDS: Chainlink beside Binance)."""
        first = self.primary(symbol)
        rest = [s for s in self.series(symbol) if s is not first and s.points]
        twaps = [s for s in rest if s.kind == "twap"]
        if twaps:
            return twaps[0]
        return rest[0] if rest else None

    def basis(self, symbol: str) -> Decimal | None:
        """Primary minus secondary (spot minus TWAP on PolyBolt)."""
        first, second = self.primary(symbol), self.secondary(symbol)
        if first is None or second is None or first.latest is None or second.latest is None:
            return None
        return first.latest[1] - second.latest[1]

    def series_note(self, series: Series, now_ms: int) -> str:
        """``""`` while fresh; ``"waiting for next round"`` for a quiet Chainlink series;
        ``"stale"`` for any other series (or Chainlink quiet for very long)."""
        age = series.age_ms(now_ms)
        if age is None:
            return "no data"
        if age <= STALE_MS:
            return ""
        if series.source == "chainlink" and age <= CHAINLINK_OUTAGE_MS:
            return "waiting for next round"
        return "stale"

    def refused(self, feed: str) -> bool:
        """Whether ``feed``'s server refused the credentials (not "unavailable, retry later")
        and has not accepted them since."""
        code = self._auth_error.get(feed)
        return code is not None and code != "auth_unavailable"

    def notices(self, now_ms: int | None = None) -> list[str]:
        """What the price feeds need to tell the user, one line each (never a secret)."""
        now = self._clock() if now_ms is None else now_ms
        out = []
        for feed in sorted(self._auth_error):
            code = self._auth_error[feed]
            if code == "auth_unavailable":
                out.append(f"{feed}: authentication unavailable, retrying later")
            else:
                out.append(f"{feed} refused the CLOB credentials ({code}); check "
                           f"{CREDENTIAL_NAMES}")
        for feed, since in sorted(self._live_since.items()):
            if feed != "rtds":
                continue
            last = self._last_price_at.get(feed)
            quiet_from = since if last is None or last < since else last
            if now - quiet_from >= self.quiet_ms:
                out.append(RTDS_SILENT)
        return out
