"""One server-side WebSocket connection: a bounded send queue and the fault switches.

Frames are queued by the exchange (never awaited there) and written by one writer task per
connection, so a slow client never stalls the exchange or other clients. A client whose queue
reaches ``max_queue`` frames is cut off: its queue is dropped and the connection is closed with
code 1013 ("try again later"); if the client does not finish the close handshake within the
server's close timeout the TCP connection is aborted.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from pmdash.sim.background import Background

Frame = str | bytes
"""A text frame: ``bytes`` are UTF-8 JSON sent as text (``send(..., text=True)``)."""
DEFAULT_MAX_QUEUE = 20_000
SLOW_CLIENT_CODE = 1013
SLOW_CLIENT_REASON = "client too slow: send queue full"

_ids = itertools.count(1)


class Session:
    """A feed connection. Faults flip ``stalled_until``, ``heartbeats``, ``duplicate_next``,
    ``reorder_next``; feeds call ``send`` (data) and ``send_control`` (PONG, errors)."""

    def __init__(self, ws: ServerConnection, path: str, *,
                 max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self.id = next(_ids)
        self.ws = ws
        self.path = path
        self.max_queue = max_queue
        self.duplicate_next = 0
        self.reorder_next = 0
        self.stalled_until = 0.0
        """Loop time until which nothing is written and PINGs go unanswered."""
        self.heartbeats = True
        """False: PINGs go unanswered while data keeps flowing."""
        self.closing = False
        self.sent = 0
        self._queue: deque[Frame] = deque()
        self._held: Frame | None = None
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._writer = self._loop.create_task(self._write_loop(), name=f"sim-writer-{self.id}")

    async def aclose(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def stalled(self) -> bool:
        return self._loop.time() < self.stalled_until

    def answers_ping(self) -> bool:
        return self.heartbeats and not self.stalled

    def send(self, frame: Frame) -> None:
        """Queue one data frame; duplicate/reorder faults apply here."""
        if self.closing:
            return
        if self.reorder_next and self._held is None:
            self._held = frame
            self.reorder_next -= 1
            return
        self._push(frame)
        if self.duplicate_next:
            self.duplicate_next -= 1
            self._push(frame)
        if self._held is not None:
            held, self._held = self._held, None
            self._push(held)

    def send_control(self, frame: Frame) -> None:
        """Queue a reply (PONG, error) in order behind the data already queued."""
        if self._held is not None:
            held, self._held = self._held, None
            self._push(held)
        self._push(frame)

    def abort(self) -> None:
        """Close the TCP connection at once, mid-stream, without a close frame."""
        self.closing = True
        self._queue.clear()
        self.ws.transport.abort()

    def _push(self, frame: Frame) -> None:
        if self.closing:
            return
        if len(self._queue) >= self.max_queue:
            self._cut_off()
            return
        self._queue.append(frame)
        self._wake.set()

    def _cut_off(self) -> None:
        self.closing = True
        self._queue.clear()
        self._wake.set()
        self._loop.create_task(self._close(SLOW_CLIENT_CODE, SLOW_CLIENT_REASON))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.ws.close(code, reason)

    async def _write_loop(self) -> None:
        queue, ws, loop = self._queue, self.ws, self._loop
        with contextlib.suppress(ConnectionClosed):
            while not self.closing:
                if not queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                delay = self.stalled_until - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue
                frame = queue.popleft()
                if isinstance(frame, bytes):
                    await ws.send(frame, text=True)
                else:
                    await ws.send(frame)
                self.sent += 1


class SessionRegistry:
    """Open sessions by path, for fault injection and health."""

    def __init__(self) -> None:
        self._by_path: dict[str, dict[int, Session]] = {}

    def add(self, session: Session) -> None:
        self._by_path.setdefault(session.path, {})[session.id] = session

    def remove(self, session: Session) -> None:
        self._by_path.get(session.path, {}).pop(session.id, None)

    def on(self, path: str) -> list[Session]:
        """Sessions on ``path``, oldest first."""
        return list(self._by_path.get(path, {}).values())

    def counts(self) -> dict[str, int]:
        return {path: len(s) for path, s in self._by_path.items() if s}


@contextlib.asynccontextmanager
async def serving(
    registry: SessionRegistry,
    session: Session,
    keepalive: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> AsyncIterator[None]:
    """``session`` registered and writing while the block runs, with its ``keepalive`` task
    (pings, heartbeats) if it has one. The client going away (``ConnectionClosed``) ends the
    block quietly; then the task is stopped and the session unregistered and closed."""
    registry.add(session)
    session.start()
    beat = Background(f"sim-keepalive-{session.id}")
    if keepalive is not None:
        beat.start(keepalive)
    try:
        yield
    except ConnectionClosed:
        pass
    finally:
        await beat.stop()
        registry.remove(session)
        await session.aclose()
