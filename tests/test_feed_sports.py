"""The sports codec: both message forms, every score format, unknown statuses, bad input."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pmdash.feeds import sports
from pmdash.models import FeedError, GameScore, Score, UnknownEvent

NBA = {
    "gameId": 20518, "leagueAbbreviation": "nba", "slug": "nba-bos-mia-2026-10-02",
    "homeTeam": "MIA", "awayTeam": "BOS", "status": "InProgress", "score": "88-91",
    "period": "Q4", "elapsed": "3:42", "live": True, "ended": False,
}
CS2 = {
    "gameId": 1398822, "leagueAbbreviation": "cs2", "slug": "cs2-navi-faze-2026-10-02",
    "homeTeam": "NAVI", "awayTeam": "FaZe", "status": "finished", "score": "000-000|2-1|Bo3",
    "period": "3/3", "live": False, "ended": True,
    "finished_timestamp": "2026-10-02T19:05:11.000Z",
}


def one(frame: str | bytes) -> GameScore:
    events = sports.decode(frame)
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, GameScore), event
    return event


def test_flat_camel_case_game() -> None:
    game = one(json.dumps(NBA))
    assert game.game_id == 20518
    assert game.league == "nba"
    assert (game.home_team, game.away_team) == ("MIA", "BOS")
    assert game.score == Score(raw="88-91", format="points", home=88, away=91)
    assert (game.period, game.elapsed, game.live, game.ended) == ("Q4", "3:42", True, False)
    assert game.finished_ms is None
    assert game.feed == "sports"


def test_esports_score_and_snake_finished_timestamp() -> None:
    game = one(json.dumps(CS2).encode())
    assert game.score == Score(
        raw="000-000|2-1|Bo3", format="esports", home=2, away=1, parts=((0, 0),), best_of=3
    )
    assert game.finished_ms == 1_790_967_911_000
    assert game.ended and not game.live


def test_camel_finished_timestamp_and_epoch_ms() -> None:
    camel = {**CS2, "finishedTimestamp": "2026-10-02T19:05:11Z"}
    del camel["finished_timestamp"]
    assert one(json.dumps(camel)).finished_ms == 1_790_967_911_000
    epoch = {**CS2, "finished_timestamp": 1_790_967_911_000}
    assert one(json.dumps(epoch)).finished_ms == 1_790_967_911_000


def test_enveloped_snake_case_form() -> None:
    frame = {
        "event_type": "sport_result",
        "payload": {
            "game_id": 77, "league_abbreviation": "NFL", "slug": "nfl-kc-phi-2026-10-04",
            "home_team": "PHI", "away_team": "KC", "status": "InProgress", "score": "14-10",
            "period": "Q2", "elapsed": "08:11", "live": True, "ended": False, "turn": "KC",
        },
    }
    game = one(json.dumps(frame))
    assert (game.game_id, game.league, game.turn) == (77, "nfl", "KC")
    assert game.score.home == 14 and game.score.away == 10


def test_enveloped_with_separate_scores() -> None:
    frame = {"event_type": "sport_result", "payload": {
        "game_id": 5, "league_abbreviation": "epl", "home_team": "ARS", "away_team": "CHE",
        "home_score": 2, "away_score": 0, "status": "Final", "live": False, "ended": True}}
    game = one(json.dumps(frame))
    assert game.score == Score(raw="2-0", format="points", home=2, away=0)


def test_tennis_sets() -> None:
    game = one(json.dumps({**NBA, "leagueAbbreviation": "atp", "score": "6-4, 3-6, 7-6(5)",
                           "status": "inprogress"}))
    assert game.score.format == "sets"
    assert game.score.parts == ((6, 4), (3, 6), (7, 6))
    assert (game.score.home, game.score.away) == (2, 1)
    spaced = sports.parse_score("6-3 2-1")
    assert spaced.parts == ((6, 3), (2, 1)) and (spaced.home, spaced.away) == (1, 0)


def test_unparsed_scores_stay_raw() -> None:
    for raw in ("", "1st innings 145/3", "2-1|x", "a-b", "3-1-2"):
        score = sports.parse_score(raw)
        assert score == Score(raw=raw), raw


def test_unknown_status_is_kept() -> None:
    game = one(json.dumps({**NBA, "status": "WeatherDelayLevel2"}))
    assert game.status == "WeatherDelayLevel2"


def test_array_frame_bad_item_in_place() -> None:
    events = sports.decode(json.dumps([NBA, {"gameId": 9}, CS2]))
    assert isinstance(events[0], GameScore) and isinstance(events[2], GameScore)
    bad = events[1]
    assert isinstance(bad, FeedError)
    assert bad.feed == "sports" and "item 1" in bad.message and "leagueAbbreviation" in bad.message


def test_heartbeat_text_is_not_an_event() -> None:
    assert sports.decode("ping") == []
    assert sports.decode(b"pong") == []


def test_other_event_type_is_unknown_not_error() -> None:
    events = sports.decode(json.dumps({"event_type": "league_update", "payload": {"x": 1}}))
    assert len(events) == 1
    assert isinstance(events[0], UnknownEvent) and events[0].event_type == "league_update"


def test_malformed_frames() -> None:
    cases = ["{", "[1]", '"text"', json.dumps({**NBA, "gameId": "abc"}),
             json.dumps({"event_type": "sport_result"}), json.dumps({**NBA, "status": None}),
             b"\xff\xfe", json.dumps({**NBA, "live": [1]})]
    for frame in cases:
        events = sports.decode(frame)
        assert events and all(isinstance(e, FeedError) for e in events), frame
        assert all(e.feed == "sports" and e.message for e in events if isinstance(e, FeedError))


def test_lax_number_in_string() -> None:
    assert one(json.dumps({**NBA, "gameId": "20518"})).game_id == 20518


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
_game_like = st.fixed_dictionaries(
    {}, optional={k: _json_values | st.just(v) for k, v in {**NBA, **CS2}.items()}
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=60), st.binary(max_size=60),
                 _game_like.map(json.dumps), st.lists(_game_like, max_size=3).map(json.dumps),
                 _json_values.map(json.dumps)))
def test_no_input_raises(frame: str | bytes) -> None:
    events = sports.decode(frame)
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, GameScore | FeedError | UnknownEvent)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_any_score_text_parses_or_stays_raw(raw: str) -> None:
    score = sports.parse_score(raw)
    assert score.raw == raw
    if score.format == "raw":
        assert score.home is None and score.parts == ()
