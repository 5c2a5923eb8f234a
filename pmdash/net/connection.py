"""The one WebSocket connection loop every feed reuses, parameterised by a ``FeedPolicy``.

``Connection.run()`` connects, sends the full subscription before any heartbeat, reads
frames, decodes each one and hands the events to ``on_events`` synchronously, and on any
loss (close, error, silence, missing heartbeat reply) reconnects with jittered exponential
backoff and subscribes the full current set again. A connection that delivered a data frame
resets the backoff (the next drop reconnects after the jittered base delay); only attempts
that fail before any data grow it, up to the cap; a ``Retry-After`` on a 429 or 503 is
honoured (up to ``MAX_RETRY_AFTER_S``). It never raises for network trouble,
bad frames or a failing ``on_events``; it counts them and reports them in ``FeedStatus``.

``FeedStatus`` counts data frames only: ``frames``, ``frames_per_s`` and ``last_frame_age_s``
leave heartbeats (a PONG, or a server PING answered) out, so a paused server that still answers
PINGs shows its data growing old. The watchdogs take any inbound frame as a sign of life.
``reconnects`` counts sockets opened after the first one (not attempts).

Two optional hooks let the owner keep its state honest: ``on_lost(reason)`` the moment a
socket that went live is lost (what it delivered is no longer current), and ``on_reconnect()``
when a later socket opens, before its subscription is sent. Neither is called on ``stop()``.

The socket is ``pmdash.net.wsclient`` (websockets' sans-I/O ``ClientProtocol`` under a lean
asyncio ``Protocol``): frames are parsed in the protocol's ``data_received``
and each message is decoded and dispatched inline (no task or future per frame); outbound
frames are written at once, in call order. Per session there is one task, the keeper
(heartbeat and watchdogs), beside the wait for the socket to end.

Permanent failures (see ``FeedPolicy.retry_after_failure``): state ``failed`` with the
reason; by default the loop still retries at about the cap rate, so a dashboard left open
comes back by itself. A malformed URL ends ``run()`` in state ``failed``.

While reconnecting, the ``connecting`` detail names why the last attempt ended
(``retry 2 after: no handshake within 10 s``). On ``stop()`` (or when ``run()`` is cancelled)
nothing more is decoded or handed out, and a server that does not answer the close frame is
given ``STOP_CLOSE_S`` at most.

Close codes: ``FeedPolicy.close_rules`` maps a server close code to a ``CloseRule``: end
``run()`` in ``failed`` (PolyBolt's 4001 bad credentials, 4008 policy violation), or reconnect
after the rule's own delay instead of the backoff (4003 draining). A handshake refused with 429
or 503 and a ``Retry-After`` is not retried before that many seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import ssl
import time
from collections.abc import Callable, Iterable, Sequence

from pmdash.models import Event, FeedError, FeedState, FeedStatus
from pmdash.net.backoff import Backoff
from pmdash.net.policy import AnswerPing, ClientPing, CloseRule, FeedPolicy
from pmdash.net.proxy import ProxyConfigError, ProxyError
from pmdash.net.rate import RateMeter
from pmdash.net.wsclient import (
    HandshakeRejected,
    HeaderError,
    InvalidURL,
    WsClient,
    connect,
    exc_text,
)

OnEvents = Callable[[list[Event], float], None]

_SAMPLE = 120
_MAX_CLOCK_AHEAD_MS = 3_600_000
"""A server timestamp further ahead of our clock than this is not taken for latency."""
_HEARTBEAT_CHARS = 16
_SERVER_HEARTBEAT_CHARS = 64
"""Longest frame offered to ``FeedPolicy.server_heartbeat``: longer ones are data."""
MAX_RETRY_AFTER_S = 600.0
"""The longest ``Retry-After`` obeyed (a server asking for more gets this)."""
STOP_CLOSE_S = 0.25
"""On stop, how long the server may take to answer our close frame before the socket is
dropped (its answer only confirms what we already decided)."""


class _Permanent(Exception):
    """A failure that retrying with the same settings will most likely not fix."""


class _Fatal(Exception):
    """A failure nothing at runtime can fix (a malformed URL)."""


class Connection:
    """One feed's socket, kept alive until :meth:`stop`."""

    def __init__(
        self,
        policy: FeedPolicy,
        on_events: OnEvents,
        *,
        on_reconnect: Callable[[], None] | None = None,
        on_lost: Callable[[str], None] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.policy = policy
        self._on_events = on_events
        self._on_reconnect = on_reconnect
        self._on_lost = on_lost
        self._backoff = backoff or Backoff(
            policy.backoff_base, policy.backoff_cap, jitter=policy.jitter
        )
        self._subs = policy.subscriptions
        self._decode = policy.decode
        hb = policy.heartbeat
        # Heartbeat texts compare case-insensitively, blanks ignored (``PONG`` / ``pong``).
        self._pong_text = hb.reply.strip().upper() if isinstance(hb, ClientPing) else None
        self._server_ping = hb.ping.strip().upper() if isinstance(hb, AnswerPing) else None
        self._ping_reply = hb.reply if isinstance(hb, AnswerPing) else ""
        self._server_heartbeat = policy.server_heartbeat
        self._stop = asyncio.Event()
        self._running = False
        self._state: FeedState = "stopped"
        self._detail = "not started"
        self._backoff_until: float | None = None
        self._frames = 0
        self._decode_errors = 0
        self._handler_errors = 0
        self._last_handler_error = ""
        self._reconnects = 0
        """Sockets opened after the first one."""
        self._retries = 0
        """Retries scheduled since a socket last opened (or since the start)."""
        self._last_frame: float | None = None
        """When the last data frame (not a heartbeat) arrived."""
        self._last_in = 0.0
        """When the last frame of any kind arrived: what the watchdogs go by."""
        self._newest_ts = 0
        self._latency_ms: float | None = None
        """Wall-clock arrival minus the server's timestamp of the newest frame, at its arrival."""
        self._rate = RateMeter(policy.rate_window)
        self._ws: WsClient | None = None
        self._session_start = 0.0
        self._last_pong = 0.0
        self._last_server_ping = 0.0
        """When the server's last ``ping`` (``AnswerPing``) arrived."""
        self._ping_sent = 0.0
        """When the first PING after the last frame was sent (not after it: none since)."""
        self._quiet = False
        """The feed is ``stale`` because the server went quiet (``ClientPing.late``)."""
        self._wake = asyncio.Event()
        """Set by the first frame after a PING: the keeper plans its next probe from it."""
        self._has_connected = False
        self._fresh = False
        """The open socket has delivered no data frame yet."""
        self._last_failure = ""
        """Why the last attempt ended, for the ``connecting`` detail."""
        self._retry_after: float | None = None
        """What the server's last ``Retry-After`` asked for."""
        self._stopping = False
        self._rule: CloseRule | None = None
        """The policy's rule for the close code that ended the last socket, if it has one."""

    # --- public API -------------------------------------------------------------------------

    @property
    def state(self) -> FeedState:
        return self._state

    @property
    def retries(self) -> int:
        """Retries scheduled since a socket last opened (or since the start): 0 while one is
        open, and growing while the server cannot be reached."""
        return self._retries

    def wanted(self) -> tuple[str, ...]:
        """The subscription set the next (or current) socket carries."""
        return self._subs.wanted()

    def subscribe(self, keys: Iterable[str]) -> None:
        """Add keys; on an open socket only the ones it lacks are sent, at once."""
        self._send_all(self._subs.add(keys))

    def unsubscribe(self, keys: Iterable[str]) -> None:
        """Remove keys; on an open socket only the ones it has are sent, at once."""
        self._send_all(self._subs.remove(keys))

    def resync(self, keys: Iterable[str]) -> None:
        """Ask again for fresh snapshots of these keys (unsubscribe, then subscribe).

        While disconnected this does nothing: the next connect subscribes everything anew.
        """
        self._send_all(self._subs.resync(keys))

    def stop(self) -> None:
        """End :meth:`run` (closing the socket cleanly). Safe to call at any time, even
        before ``run()``; a stopped connection stays stopped (make a new one to start again).
        From this call on, nothing more is decoded or handed to ``on_events``."""
        self._stop.set()
        self._halt()

    async def run(self) -> None:
        """Connect and stay connected until :meth:`stop` (or a malformed URL)."""
        if self._running:
            raise RuntimeError(f"{self.policy.feed}: run() is already running")
        if self._stop.is_set():
            self._set_state("stopped", "stopped")
            return
        self._running = True
        stopper = asyncio.ensure_future(self._stop.wait())
        main = asyncio.ensure_future(self._loop())
        try:
            await asyncio.wait({stopper, main}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._halt()  # stopped or cancelled: the socket goes without waiting on the peer
            stopper.cancel()
            main.cancel()
            await asyncio.gather(stopper, main, return_exceptions=True)
            self._running = False
        if not main.cancelled() and main.exception() is not None:
            error = main.exception()
            assert error is not None
            self.mark_failed(f"feed loop crashed: {exc_text(error)}")
            raise error  # a bug in this module, not the network
        if self._stop.is_set():
            self._set_state("stopped", "stopped")

    def mark_failed(self, reason: str) -> None:
        """Say the feed is dead (its loop or its worker crashed): state ``failed`` with
        ``reason``, no retry time. Nothing else changes: the owner decides what comes next."""
        self._backoff_until = None
        self._set_state("failed", reason)

    def status(self) -> FeedStatus:
        """The feed's health right now."""
        now = time.perf_counter()
        detail = self._detail
        if self._handler_errors:
            note = (
                f"on_events raised {self._handler_errors} time(s), last: {self._last_handler_error}"
            )
            detail = f"{detail}; {note}" if detail else note
        return FeedStatus(
            feed=self.policy.feed,
            state=self._state,
            detail=detail,
            url=self.policy.url,
            frames=self._frames,
            frames_per_s=round(self._rate.rate(now), 2),
            last_frame_age_s=None if self._last_frame is None else now - self._last_frame,
            latency_ms=self._latency_ms,
            reconnects=self._reconnects,
            decode_errors=self._decode_errors,
            backoff_until=self._backoff_until if self._state in ("backoff", "failed") else None,
        )

    # --- the loop ---------------------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            try:
                reason, stale = await self._attempt()
            except _Fatal as exc:
                self._backoff_until = None
                self._set_state("failed", str(exc))
                return
            except _Permanent as exc:
                if not self.policy.retry_after_failure:
                    self._backoff_until = None
                    self._set_state("failed", str(exc))
                    return
                delay = self._backoff.failed_delay()
                self._last_failure = str(exc)
                self._retries += 1
                self._backoff_until = time.time() + delay
                self._set_state("failed", f"{exc}; retrying in {delay:.0f} s")
            else:
                rule, self._rule = self._rule, None
                if rule is not None and not rule.retry:
                    self._backoff_until = None
                    self._set_state("failed", f"{rule.reason}: {reason}" if rule.reason else reason)
                    return
                if stale:
                    self._set_state("stale", reason)
                if rule is not None:
                    delay = random.uniform(rule.delay_min, rule.delay_max)
                else:
                    delay = self._backoff.next_delay()
                if self._retry_after is not None:
                    delay = max(delay, min(self._retry_after, MAX_RETRY_AFTER_S))
                    self._retry_after = None
                self._last_failure = reason
                self._retries += 1
                self._backoff_until = time.time() + delay
                self._set_state("backoff", reason)
            await asyncio.sleep(delay)
            self._backoff_until = None

    async def _attempt(self) -> tuple[str, bool]:
        """One connection from handshake to loss: (why it ended, whether a watchdog ended it)."""
        detail = f"retry {self._retries} after: {self._last_failure}" if self._retries else ""
        self._set_state("connecting", detail)
        try:
            ws = await self._open()
        except (_Permanent, _Fatal):
            raise
        except HandshakeRejected as exc:
            code = exc.status
            text = f"handshake rejected: HTTP {code} {exc.reason}".rstrip()
            if self.policy.authenticated and code in (401, 403):
                raise _Permanent(f"authentication rejected: {_server_reason(exc)}") from exc
            if 400 <= code < 500 and code != 429:
                raise _Permanent(text) from exc
            if code in (429, 503) and exc.retry_after is not None:
                self._retry_after = exc.retry_after
                text = f"{text}; Retry-After {exc.retry_after:g} s"
            return text, False
        except ssl.SSLCertVerificationError as exc:
            raise _Permanent(f"TLS certificate rejected: {exc.verify_message}") from exc
        except ProxyError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise _Permanent(str(exc)) from exc
            return f"connect failed: {exc}", False
        except TimeoutError:
            return f"no handshake within {self.policy.open_timeout:g} s", False
        except Exception as exc:
            return f"connect failed: {exc_text(exc)}", False
        stale = False
        try:
            try:
                reason, stale = await self._session(ws)
            except Exception as exc:
                reason = f"connection error: {exc_text(exc)}"
            if ws.close_code is not None:
                self._rule = self.policy.close_rules.get(ws.close_code)
            # Before the close, which may wait on the peer: what the socket delivered is no
            # longer current from this moment, and the owner must say so (not on stop()).
            if self._on_lost is not None:
                try:
                    self._on_lost(reason)
                except Exception as exc:
                    self._note_handler_error(exc)
            return reason, stale
        finally:
            await self._close(ws, abort=stale)

    async def _open(self) -> WsClient:
        headers: dict[str, str] | None = None
        if self.policy.headers is not None:
            try:
                headers = self.policy.headers()
            except Exception as exc:
                raise _Permanent(f"cannot build handshake headers: {exc_text(exc)}") from exc
        try:
            return await connect(
                self.policy.url,
                headers=headers,
                open_timeout=self.policy.open_timeout,
                close_timeout=self.policy.close_timeout,
                ping_interval=self.policy.protocol_ping_interval,
                ping_timeout=self.policy.protocol_ping_timeout,
                max_size=self.policy.max_size,
                proxy=self.policy.proxy,
                write_limit=self.policy.write_limit,
                write_stall=self.policy.write_stall,
            )
        except InvalidURL as exc:
            raise _Fatal(f"invalid URL: {exc}") from exc
        except ProxyConfigError as exc:  # names the variable, never its value
            raise _Fatal(str(exc)) from exc
        except HeaderError as exc:  # names the header, never its value
            raise _Permanent(f"cannot build handshake headers: {exc}") from exc

    async def _session(self, ws: WsClient) -> tuple[str, bool]:
        now = time.perf_counter()
        self._session_start = now
        self._last_pong = now
        self._last_server_ping = now
        self._ping_sent = 0.0
        self._quiet = False
        self._retries = 0
        if self._has_connected:
            self._reconnects += 1
            if self._on_reconnect is not None:
                try:
                    self._on_reconnect()
                except Exception as exc:
                    self._note_handler_error(exc)
        self._has_connected = True
        self._fresh = True
        initial = self._subs.open()
        self._ws = ws
        ended: asyncio.Future[str] | None = None
        keeper: asyncio.Future[tuple[str, bool]] | None = None
        try:
            for frame in initial:
                ws.send(frame)
            self._set_state("live", "")
            ws.start(self._on_frame)  # from here on frames are decoded in data_received
            ended = asyncio.ensure_future(ws.wait_closed())
            keeper = asyncio.ensure_future(self._keep())
            done, _ = await asyncio.wait({ended, keeper}, return_when=asyncio.FIRST_COMPLETED)
            if ended in done:
                return ended.result(), False
            return keeper.result()
        finally:
            self._subs.close()
            self._ws = None
            tasks = [task for task in (ended, keeper) if task is not None]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _close(self, ws: WsClient, *, abort: bool) -> None:
        if abort:
            # The peer is not answering: do not wait for a closing handshake.
            ws.abort()
        with contextlib.suppress(Exception):  # closing a broken socket: nothing more to do
            await ws.close(timeout=STOP_CLOSE_S if self._stopping else None)

    async def _keep(self) -> tuple[str, bool]:
        """Heartbeat sender and the two watchdogs (missing reply, inbound silence)."""
        hb = self.policy.heartbeat
        ping = hb if isinstance(hb, ClientPing) else None
        answered_every = hb.timeout if isinstance(hb, AnswerPing) else None
        server_ping = hb.ping if isinstance(hb, AnswerPing) else ""
        silence = self.policy.silence_timeout
        next_ping = self._session_start + ping.interval if ping else None
        while True:
            self._wake.clear()
            now = time.perf_counter()
            last_in = max(self._last_in, self._session_start)
            late_at = None
            probe_at = None
            if ping is not None and next_ping is not None:
                answered = self._ping_sent <= last_in  # a frame came after the last PING
                if ping.probe is not None and answered:
                    probe_at = last_in + ping.probe
                regular = now >= next_ping
                if regular or (probe_at is not None and now >= probe_at):
                    self._send_all([ping.text])
                    if answered:
                        self._ping_sent = now
                        answered = False
                        probe_at = None
                    if regular:
                        next_ping = max(next_ping + ping.interval, now + ping.interval / 2)
                    else:  # a probe: the next regular PING counts from it
                        next_ping = now + ping.interval
                if ping.timeout is not None and now - self._last_pong > ping.timeout:
                    return f"no {ping.reply} for {ping.timeout:g} s", True
                if ping.late is not None and not answered:
                    late_at = self._ping_sent + ping.late
                    if now >= late_at and self._state == "live":
                        # Say so now, not when the watchdog drops the socket: what is on screen
                        # may be out of date. The next frame makes the feed live again.
                        self._quiet = True
                        why = f"no {ping.reply} or data for {ping.late:g} s after a {ping.text}"
                        self._set_state("stale", why)
                    if self._state != "live":
                        late_at = None  # said already: nothing more to wake up for
            if silence is not None and now - last_in > silence:
                return f"no frame for {silence:g} s", True
            if answered_every is not None and now - self._last_server_ping > answered_every:
                return f"no {server_ping} from the server for {answered_every:g} s", True
            deadlines = []
            if late_at is not None:
                deadlines.append(late_at)
            if probe_at is not None:
                deadlines.append(probe_at)
            if next_ping is not None:
                deadlines.append(next_ping)
            if ping is not None and ping.timeout is not None:
                deadlines.append(self._last_pong + ping.timeout)
            if silence is not None:
                deadlines.append(last_in + silence)
            if answered_every is not None:
                deadlines.append(self._last_server_ping + answered_every)
            if not deadlines:
                await self._wake.wait()  # nothing to watch: sleep until a frame or cancelled
                continue
            with contextlib.suppress(TimeoutError):  # a deadline, or a frame after a PING
                async with asyncio.timeout(max(min(deadlines) - now, 0.0) + 0.001):
                    await self._wake.wait()

    # --- per frame --------------------------------------------------------------------------

    def _on_frame(self, frame: str | bytes) -> None:
        arrival = time.perf_counter()
        if self._ping_sent > self._last_in:  # the first frame since a PING
            self._wake.set()
        self._last_in = arrival  # any frame, a heartbeat too, is a sign of life
        if self._quiet:  # the server went quiet and is back: anything from it says so
            self._quiet = False
            if self._state == "stale":
                self._set_state("live", "")
        if len(frame) <= _HEARTBEAT_CHARS and (self._pong_text or self._server_ping):
            text = _heartbeat_text(frame)
            if text == self._pong_text:
                self._last_pong = arrival
                return
            if text == self._server_ping:
                self._last_server_ping = arrival
                self._send_all([self._ping_reply])
                return
        beat = self._server_heartbeat
        if beat is not None and len(frame) <= _SERVER_HEARTBEAT_CHARS and beat(frame):
            return
        # A data frame: only these make the frame count, the rate and the age.
        if self._fresh:  # the first of this socket: it works, so the backoff starts over
            self._fresh = False
            self._backoff.reset()
        self._frames += 1
        self._last_frame = arrival
        self._rate.hit(arrival)
        try:
            events = self._decode(frame)
        except Exception as exc:  # codecs must not raise; one that does still must not stop us
            events = [self._decode_crash(frame, exc)]
        if not events:
            return
        newest = self._newest_ts
        for event in events:
            if isinstance(event, FeedError):
                self._decode_errors += 1
            else:
                ts = getattr(event, "timestamp", None)
                if type(ts) is int and ts > newest:
                    newest = ts
        if newest != self._newest_ts:
            wall_ms = time.time() * 1000.0
            if newest <= wall_ms + _MAX_CLOCK_AHEAD_MS:  # else a bogus stamp: it would stick
                self._newest_ts = newest
                self._latency_ms = wall_ms - newest
        self._dispatch(events, arrival)

    def _decode_crash(self, frame: str | bytes, exc: Exception) -> FeedError:
        sample = frame[:_SAMPLE] if isinstance(frame, str) else repr(frame[:_SAMPLE])
        return FeedError(
            feed=self.policy.feed, message=f"decoder raised {exc_text(exc)}", sample=sample
        )

    def _dispatch(self, events: Sequence[Event], arrival: float) -> None:
        try:
            self._on_events(events if isinstance(events, list) else list(events), arrival)
        except Exception as exc:
            first = self._handler_errors == 0
            self._note_handler_error(exc)
            if first:
                self._emit_status()

    def _note_handler_error(self, exc: Exception) -> None:
        self._handler_errors += 1
        self._last_handler_error = exc_text(exc)

    # --- helpers ----------------------------------------------------------------------------

    def _halt(self) -> None:
        self._stopping = True
        if self._ws is not None:
            self._ws.halt()

    def _send_all(self, frames: list[str]) -> None:
        ws = self._ws
        if ws is None:
            return
        for frame in frames:
            ws.send(frame)

    def _set_state(self, state: FeedState, detail: str) -> None:
        self._state = state
        self._detail = detail
        self._emit_status()

    def _emit_status(self) -> None:
        try:
            self._on_events([self.status()], time.perf_counter())
        except Exception as exc:
            self._note_handler_error(exc)


def _server_reason(exc: HandshakeRejected) -> str:
    """``HTTP 401 Unauthorized``, then the server's own words when its body gave any
    (``{"error": ...}``, ``{"message": ...}`` or plain text)."""
    head = f"HTTP {exc.status} {exc.reason}".rstrip()
    words = exc.body
    try:
        data = json.loads(words) if words else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        found = [data.get(k) for k in ("error", "message", "detail")]
        words = next((w for w in found if isinstance(w, str)), "")
    return f"{head}: {words[:200]}" if words else head


def _heartbeat_text(frame: str | bytes) -> str:
    if isinstance(frame, bytes):
        frame = frame.decode("utf-8", "replace")
    return frame.strip().upper()
