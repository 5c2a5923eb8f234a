"""The sports socket (PROTOCOLS §4): frames -> ``GameScore`` events. Pure, sans-I/O.

Every message is one whole game. The wire form is a flat camelCase object (``gameId``,
``leagueAbbreviation``, ``homeTeam``, ..., ``finished_timestamp`` or ``finishedTimestamp``);
some documents show an envelope, ``{"event_type": "sport_result", "payload": {...}}`` with
snake_case fields (and, in one seed, ``home_score``/``away_score`` instead of ``score``): both
decode to the same event. A frame may be one object or an array of them. The server's text
``ping`` is the connection's business (``AnswerPing``); should one reach the codec it is no
event and no error.

Each item is decoded through one typed msgspec path (lax: ``"20518"`` is taken for an int); an
item that is not a game is a ``FeedError`` in place and the rest of the frame still decodes.
An enveloped item whose ``event_type`` is not ``sport_result`` is an ``UnknownEvent`` (kept,
not an error). Nothing raises out of ``decode``.

Score strings (``parse_score``): plain ``"3-16"``, esports ``"000-000|2-1|Bo3"`` (current map's
rounds | maps won | best of), tennis sets ``"6-4, 3-6, 2-1"``; anything else is kept raw.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec

from pmdash.feeds.common import safe_text
from pmdash.models import Event, FeedError, GameScore, Score, UnknownEvent

FEED = "sports"
PING = "ping"
PONG = "pong"
SPORT_RESULT = "sport_result"
_SAMPLE = 120
_HEARTBEATS = frozenset({PING, PONG})

_PAIR = r"(\d{1,6})\s*-\s*(\d{1,6})"
_POINTS = re.compile(rf"\s*{_PAIR}\s*")
_BEST_OF = re.compile(r"\s*bo\s*(\d{1,3})\s*", re.IGNORECASE)
_SET = re.compile(rf"{_PAIR}(?:\s*\(\d{{1,3}}\))?")
_SETS = re.compile(rf"\s*{_SET.pattern}(?:\s*[,;\s]\s*{_SET.pattern})+\s*")


class _State(msgspec.Struct, frozen=True):
    """``eventState`` (one third-party report, UNCONFIRMED): used only to fill gaps."""

    score: str | None = None
    period: str | None = None
    elapsed: str | None = None
    live: bool | None = None
    ended: bool | None = None


class _Payload(msgspec.Struct, frozen=True):
    """The enveloped form's ``payload``: snake_case."""

    game_id: int | None = None
    league_abbreviation: str | None = None
    league: str | None = None
    slug: str | None = None
    home_team: str | None = None
    away_team: str | None = None
    status: str | None = None
    score: str | None = None
    home_score: int | None = None
    away_score: int | None = None
    period: str | None = None
    elapsed: str | None = None
    live: bool | None = None
    ended: bool | None = None
    turn: str | None = None
    finished_timestamp: str | int | None = None


class _Item(msgspec.Struct, frozen=True):
    """One wire item: the flat camelCase game, or the envelope around a ``_Payload``."""

    game_id: int | None = msgspec.field(default=None, name="gameId")
    league: str | None = msgspec.field(default=None, name="leagueAbbreviation")
    slug: str | None = None
    home_team: str | None = msgspec.field(default=None, name="homeTeam")
    away_team: str | None = msgspec.field(default=None, name="awayTeam")
    status: str | None = None
    score: str | None = None
    period: str | None = None
    elapsed: str | None = None
    live: bool | None = None
    ended: bool | None = None
    turn: str | None = None
    finished_snake: str | int | None = msgspec.field(default=None, name="finished_timestamp")
    finished_camel: str | int | None = msgspec.field(default=None, name="finishedTimestamp")
    event_state: _State | None = msgspec.field(default=None, name="eventState")
    event_type: str | None = None
    payload: _Payload | None = None


_ITEM = msgspec.json.Decoder(_Item, strict=False)
_RAW = msgspec.json.Decoder(msgspec.Raw)
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_ANY = msgspec.json.Decoder()


class _Bad(Exception):
    """An item that is not a game; the message says why."""


def decode(frame: str | bytes) -> list[Event]:
    """One frame -> its games (``GameScore``), ``UnknownEvent``s and ``FeedError``s."""
    try:
        return _decode(frame)
    except Exception as exc:  # a bug, not bad input: still never raise out of a codec
        return [_error(f"internal decoder error: {type(exc).__name__}: {exc}", frame)]


def _decode(frame: str | bytes) -> list[Event]:
    if not isinstance(frame, str | bytes):
        return [_error(f"frame is not text: {type(frame).__name__}", repr(frame))]
    if len(frame) <= 16:
        try:
            text = frame.decode() if isinstance(frame, bytes) else frame
        except UnicodeError:
            text = ""
        if text.strip().lower() in _HEARTBEATS:
            return []
    try:
        top = _RAW.decode(frame)  # validates the JSON, keeps the bytes
        many = bytes(top)[:1] == b"["
        items = _RAW_LIST.decode(top) if many else [top]
    except UnicodeError:
        return [_error("frame is not valid UTF-8 text", frame)]
    except msgspec.DecodeError as exc:
        return [_error(f"not JSON: {exc}", frame)]
    out: list[Event] = []
    for i, raw in enumerate(items):
        where = f"item {i}: " if many else ""
        try:
            out.append(_event(raw))
        except _Bad as exc:
            out.append(_error(f"{where}{exc}", bytes(raw)))
    return out


def _event(raw: msgspec.Raw) -> Event:
    try:
        item = _ITEM.decode(raw)
    except msgspec.ValidationError as exc:
        raise _Bad(f"not a game: {exc}") from None
    except msgspec.DecodeError as exc:  # e.g. a JSON array or string where an object was due
        raise _Bad(f"not a game: {exc}") from None
    if item.event_type is not None and item.event_type != SPORT_RESULT:
        data = _ANY.decode(raw)
        return UnknownEvent(feed=FEED, event_type=item.event_type, data=data)
    if item.payload is not None:
        return _from_payload(item.payload)
    if item.event_type == SPORT_RESULT:
        raise _Bad("sport_result without a payload object")
    return _from_flat(item)


def _required(value: Any, name: str) -> Any:
    if value is None or value == "":
        raise _Bad(f"no {name}")
    return value


def _from_flat(item: _Item) -> GameScore:
    state = item.event_state or _State()
    score = item.score if item.score is not None else state.score
    finished = item.finished_snake if item.finished_snake is not None else item.finished_camel
    return GameScore(
        feed=FEED,
        game_id=_required(item.game_id, "gameId"),
        league=str(_required(item.league, "leagueAbbreviation")).lower(),
        slug=item.slug or "",
        home_team=item.home_team or "",
        away_team=item.away_team or "",
        status=_required(item.status, "status"),
        score=parse_score(score or ""),
        period=item.period if item.period is not None else (state.period or ""),
        elapsed=item.elapsed if item.elapsed is not None else (state.elapsed or ""),
        live=_first_bool(item.live, state.live),
        ended=_first_bool(item.ended, state.ended),
        turn=item.turn or "",
        finished_ms=parse_timestamp(finished),
    )


def _from_payload(p: _Payload) -> GameScore:
    score = p.score
    if score is None and p.home_score is not None and p.away_score is not None:
        score = f"{p.home_score}-{p.away_score}"
    league = p.league_abbreviation if p.league_abbreviation is not None else p.league
    return GameScore(
        feed=FEED,
        game_id=_required(p.game_id, "payload.game_id"),
        league=str(_required(league, "payload.league_abbreviation")).lower(),
        slug=p.slug or "",
        home_team=p.home_team or "",
        away_team=p.away_team or "",
        status=_required(p.status, "payload.status"),
        score=parse_score(score or ""),
        period=p.period or "",
        elapsed=p.elapsed or "",
        live=bool(p.live),
        ended=bool(p.ended),
        turn=p.turn or "",
        finished_ms=parse_timestamp(p.finished_timestamp),
    )


def _first_bool(*values: bool | None) -> bool:
    for value in values:
        if value is not None:
            return value
    return False


def parse_score(raw: str) -> Score:
    """A score string in any format of PROTOCOLS §4.1; ``format="raw"`` when none fits."""
    m = _POINTS.fullmatch(raw)
    if m:
        return Score(raw=raw, format="points", home=int(m[1]), away=int(m[2]))
    if "|" in raw:
        return _esports(raw)
    if _SETS.fullmatch(raw):
        sets = tuple((int(a), int(b)) for a, b in _SET.findall(raw))
        home = sum(1 for a, b in sets if _set_won(a, b))
        away = sum(1 for a, b in sets if _set_won(b, a))
        return Score(raw=raw, format="sets", home=home, away=away, parts=sets)
    return Score(raw=raw)


def _esports(raw: str) -> Score:
    """``rounds|maps|BoN`` (``000-000|2-1|Bo3``); the best-of part may be missing."""
    fields = raw.split("|")
    if len(fields) not in (2, 3):
        return Score(raw=raw)
    rounds, maps = _POINTS.fullmatch(fields[0]), _POINTS.fullmatch(fields[1])
    if rounds is None or maps is None:
        return Score(raw=raw)
    best_of = None
    if len(fields) == 3:
        bo = _BEST_OF.fullmatch(fields[2])
        if bo is None:
            return Score(raw=raw)
        best_of = int(bo[1])
    return Score(
        raw=raw,
        format="esports",
        home=int(maps[1]),
        away=int(maps[2]),
        parts=((int(rounds[1]), int(rounds[2])),),
        best_of=best_of,
    )


def _set_won(mine: int, theirs: int) -> bool:
    """Whether a tennis set with these games is decided for ``mine`` (6-x by two, or 7-5/7-6)."""
    return (mine >= 6 and mine - theirs >= 2) or (mine == 7 and theirs in (5, 6))


def parse_timestamp(value: str | int | None) -> int | None:
    """``finished_timestamp``: ISO-8601 text, or epoch ms (number or digits) -> Unix ms.
    None when absent or unreadable (the game is still shown, without its finish time)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= 15:
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        return int(moment.timestamp() * 1000)
    except (OverflowError, ValueError, OSError):
        return None


def _error(message: str, frame: object) -> FeedError:
    if isinstance(frame, bytes):
        sample = frame[:_SAMPLE].decode("utf-8", "replace")
    else:  # a str frame may hold a lone surrogate: escaped, or ``tail`` could not write it
        sample = safe_text(str(frame)[:_SAMPLE])
    return FeedError(feed=FEED, message=safe_text(message[:400]), sample=sample)
