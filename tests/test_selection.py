"""Which markets the dashboard streams (``selection.resolve_markets``), against the embedded
exchange's Gamma on loopback."""

from __future__ import annotations

from conftest import market_group

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.selection import resolve_markets
from pmdash.sim.runner import serve_exchange


async def test_tokens_given_alone_are_named_by_their_markets_for_the_dashboard() -> None:
    """Before, ``--asset A B`` of two markets became one row "2 asset(s) by token id", whose
    ``o`` flipped between unrelated tokens. Gamma names each token's market (both outcomes);
    a token it does not know is still streamed, listed by id."""
    async with serve_exchange(seed=3, markets=3, lifecycle_s=0, paused=True) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        first, second, _ = running.exchange.markets()
        chosen = [first.token_ids[1], second.token_ids[0], "999"]
        settings = Settings(assets=chosen)

        named = await resolve_markets(endpoints, settings, name_assets=True)
        assert [m.condition_id for m in named[:2]] == [first.condition_id, second.condition_id]
        assert named[0].token_ids == first.token_ids and named[0].question == first.question
        assert named[2].token_ids == ("999",) and named[2].condition_id == ""

        plain = await resolve_markets(endpoints, settings)  # tail: no lookup, one group
        assert len(plain) == 1 and plain[0].token_ids == tuple(chosen)


async def test_tokens_are_still_streamed_when_gamma_gives_no_answer() -> None:
    endpoints = Endpoints.from_base_url("http://127.0.0.1:9")  # nothing listens there
    settings = Settings(assets=["11", "22"])
    markets = await resolve_markets(endpoints, settings, name_assets=True, timeout=3)
    assert len(markets) == 1 and markets[0].token_ids == ("11", "22")


async def test_the_dashboard_opens_on_the_outcome_the_token_names() -> None:
    """``--asset <a No token>`` is named by its market, whose first outcome is Yes: the
    dashboard must open on the No book the user asked for, not on Yes."""
    async with serve_exchange(seed=3, markets=2, lifecycle_s=0, paused=True) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        market = running.exchange.markets()[0]
        settings = Settings(assets=[market.token_ids[1]])
        named = await resolve_markets(endpoints, settings, name_assets=True)
        app = PmdashApp(endpoints, named, settings=settings)
        assert market_group(app).selected_asset == market.token_ids[1]
        plain = PmdashApp(endpoints, named, settings=Settings())
        assert market_group(plain).selected_asset == market.token_ids[0]
