"""``pmdash tail`` in-process (``TailRun``) against the embedded exchange on 127.0.0.1: a stdout
that fails, following the markets an exchange announces, the exit verdict, and the start-up
lookup bounded by ``--seconds``."""

from __future__ import annotations

import argparse
import asyncio
import errno
import io
import json
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest

from pmdash.catch_up import CATCH_UP_AFTER_S
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.live.controller import Controller, FeedContext
from pmdash.live.market import MarketController
from pmdash.models import FeedStatus, MarketInfo
from pmdash.net.http import HttpError, get_bytes
from pmdash.output import OutputError
from pmdash.registry import FEEDS
from pmdash.selection import resolve_markets
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.state.market import MarketState
from pmdash.tail import TailRun
from tests.wsserver import WsServer


class FailingOut(io.StringIO):
    """A stdout whose reader went away (or whose disk is full) after ``good`` writes."""

    def __init__(self, error: OSError, good: int = 1) -> None:
        super().__init__()
        self.error = error
        self.good = good
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        if self.writes > self.good:
            raise self.error
        return super().write(text)


def TailRunOf(
    url: str,
    markets: Sequence[MarketInfo],
    *,
    books: bool = False,
    follow_new_markets: bool = False,
    gamma_rest: str | None = None,
    catch_up_after_s: float = CATCH_UP_AFTER_S,
    **options: Any,
) -> TailRun:
    """A ``tail market`` run at ``url`` with the market controller set as the test says."""

    def controller(ctx: FeedContext) -> Controller:
        return MarketController(
            ctx.store,
            url,
            list(markets),
            follow_new_markets=follow_new_markets,
            gamma_rest=gamma_rest,
            catch_up_after_s=catch_up_after_s,
            tap=ctx.tap,
        )

    spec = replace(FEEDS["market"], controller=controller)
    ctx = FeedContext(endpoints=Endpoints.from_base_url("http://127.0.0.1:9"), url=url)
    return TailRun(spec, ctx, options=argparse.Namespace(books=books), **options)


def books_of(run: TailRun) -> MarketState:
    """The run's market slice."""
    return run.store.slice(MarketState)


async def until(predicate: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Wait (bounded) until ``predicate()`` holds."""
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"no {what} within {timeout:g} s") from None


@pytest.mark.parametrize(
    ("error", "pipe"),
    [(BrokenPipeError(errno.EPIPE, "Broken pipe"), True),
     (OSError(errno.ENOSPC, "No space left on device"), False)],
)
async def test_a_failing_stdout_ends_the_run(error: OSError, pipe: bool) -> None:
    """The write fails inside the connection's callback: the run still ends at once (no
    --max-events, no --seconds) and says why, instead of streaming into the void forever."""
    async with serve_exchange(seed=5, markets=2, lifecycle_s=0, rate=200) as serving:
        markets = serving.exchange.markets()
        out = FailingOut(error)
        run = TailRunOf(serving.urls()["market"], markets, out=out, books=True)
        with pytest.raises(OutputError) as caught:
            await asyncio.wait_for(run.run(), timeout=10)
    assert caught.value.broken_pipe is pipe
    assert caught.value.error is error
    assert run.ended_by == "output"
    assert out.writes == 2  # the one that failed, then nothing (no book states either)
    assert json.loads(out.getvalue())["type"] == "feed_status"


async def test_max_events_counts_market_events_even_when_a_frame_brings_many() -> None:
    """Status lines are printed but not counted: --max-events 4 is four market events."""
    async with serve_exchange(seed=5, markets=3, lifecycle_s=0, paused=True) as serving:
        out = io.StringIO()
        run = TailRunOf(serving.urls()["market"], serving.exchange.markets(), out=out,
                      max_events=4)
        assert await asyncio.wait_for(run.run(), timeout=10) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    # connecting, live, then four of the six book snapshots of the one initial dump frame
    assert [e["type"] for e in lines] == ["feed_status"] * 2 + ["book_snapshot"] * 4
    assert (run.events, run.statuses) == (4, 2) and run.ended_by == "max-events"
    # The store (what --books prints) holds what was printed, not the rest of that frame.
    assert sum(book.has_snapshot for book in books_of(run).books.values()) == 4


async def test_max_events_one_is_the_first_market_event_and_a_success() -> None:
    async with serve_exchange(seed=5, markets=2, lifecycle_s=0, paused=True) as serving:
        out = io.StringIO()
        run = TailRunOf(serving.urls()["market"], serving.exchange.markets(), out=out,
                      max_events=1)
        assert await asyncio.wait_for(run.run(), timeout=10) == 0, run.problem
    types = [json.loads(line)["type"] for line in out.getvalue().splitlines()]
    assert types == ["feed_status", "feed_status", "book_snapshot"]


M = "0x" + "ab" * 32
A = "1234567890"
BOOK = {
    "event_type": "book", "market": M, "asset_id": A, "timestamp": "1700000000000",
    "hash": "9e4f2ff8ba2be56177e8bdc8623dfaba4d18f5c8",
    "bids": [{"price": "0.61", "size": "12"}], "asks": [{"price": "0.64", "size": "15"}],
    "tick_size": "0.01", "last_trade_price": "",
}  # fmt: skip


def mystery(n: int) -> dict[str, object]:
    return {"event_type": f"mystery_{n}", "market": M, "asset_id": A, "x": n}


@pytest.mark.parametrize("quiet", [False, True], ids=["lines", "quiet"])
async def test_unknown_event_types_are_counted_not_printed(quiet: bool) -> None:
    """An event_type outside the contract is no line of its own and no --max-events event:
    the summary counts it, and the stderr note names it."""
    market = MarketInfo(condition_id=M, question="q", slug="q", token_ids=(A,), outcomes=("Y",))
    async with WsServer() as srv:
        out = io.StringIO()
        run = TailRunOf(srv.url, [market], out=out, quiet=quiet, max_events=1)
        task = asyncio.create_task(run.run())
        conn = await srv.wait_connection(0)
        await conn.send(json.dumps([mystery(1), mystery(2)]))
        await conn.send(json.dumps(mystery(1)))
        await conn.send(json.dumps(BOOK))
        assert await asyncio.wait_for(task, timeout=10) == 0, run.problem
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert all(e["type"] != "unknown" for e in lines)
    assert (run.unknown, run.events, run.ended_by) == (3, 1, "max-events")
    note = run.skipped_note()
    assert note is not None and "3 event(s)" in note and "mystery_1, mystery_2" in note
    if quiet:
        summary = lines[-1]
        assert summary["type"] == "summary"
        assert (summary["unknown"], summary["events"], summary["statuses"]) == (3, 1, 2)
    else:
        assert [e["type"] for e in lines] == ["feed_status", "feed_status", "book_snapshot"]


async def test_a_handshake_404_names_the_path() -> None:
    """--url with a path the server does not serve: the reason says so, and names the
    market feed's path."""
    async with serve_exchange(seed=5, markets=1, lifecycle_s=0, paused=True) as serving:
        url = serving.urls()["rest"].replace("http://", "ws://") + "/nope"
        run = TailRunOf(url, serving.exchange.markets(), out=io.StringIO(), quiet=True,
                      seconds=1.0)
        assert await asyncio.wait_for(run.run(), timeout=10) == 1
    assert run.problem is not None
    assert "HTTP 404" in run.problem and "'/nope'" in run.problem
    assert "/ws/market" in run.problem
    # The connection would retry later; the exiting run says no such thing.
    assert run.last_status is not None and "retrying in" in run.last_status.detail
    assert "retrying" not in run.problem


async def _follow_run(
    serving: ServingExchange, markets: list[MarketInfo], follow: bool
) -> tuple[TailRun, asyncio.Task[int], MarketInfo]:
    """A run that is live with every book's snapshot, then a market the exchange lists."""
    run = TailRunOf(serving.urls()["market"], markets, out=io.StringIO(), quiet=True,
                  follow_new_markets=follow)
    task = asyncio.create_task(run.run())
    await until(lambda: books_of(run).books and all(
        b.has_snapshot for b in books_of(run).books.values()), "first snapshots")
    added = serving.exchange.add_market()
    return run, task, added


async def test_following_a_whole_exchange_subscribes_markets_it_announces() -> None:
    async with serve_exchange(seed=9, markets=2, lifecycle_s=0, paused=True) as serving:
        run, task, added = await _follow_run(serving, serving.exchange.markets(), True)
        books = books_of(run).books
        await until(lambda: all(token in books and books[token].has_snapshot
                                for token in added.token_ids), "the new market's books")
        assert set(added.token_ids) <= set(run.controller.connection.wanted())
        # A market that resolves is no longer streamed; its book stays (final).
        gone = serving.exchange.markets()[0]
        serving.exchange.resolve(gone.condition_id)
        await until(lambda: gone.condition_id in books_of(run).resolved, "the resolution")
        # At the controller's next housekeeping (tail's tick).
        await until(lambda: not set(gone.token_ids) & set(run.controller.connection.wanted()),
                    "the unsubscription")
        assert set(gone.token_ids) <= set(books_of(run).books)
        run.finish("test")
        assert await asyncio.wait_for(task, timeout=10) == 0


async def test_a_chosen_selection_does_not_grow() -> None:
    async with serve_exchange(seed=9, markets=2, lifecycle_s=0, paused=True) as serving:
        chosen = serving.exchange.markets()[:1]
        run, task, added = await _follow_run(serving, chosen, False)
        # The announcement arrives (the store learns the market) but nothing subscribes it
        # (following happens in the same callback that applies the announcement).
        await until(lambda: added.condition_id in books_of(run).markets, "the announcement")
        assert not set(added.token_ids) & set(run.controller.connection.wanted())
        assert not set(added.token_ids) & set(books_of(run).books)
        run.finish("test")
        assert await asyncio.wait_for(task, timeout=10) == 0


def status(state: str, detail: str = "") -> FeedStatus:
    return FeedStatus(feed="market", state=state, detail=detail)  # type: ignore[arg-type]


def verdict(*states: tuple[str, str]) -> tuple[int, str | None]:
    """The exit code and problem of a run (ended by --seconds) that saw these states."""
    run = TailRunOf("ws://127.0.0.1:9/ws/market", [], out=io.StringIO(), quiet=True)
    for state, detail in states:
        run._tap([status(state, detail)])
    run.finish("seconds")
    return run._verdict(), run.problem


def test_verdict_never_live_failed_and_fine() -> None:
    code, problem = verdict(("connecting", ""), ("backoff", "connect failed: refused"))
    assert code == 1 and problem is not None
    assert "never went live" in problem and "connect failed: refused" in problem
    assert "--seconds" in problem
    code, problem = verdict(("connecting", ""), ("live", ""), ("failed", "HTTP 403"))
    assert code == 1 and "failed" in (problem or "") and "HTTP 403" in (problem or "")
    # Live at the end (a drop that healed, or the run's own stop): a success.
    assert verdict(("live", ""), ("stopped", "stopped")) == (0, None)
    assert verdict(("live", ""), ("backoff", "closed"), ("connecting", "retry 1"),
                   ("live", "")) == (0, None)
    # A lost feed turning quiet (stale) is still connected: not a failure.
    assert verdict(("live", ""), ("stale", "no PONG within 3 s")) == (0, None)


def test_verdict_a_feed_lost_and_not_regained_at_exit_is_a_failure() -> None:
    """Live once, then lost and not back by the end: its books are stale; that used to be
    exit 0 with nothing said."""
    code, problem = verdict(("live", ""), ("backoff", "connection closed 1001"),
                            ("connecting", "retry 1"),
                            ("backoff", "connect failed: ConnectionRefusedError"))
    assert code == 1
    assert problem == ("the market feed at ws://127.0.0.1:9/ws/market was not live at exit "
                       "(backing off: connect failed: ConnectionRefusedError)")
    code, problem = verdict(("live", ""), ("backoff", "connection closed 1006"),
                            ("connecting", "retry 1"))
    assert code == 1
    assert problem is not None and problem.endswith(
        "was not live at exit (reconnecting after: connection closed 1006)"
    )
    code, problem = verdict(("live", ""), ("connecting", "retry 1"))
    assert code == 1 and (problem or "").endswith("was not live at exit (reconnecting)")


def test_verdict_never_promises_a_retry() -> None:
    """The connection's "retrying in 39 s" is true while it runs, not once tail exits."""
    retry = "handshake rejected: HTTP 403 Forbidden; retrying in 39 s"
    for states in [(("connecting", ""), ("failed", retry)),
                   (("live", ""), ("failed", retry)),
                   (("live", ""), ("failed", retry), ("connecting", "retry 1"))]:
        code, problem = verdict(*states)
        assert code == 1 and problem is not None
        assert "HTTP 403 Forbidden" in problem and "retrying" not in problem, problem


async def test_an_exchange_stopped_mid_run_ends_the_run_in_failure() -> None:
    """The exchange goes away after the run went live and is not back by the end: the books
    and the summary are still printed (the summary's state says "backoff"), and the run exits
    1 naming the state and the last reason."""
    out = io.StringIO()
    async with serve_exchange(seed=4, markets=2, lifecycle_s=0, rate=50) as serving:
        run = TailRunOf(serving.urls()["market"], serving.exchange.markets(), out=out,
                      books=True, quiet=True, seconds=30)
        task = asyncio.create_task(run.run())
        await until(lambda: books_of(run).books and all(
            b.state == "live" for b in books_of(run).books.values()), "live books")
    # The exchange is stopped; nothing listens on its port any more.
    await until(lambda: run.lost_reason.startswith("connect failed"), "a refused reconnect")
    run.finish("seconds")
    assert await asyncio.wait_for(task, timeout=10) == 1
    assert run.problem is not None
    assert " was not live at exit (" in run.problem and "connect failed" in run.problem
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    books = [e for e in lines if e["type"] == "book_state"]
    assert books and {b["state"] for b in books} == {"stale"}
    summary = lines[-1]
    assert summary["type"] == "summary" and summary["state"] in ("backoff", "connecting")
    assert summary["books"] == len(books) and summary["events"] > 0


async def test_the_summary_names_the_final_state_of_a_live_run() -> None:
    async with serve_exchange(seed=5, markets=1, lifecycle_s=0, paused=True) as serving:
        out = io.StringIO()
        run = TailRunOf(serving.urls()["market"], serving.exchange.markets(), out=out,
                      quiet=True, max_events=1)
        assert await asyncio.wait_for(run.run(), timeout=10) == 0, run.problem
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert summary["type"] == "summary" and summary["state"] == "live"
    assert summary["events"] == 1  # the keys there were before stay
    assert {"errors", "statuses", "unknown", "books", "reconnects", "decode_errors", "heals",
            "seconds", "feed"} <= set(summary)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


async def test_lookup_is_bounded_by_the_timeout(silent_port: int) -> None:
    endpoints = Endpoints.from_base_url(f"http://127.0.0.1:{silent_port}")
    with pytest.raises(HttpError) as caught:
        await asyncio.wait_for(resolve_markets(endpoints, Settings(), timeout=0.3), timeout=8)
    assert "within 0.3 s" in str(caught.value)


async def test_what_a_reconnect_missed_is_caught_up_from_gamma() -> None:
    """A market resolved while the socket was down gets no market_resolved and no snapshot on
    the new socket: its books used to end the run "stale". One listed meanwhile was never
    followed. After a reconnect the run asks Gamma (``catch_up``): the resolution is printed
    and the books are final; the new market is followed and streamed."""
    async with serve_exchange(seed=8, markets=3, lifecycle_s=0, rate=50) as serving:
        endpoints = Endpoints.from_base_url(serving.base_url)
        markets = await resolve_markets(endpoints, Settings())
        out = io.StringIO()
        run = TailRunOf(endpoints.market_ws, markets, out=out, books=True, seconds=20,
                      follow_new_markets=True, gamma_rest=endpoints.gamma_rest,
                      catch_up_after_s=0.3)
        task = asyncio.create_task(run.run())
        await until(lambda: all(b.state == "live" for b in books_of(run).books.values()), "live")
        gone = markets[0].condition_id
        serving.exchange.pause()  # nothing may announce either change on a socket
        dropped = serving.faults.drop()
        serving.exchange.resolve(gone)
        new = serving.exchange.add_market()
        serving.exchange.resume()
        assert dropped == 1
        await until(lambda: gone in books_of(run).resolved, "the resolution from Gamma")
        await until(lambda: all(t in books_of(run).books and books_of(run).books[t].state == "live"
                                for t in new.token_ids), "the new market's books")
        run.finish("seconds")
        assert await asyncio.wait_for(task, timeout=10) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    resolved = [e for e in lines if e["type"] == "market_resolved"]
    assert [e["market"] for e in resolved] == [gone] and resolved[0]["winning_outcome"]
    states = {e["asset_id"]: e for e in lines if e["type"] == "book_state"}
    assert {states[t]["state"] for t in markets[0].token_ids} == {"final"}
    assert all(states[t]["state"] == "live" for t in new.token_ids)


def test_a_request_left_hanging_does_not_hold_the_process_when_its_run_ends(
    silent_port: int,
) -> None:
    """A catch-up asking a Gamma that never answers, cancelled when the run ends: the request
    ran in asyncio's default executor, which ``asyncio.run`` waits for at exit, so the process
    outlived ``--seconds`` by urllib's whole timeout (10 s)."""

    async def run() -> None:
        task = asyncio.create_task(get_bytes(f"http://127.0.0.1:{silent_port}/markets", timeout=30))
        await asyncio.sleep(0.2)
        task.cancel()

    started = time.monotonic()
    asyncio.run(run())
    assert time.monotonic() - started < 10  # with the executor: 30 s, urllib's timeout
