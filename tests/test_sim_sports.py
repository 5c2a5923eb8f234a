"""The embedded exchange's sports socket over real loopback sockets: pmdash's Connection with
the sports policy, codec and Scoreboard against ``/sports``, with short heartbeat timings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import websockets
from websockets.asyncio.client import connect

from pmdash.feeds import sports as codec
from pmdash.models import Event, FeedStatus, GameScore
from pmdash.net.connection import Connection
from pmdash.net.sports import sports_policy
from pmdash.sim.runner import ServingExchange, serve_exchange
from pmdash.sim.sports import PONG_TIMEOUT_CODE, SportsSettings
from pmdash.state.games import Scoreboard

FAST = SportsSettings(ping_interval=0.1, pong_timeout=0.25, step_s=0)


class Client:
    """Connection + codec + Scoreboard, as the dashboard wires them."""

    def __init__(self, url: str, *, ping_timeout: float = 1.0) -> None:
        self.board = Scoreboard(keep_finished_ms=10**9, max_finished=1_000)
        self.events: list[Event] = []
        policy = replace(sports_policy(url, ping_timeout=ping_timeout), backoff_base=0.05,
                         backoff_cap=0.1, close_timeout=0.5)
        self.conn = Connection(policy, self._on_events)

    def _on_events(self, events: list[Event], arrival: float) -> None:
        self.events.extend(events)
        self.board.apply_all(events, int(time.time() * 1000))

    def games(self) -> list[GameScore]:
        return [e for e in self.events if isinstance(e, GameScore)]


@contextlib.asynccontextmanager
async def running(client: Client) -> AsyncIterator[None]:
    task = asyncio.ensure_future(client.conn.run())
    try:
        yield
    finally:
        client.conn.stop()
        await asyncio.wait_for(task, 3.0)


async def until(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def held_equals_exchange(client: Client, serving: ServingExchange) -> bool:
    truth = [codec.decode(json.dumps(g))[0] for g in serving.sports.games()]
    return all((s := client.board.get(g.game_id)) is not None and s.game == g  # type: ignore[attr-defined]
               for g in truth)


async def test_pings_answered_games_reach_final_scoreboard_matches() -> None:
    async with serve_exchange(seed=4, paused=True, sports=FAST) as serving:
        client = Client(serving.urls()["sports"])
        async with running(client):
            await until(lambda: len(client.board) == 5)
            started = time.monotonic()
            finals: set[int] = set()
            for _ in range(400):  # bounded: every league's game ends well within this
                serving.sports.step()
                await asyncio.sleep(0.005)
                finals |= {g.game_id for g in client.games() if g.ended}
                leagues = {g.league for g in client.games() if g.ended}
                if len(leagues) == 5 and time.monotonic() - started > 4 * FAST.pong_timeout:
                    break
            await until(lambda: held_equals_exchange(client, serving))
            session = serving.server.sessions.on("/sports")
            assert len(session) == 1
            alive = time.monotonic() - started
            assert client.conn.state == "live"
        # The server kept the connection far past its pong timeout: every ping was answered.
        assert alive > 4 * FAST.pong_timeout
        assert serving.sports.dropped_for_pong == 0
        assert client.conn.status().reconnects == 0
        assert client.conn.status().decode_errors == 0  # every frame the exchange sent decodes
        assert {g.league for g in client.games() if g.ended} == {"nba", "nfl", "epl", "cs2", "atp"}
        assert {g.score.format for g in client.games()} == {"points", "esports", "sets"}
        ended = [g for g in client.games() if g.ended]
        assert all(g.finished_ms is not None and not g.live for g in ended)


async def test_a_client_that_does_not_answer_is_dropped() -> None:
    async with serve_exchange(seed=1, paused=True, sports=FAST) as serving:
        started = time.monotonic()
        pings = 0
        async with connect(serving.urls()["sports"]) as ws:
            try:
                async with asyncio.timeout(3.0):
                    async for message in ws:  # reads, never answers
                        pings += message == "ping"
            except websockets.ConnectionClosed:
                pass
            assert ws.close_code == PONG_TIMEOUT_CODE
        held = time.monotonic() - started
        assert pings >= 1
        assert FAST.pong_timeout <= held < FAST.pong_timeout + 3 * FAST.ping_interval + 1.0
        assert serving.sports.dropped_for_pong == 1


async def test_server_that_stops_pinging_is_left_for_a_fresh_socket() -> None:
    async with serve_exchange(seed=2, paused=True, sports=FAST) as serving:
        client = Client(serving.urls()["sports"], ping_timeout=0.4)
        async with running(client):
            await until(lambda: len(client.board) == 5)
            serving.faults.stop_heartbeats(path="/sports")
            await until(lambda: client.conn.status().reconnects >= 1)
            await until(lambda: client.conn.state == "live")
        stale = [e for e in client.events if isinstance(e, FeedStatus) and e.state == "stale"]
        assert stale and "no ping" in stale[0].detail


def test_game_markets_linked_move_with_the_score_and_resolve() -> None:
    from pmdash.sim.exchange import Exchange
    from pmdash.sim.rest import RestApi
    from pmdash.sim.session import SessionRegistry
    from pmdash.sim.sports import SportsFeed

    exchange = Exchange(seed=3, markets=2, rate=0, lifecycle_s=0)
    feed = SportsFeed(exchange, SessionRegistry(), SportsSettings(step_s=0, markets=True))
    rest = RestApi(exchange)
    engine = feed.engine
    assert set(feed.market_of) == set(engine.games)
    for game_id, cid in feed.market_of.items():
        game = engine.games[game_id]
        status, body = rest.markets("/markets", {"condition_ids": [cid]})
        assert status == 200 and len(body) == 1
        assert body[0]["gameId"] == str(game_id)
        assert body[0]["events"][0]["gameId"] == game_id
        assert body[0]["events"][0]["slug"] == game.slug
    moved = settled = 0
    for _ in range(300):
        before = {gid: g.score() for gid, g in engine.games.items()}
        feed.step()
        for gid, game in engine.games.items():
            cid = feed.market_of.get(gid)
            market = exchange.flow.markets[cid] if cid else None
            if market is None or gid not in before or before[gid] == game.score():
                continue
            if game.ended:
                settled += 1
                assert market.closed
                assert market.winning_outcome == ("Yes" if game.winner() == "home" else "No")
            else:
                moved += 1
                price = round(game.home_win_chance() * 100) * 10_000
                book = exchange.market_book(market)
                bid, ask = book.best_bid(), book.best_ask()
                assert bid is not None and ask is not None and bid < price < ask
        if moved >= 20 and settled >= 3:
            break
    assert moved >= 20 and settled >= 3


async def test_games_link_to_gamma_markets_whose_price_follows_the_score() -> None:
    import urllib.request

    from pmdash.feeds import gamma
    from pmdash.models import MarketInfo
    from pmdash.state.game_links import GameLinks

    settings = replace(FAST, markets=True)
    async with serve_exchange(seed=5, paused=True, markets=2, lifecycle_s=0,
                              sports=settings) as serving:

        async def gamma_markets() -> list[MarketInfo]:
            url = serving.base_url + "/markets?closed=false"
            body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read())
            found = gamma.decode_markets(body)
            assert all(isinstance(m, MarketInfo) for m in found)
            return [m for m in found if isinstance(m, MarketInfo)]

        client = Client(serving.urls()["sports"])
        async with running(client):
            await until(lambda: len(client.board) == 5)
            games = [s.game for s in client.board.games()]
            links = GameLinks()
            links.set_markets(await gamma_markets(), games)
            for game in games:  # one moneyline market per game, found through Gamma
                assert len(links.markets_of(game.game_id)) == 1
            checked = 0
            for _ in range(60):
                scored = serving.sports.step_scored()
                live = [g for g in scored if not g.ended]
                if not live:
                    continue
                prices = {m.condition_id: m.outcome_prices[0] for m in await gamma_markets()}
                for game in live:
                    (market,) = links.markets_of(game.game_id)
                    wanted = round(game.home_win_chance() * 100) * 10_000
                    assert prices[market.condition_id] == wanted
                    checked += 1
                if checked >= 5:
                    break
            assert checked >= 5
        assert client.conn.status().decode_errors == 0
