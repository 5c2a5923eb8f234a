"""Games to markets (gameId, slug) and the price move since the last score change; the Gamma
decoder keeps ``gameId`` (real fixtures: a sports market with it, a handicap market whose event
has it)."""

from __future__ import annotations

import json

import pytest

from pmdash.feeds import gamma
from pmdash.feeds.sports import parse_score
from pmdash.models import GameScore, MarketInfo
from pmdash.state.game_links import LINKS, GameLinks, game_for, move_key
from tests.realfixtures import real_dir

GAME = GameScore(feed="sports", game_id=1427074, league="cs2", slug="cs2-faze-ill-2026-04-05",
                 home_team="FaZe", away_team="illwill", status="running",
                 score=parse_score("000-000|0-0|Bo3"), live=True)
OTHER = GameScore(feed="sports", game_id=7, league="nba", slug="nba-bos-mia-2026-10-02",
                  status="InProgress", score=parse_score("0-0"), live=True)


def market(cid: str, slug: str, game_id: int | None = None) -> MarketInfo:
    return MarketInfo(condition_id=cid, question=cid, slug=slug, token_ids=("1", "2"),
                      outcomes=("Yes", "No"), game_id=game_id)


@pytest.mark.parametrize(
    ("name", "game_id"),
    [("crates_gamma_market_sports_market_money_line.json", 1427074),
     ("crates_gamma_market_sports_market_map_handicap.json", 1427074),
     ("crates_gamma_market.json", None)],
)
def test_gamma_keeps_game_id(name: str, game_id: int | None) -> None:
    path = real_dir("rest") / name
    info = gamma.decode_market(path.read_bytes())
    assert isinstance(info, MarketInfo)
    assert info.game_id == game_id
    if game_id is not None:
        assert game_for(info, [OTHER, GAME]) == game_id


def test_bad_game_id_costs_the_link_not_the_market() -> None:
    body = {"conditionId": "0x1", "slug": "x", "clobTokenIds": json.dumps(["1", "2"]),
            "outcomes": json.dumps(["Yes", "No"]), "gameId": "²", "events": [{"gameId": True}]}
    info = gamma.decode_market(json.dumps(body))
    assert isinstance(info, MarketInfo) and info.game_id is None


def test_link_by_game_id_then_slug() -> None:
    games = [OTHER, GAME]
    assert game_for(market("a", "whatever", 7), games) == 7
    assert game_for(market("b", "nba-bos-mia-2026-10-02"), games) == 7
    assert game_for(market("c", "cs2-faze-ill-2026-04-05-map-handicap-away-1pt5"), games) \
        == GAME.game_id
    assert game_for(market("d", "nba-bos-mia-2026-10-021"), games) is None
    assert game_for(market("e", "nba-bos-mia-2026-10-02", 99), games) is None


def test_price_move_since_the_last_score_change() -> None:
    links = GameLinks()
    assert links.set_markets([market("a", "x", 7), market("z", "unlinked")], [OTHER]) == {LINKS}
    assert [m.condition_id for m in links.markets_of(7)] == ["a"]
    assert links.game_of("z") is None
    assert links.on_mid("z", 1, 500_000) == set()  # not linked: not kept
    assert links.move("a") is None
    links.on_mid("a", 1_000, 500_000)
    assert links.on_mid("a", 1_500, 500_000) == set()  # unchanged
    assert links.on_score_change(7, 2_000) == {move_key("a")}
    links.on_mid("a", 3_000, 560_000)
    move = links.move("a")
    assert move is not None and (move.at_ms, move.before, move.now, move.delta) == (
        2_000, 500_000, 560_000, 60_000)
    links.on_score_change(7, 4_000)
    assert links.move("a").delta == 0  # type: ignore[union-attr]
    assert links.history("a") == ((1_000, 500_000), (3_000, 560_000))


def test_history_bounded_and_dropped_with_the_link() -> None:
    links = GameLinks(max_points=3)
    links.set_markets([market("a", "x", 7)], [OTHER])
    for i in range(10):
        links.on_mid("a", i, 100_000 + i)
    assert [t for t, _ in links.history("a")] == [7, 8, 9]
    assert links.relink([]) == {LINKS}
    assert links.history("a") == () and links.game_of("a") is None


def test_sports_slice_links_the_listed_markets_and_marks_the_move_since_a_score() -> None:
    """The sports slice stamps games with its clock, relinks when games come, marks each
    linked market's mid at a score change, and forgets markets no longer listed (bounded)."""
    from pmdash.feeds.sports import parse_score
    from pmdash.models import GameScore, MarketInfo
    from pmdash.state.sports import SportsState
    from pmdash.state.store import Store

    now = [1_000]
    sports = SportsState(clock=lambda: now[0])
    store = Store([sports])

    def game(score: str) -> GameScore:
        return GameScore(feed="sports", game_id=7, league="nba", slug="nba-bos-mia-2026-01-02",
                         home_team="MIA", away_team="BOS", status="InProgress",
                         score=parse_score(score), live=True)

    linked = MarketInfo("0xa", "Will MIA win?", "nba-bos-mia-2026-01-02", ("1", "2"),
                        ("Yes", "No"))
    other = MarketInfo("0xb", "Fed?", "fed", ("3", "4"), ("Yes", "No"))
    sports.link_markets([linked, other])
    store.apply([game("0-0")])
    assert sports.links.game_of("0xa") == 7 and sports.links.game_of("0xb") is None
    sports.on_mid("0xa", 500_000)
    now[0] = 2_000
    store.apply([game("3-0")])
    sports.on_mid("0xa", 560_000)
    note = sports.row_note("0xa", now[0])
    assert note is not None and (note.text, note.move, note.flash) == ("3-0", 60_000, True)
    assert sports.row_note("0xb", now[0]) is None
    assert "sports:score:7" in store.take_dirty().slices
    sports.link_markets([other])  # 0xa no longer listed
    assert sports.links.game_of("0xa") is None and sports.row_note("0xa", now[0]) is None
