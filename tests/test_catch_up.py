"""After a reconnect, Gamma says what the socket could not: markets that closed meanwhile and,
following a whole exchange, markets listed meanwhile (``pmdash.catch_up``). Against the
embedded exchange on loopback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import MarketStore, market_store

from pmdash.catch_up import catch_up, resolution, waiting_markets
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.models import BookSnapshot, FeedError, MarketInfo
from pmdash.net.http import HttpError
from pmdash.net.rest import IDS_PER_REQUEST, markets_by_condition, markets_by_token
from pmdash.selection import resolve_markets
from pmdash.sim.runner import serve_exchange
from pmdash.units import SCALE


def _store_of(markets: list[MarketInfo]) -> MarketStore:
    store = market_store()
    for market in markets:
        store.add_market(market)
        store.watch(market.token_ids, market.condition_id)
    return store


def _snapshot(asset_id: str, market: str) -> BookSnapshot:
    return BookSnapshot(
        feed="market", asset_id=asset_id, market=market, bids=((400_000, SCALE),),
        asks=((600_000, SCALE),), timestamp=1, hash="",
    )


async def test_markets_closed_while_down_resolve_and_listed_ones_are_found() -> None:
    async with serve_exchange(seed=5, markets=3, lifecycle_s=0, paused=True) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        markets = await resolve_markets(endpoints, Settings())
        store = _store_of(markets)
        first, second, third = (m.condition_id for m in markets)
        for market in markets:  # every book live, then the socket goes and comes back
            store.apply([_snapshot(token, market.condition_id) for token in market.token_ids])
        store.mark_feed_reconnected()
        # While the socket was down: one market resolved, one was listed; and one book of
        # the third market got its snapshot again (its market is not waiting any more).
        running.exchange.resolve(first)
        new = running.exchange.add_market()
        store.apply([_snapshot(t, third) for t in markets[2].token_ids])
        assert waiting_markets(store) == [first, second]

        found = await catch_up(endpoints.gamma_rest, store, follow_all=True)

        sim_first = next(m for m in running.exchange.sim_markets() if m.condition_id == first)
        assert [r.market for r in found.resolved] == [first]
        event = found.resolved[0]
        assert event.winning_outcome == sim_first.winning_outcome != ""
        assert event.winning_asset_id == markets[0].token_ids[
            markets[0].outcomes.index(sim_first.winning_outcome)
        ]
        assert set(event.asset_ids) == set(markets[0].token_ids)
        assert [m.condition_id for m in found.listed] == [new.condition_id]

        store.apply(found.resolved)
        assert {store.books[t].state for t in markets[0].token_ids} == {"final"}
        assert {store.books[t].state for t in markets[1].token_ids} == {"stale"}  # still open
        assert first in store.resolved
        again = await catch_up(endpoints.gamma_rest, store, follow_all=False)
        assert again.resolved == [] and again.listed == []  # nothing twice, nothing unasked


async def test_nothing_waiting_asks_nothing_of_gamma() -> None:
    """No book waiting and not following: no request (an unreachable Gamma is never asked)."""
    store = _store_of([])
    found = await catch_up("http://127.0.0.1:9", store, follow_all=False)
    assert found.resolved == [] and found.listed == []


def test_the_winner_is_the_outcome_gamma_prices_at_one() -> None:
    market = MarketInfo(
        condition_id="0xc", question="?", slug="s", token_ids=("y", "n"),
        outcomes=("Yes", "No"), closed=True, outcome_prices=(0, SCALE),
    )
    event = resolution(market, 7)
    assert (event.winning_asset_id, event.winning_outcome, event.timestamp) == ("n", "No", 7)
    unsure = resolution(
        MarketInfo(
            condition_id="0xc", question="?", slug="s", token_ids=("y", "n"),
            outcomes=("Yes", "No"), closed=True, outcome_prices=(SCALE // 2, SCALE // 2),
        ),
        7,
    )
    assert (unsure.winning_asset_id, unsure.winning_outcome) == ("", "")


async def test_many_ids_go_in_several_requests_and_all_are_found() -> None:
    """``/markets`` is asked for ``IDS_PER_REQUEST`` ids at a time (a URL of a few kB): ids
    in the first and the last request are found alike."""
    async with serve_exchange(seed=6, markets=2, lifecycle_s=0, paused=True) as running:
        base = Endpoints.from_base_url(running.base_url).gamma_rest
        one, two = running.exchange.markets()
        filler = [f"0x{i:064x}" for i in range(2 * IDS_PER_REQUEST)]
        conditions = [one.condition_id, *filler, two.condition_id]
        found = await markets_by_condition(base, conditions)
        assert {m.condition_id for m in found} == {one.condition_id, two.condition_id}
        assert await markets_by_condition(base, conditions, closed=True) == []
        tokens = [one.token_ids[0], *filler, two.token_ids[1]]
        found = await markets_by_token(base, tokens)
        assert {m.condition_id for m in found} == {one.condition_id, two.condition_id}


class _HalfGamma(BaseHTTPRequestHandler):
    """``/markets``: 500 for a request naming the id "bad", else one market per condition id."""

    def do_GET(self) -> None:
        ids = parse_qs(urlsplit(self.path).query).get("condition_ids", [""])[0].split(",")
        if "bad" in ids:
            body, status = b'{"error": "try again"}', 500
        else:
            body, status = json.dumps([
                {"conditionId": cid, "question": cid, "slug": cid, "outcomes": '["Yes","No"]',
                 "clobTokenIds": json.dumps([cid + "-y", cid + "-n"])}
                for cid in ids if cid.startswith("0x")
            ]).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


async def test_a_failed_request_keeps_what_the_others_found() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HalfGamma)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        good = [f"0x{i:04x}" for i in range(IDS_PER_REQUEST)]
        errors: list[FeedError] = []
        found = await markets_by_condition(base, [*good, "bad"], errors=errors)
        assert [m.condition_id for m in found] == good  # the first request's markets
        assert len(errors) == 1 and "try again" in errors[0].message
        with pytest.raises(HttpError):  # nothing found at all: the failure is the answer
            await markets_by_condition(base, ["bad"])
    finally:
        server.shutdown()
        server.server_close()
