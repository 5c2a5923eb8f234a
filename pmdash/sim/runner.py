"""Starting and stopping the embedded exchange.

- ``async with serve_exchange(...) as running:`` inside an existing loop (async tests).
- ``start_exchange(...) -> RunningExchange``: in a background thread with its own loop
  (``pmdash --demo``, sync tests); its ``exchange``/``faults`` proxies call into that loop.
- ``sim_main(...)``: the ``pmdash sim`` subcommand.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import json
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from pmdash.credentials import ClobCredentials
from pmdash.models import Level, MarketInfo
from pmdash.output import OutputError, output_failed, write
from pmdash.sim.crypto_markets import CryptoMarkets
from pmdash.sim.exchange import Exchange, wall_clock_ms
from pmdash.sim.faults import MARKET, Faults, GarbageKind
from pmdash.sim.price_feeds import PriceFeeds, add_price_feeds
from pmdash.sim.server import SimServer
from pmdash.sim.session import DEFAULT_MAX_QUEUE
from pmdash.sim.sports import SportsFeed, SportsSettings
from pmdash.sim.us import UsVenue, install_us
from pmdash.sim.us_keys import UsKeySpecError, parse_us_key
from pmdash.sim.user_channel import add_user_channel

T = TypeVar("T")
DEFAULT_RATE = 20.0
DEFAULT_MARKETS = 8
DEMO_SPORTS = SportsSettings(markets=True)
"""``pmdash --demo`` and ``pmdash sim``: every game has a market (Gamma ``gameId`` and slug link
them), whose book moves with the score."""


class ServingExchange:
    """A running exchange on the current loop: ``exchange`` (ground truth), ``faults``,
    ``server``, ``sports`` (the games), and where it listens."""

    def __init__(
        self, exchange: Exchange, server: SimServer, sports: SportsFeed, prices: PriceFeeds,
        us: UsVenue,
    ) -> None:
        self.exchange = exchange
        self.server = server
        self.sports = sports
        self.faults: Faults = server.faults
        self.prices = prices
        """The reference-price engine, PolyBolt and RTDS feeds, and the credential registry."""
        self.us = us
        """Polymarket US: its keys, demo account and ground truth (``us.book(slug)``)."""

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def base_url(self) -> str:
        return self.server.urls()["rest"]

    def urls(self) -> dict[str, str]:
        """Feed id -> ws URL, plus ``rest``/``gamma``/``clob`` -> the HTTP base."""
        return self.server.urls()


@contextlib.asynccontextmanager
async def serve_exchange(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 0,
    rate: float = DEFAULT_RATE,
    markets: int = DEFAULT_MARKETS,
    lifecycle_s: float = 45.0,
    paused: bool = False,
    max_queue: int = DEFAULT_MAX_QUEUE,
    clock: Callable[[], int] = wall_clock_ms,
    sports: SportsSettings | None = None,
    clob_keys: Iterable[ClobCredentials] = (),
    price_interval: float = 1.0,
    us_keys: Sequence[str] = (),
    us_account_s: float | None = 0.5,
) -> AsyncIterator[ServingExchange]:
    """Serve an exchange until the block exits. ``paused=True`` starts with the flow paused
    (drive it with ``exchange.step``). ``sports``: the ``/sports`` socket's timings, and
    whether its games get markets (default: none, so the market set is the flow's alone).
    ``clob_keys``: the credentials PolyBolt, the user channel and the signed REST reads
    accept (one registry); ``price_interval``: seconds between
    reference-price ticks. ``us_keys``: the ``KEY_ID:PUBLIC_KEY_BASE64`` keys the US sockets
    and signed US reads accept; ``us_account_s``: seconds between the US demo account's moves
    (None: only ``us.account_step()`` moves it)."""
    exchange = Exchange(seed=seed, rate=rate, markets=markets, lifecycle_s=lifecycle_s,
                        clock=clock)
    if paused:
        exchange.pause()
    server = SimServer(exchange, max_queue=max_queue)
    prices = add_price_feeds(server, seed=seed, clob_keys=clob_keys, interval=price_interval)
    CryptoMarkets(exchange).attach(prices.engine)
    user = add_user_channel(server, prices.credentials)
    games = SportsFeed(exchange, server.sessions, sports, max_queue=max_queue)
    server.add_feed(games)
    us = install_us(server, us_keys, account_s=us_account_s)
    await server.start(host, port)
    try:
        await exchange.start()
        await prices.start()
        await user.start()
        await games.start()
        await us.start()
        yield ServingExchange(exchange, server, games, prices, us)
    finally:
        await us.stop()
        await games.stop()
        await user.stop()
        await prices.stop()
        await exchange.stop()
        await server.stop()


class RunningExchange:
    """An exchange serving from a background thread. Use ``stop()`` (or ``with``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread,
                 serving: ServingExchange, stop_event: asyncio.Event) -> None:
        self._loop = loop
        self._thread = thread
        self._serving = serving
        self._stop_event = stop_event
        self.exchange = ExchangeProxy(self)
        self.faults = FaultsProxy(self)

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def base_url(self) -> str:
        return self._serving.base_url

    def urls(self) -> dict[str, str]:
        return self._serving.urls()

    def call(self, fn: Callable[[], T | Awaitable[T]], timeout: float = 10.0) -> T:
        """Run ``fn`` on the exchange loop (awaiting it if it returns an awaitable) and
        return its result."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("RunningExchange.call from the exchange thread would deadlock")

        async def invoke() -> T:
            result = fn()
            if inspect.isawaitable(result):
                return await result
            return result

        return asyncio.run_coroutine_threadsafe(invoke(), self._loop).result(timeout)

    def serving(self) -> ServingExchange:
        """The loop-side objects (only touch them through ``call``)."""
        return self._serving

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._stop_event.set)
            self._thread.join(timeout)

    def __enter__(self) -> RunningExchange:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ExchangeProxy:
    """Thread-safe ground truth and flow control of a ``RunningExchange``."""

    def __init__(self, running: RunningExchange) -> None:
        self._running = running
        self._ex = running.serving().exchange

    def book(self, asset_id: str) -> tuple[list[Level], list[Level]]:
        return self._running.call(lambda: self._ex.book(asset_id))

    def tick_size(self, asset_id: str) -> int:
        return self._running.call(lambda: self._ex.tick_size(asset_id))

    def last_trade_price(self, asset_id: str) -> int | None:
        return self._running.call(lambda: self._ex.last_trade_price(asset_id))

    def markets(self) -> list[MarketInfo]:
        return self._running.call(self._ex.markets)

    def asset_ids(self) -> list[str]:
        return self._running.call(self._ex.asset_ids)

    @property
    def paused(self) -> bool:
        return self._running.call(lambda: self._ex.paused)

    @property
    def messages(self) -> int:
        return self._running.call(lambda: self._ex.messages)

    def pause(self) -> None:
        self._running.call(self._ex.pause)

    def resume(self) -> None:
        self._running.call(self._ex.resume)

    def step(self, n: int = 1) -> int:
        return self._running.call(lambda: self._ex.step(n))

    def resolve(self, condition_id: str) -> None:
        self._running.call(lambda: self._ex.resolve(condition_id))

    def add_market(self) -> MarketInfo:
        return self._running.call(self._ex.add_market)


class FaultsProxy:
    """Thread-safe ``Faults`` of a ``RunningExchange`` (same methods and defaults)."""

    def __init__(self, running: RunningExchange) -> None:
        self._running = running
        self._faults = running.serving().faults

    def session_ids(self, path: str = MARKET) -> list[int]:
        return self._running.call(lambda: [s.id for s in self._faults.sessions(path)])

    def drop(self, path: str = MARKET, session_id: int | None = None) -> int:
        return self._running.call(lambda: self._faults.drop(path, session_id))

    def stall(self, seconds: float, path: str = MARKET, session_id: int | None = None) -> int:
        return self._running.call(lambda: self._faults.stall(seconds, path, session_id))

    def stop_heartbeats(self, path: str = MARKET, seconds: float | None = None,
                        session_id: int | None = None) -> int:
        return self._running.call(lambda: self._faults.stop_heartbeats(path, seconds,
                                                                       session_id))

    def resume_heartbeats(self, path: str = MARKET) -> int:
        return self._running.call(lambda: self._faults.resume_heartbeats(path))

    def garbage(self, kind: GarbageKind = "non_json", path: str = MARKET,
                session_id: int | None = None) -> int:
        return self._running.call(lambda: self._faults.garbage(kind, path, session_id))

    def duplicate(self, count: int = 1, path: str = MARKET,
                  session_id: int | None = None) -> int:
        return self._running.call(lambda: self._faults.duplicate(count, path, session_id))

    def reorder(self, count: int = 1, path: str = MARKET,
                session_id: int | None = None) -> int:
        return self._running.call(lambda: self._faults.reorder(count, path, session_id))

    def desync(self, path: str = MARKET, session_id: int | None = None) -> str | None:
        return self._running.call(lambda: self._faults.desync(path, session_id))


def start_exchange(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 0,
    rate: float = DEFAULT_RATE,
    markets: int = DEFAULT_MARKETS,
    lifecycle_s: float = 45.0,
    paused: bool = False,
    max_queue: int = DEFAULT_MAX_QUEUE,
    timeout: float = 10.0,
    sports: SportsSettings | None = None,
    clob_keys: Iterable[ClobCredentials] = (),
    us_keys: Sequence[str] = (),
) -> RunningExchange:
    """Run an exchange in a daemon thread with its own loop; return once it listens.
    Raises what the start raised (e.g. OSError when the port is taken)."""
    keys = list(clob_keys)
    ready: concurrent.futures.Future[tuple[asyncio.AbstractEventLoop, ServingExchange,
                                           asyncio.Event]] = concurrent.futures.Future()

    async def body() -> None:
        async with serve_exchange(host, port, seed=seed, rate=rate, markets=markets,
                                  lifecycle_s=lifecycle_s, paused=paused,
                                  max_queue=max_queue, sports=sports,
                                  clob_keys=keys, us_keys=us_keys) as serving:
            stop_event = asyncio.Event()
            ready.set_result((asyncio.get_running_loop(), serving, stop_event))
            await stop_event.wait()

    def main() -> None:
        try:
            asyncio.run(body())
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            else:
                raise

    thread = threading.Thread(target=main, name="pmdash-sim", daemon=True)
    thread.start()
    loop, serving, stop_event = ready.result(timeout)
    return RunningExchange(loop, thread, serving, stop_event)


def start_demo_exchange(
    clob_keys: Iterable[ClobCredentials] = (), us_keys: Sequence[str] = ()
) -> RunningExchange:
    """The exchange ``pmdash --demo`` runs: the defaults, a market on every game, and the
    CLOB and US keys ``--demo`` registers for its authenticated feeds."""
    return start_exchange(sports=DEMO_SPORTS, clob_keys=clob_keys, us_keys=us_keys)


def sim_main(host: str = "127.0.0.1", port: int = 0, seed: int = 0,
             rate: float = DEFAULT_RATE, markets: int = DEFAULT_MARKETS,
             clob_keys: Iterable[ClobCredentials] = (), *,
             us_keys: Sequence[str] = ()) -> int:
    """``pmdash sim``: print one JSON line of URLs, serve until SIGINT/SIGTERM, return 0
    (1 when it cannot listen, or cannot write that line: one line on stderr; 0 when its reader
    is already gone; 2 for a malformed ``--us-key``, named but not shown)."""
    for spec in us_keys:
        try:
            parse_us_key(spec)
        except UsKeySpecError as exc:
            print(f"pmdash sim: {exc}", file=sys.stderr)
            return 2
    try:
        return asyncio.run(_sim_main(host, port, seed, rate, markets, list(clob_keys),
                                     us_keys))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 0
    except OutputError as exc:
        return output_failed(exc, "pmdash sim")


async def _sim_main(host: str, port: int, seed: int, rate: float, markets: int,
                    clob_keys: list[ClobCredentials], us_keys: Sequence[str]) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    started = False
    try:
        async with serve_exchange(host, port, seed=seed, rate=rate, markets=markets,
                                  clob_keys=clob_keys, us_keys=us_keys,
                                  sports=DEMO_SPORTS) as serving:
            started = True
            write(sys.stdout, json.dumps(serving.urls()) + "\n", flush=True)
            await stop.wait()
    except OSError as exc:
        if started:
            raise
        print(f"pmdash sim: cannot listen on {host}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0

