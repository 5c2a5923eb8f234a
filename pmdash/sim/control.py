"""A small HTTP control API (GET only, JSON) for driving the exchange from outside:

``/sim/pause``, ``/sim/resume``, ``/sim/step?n=``, ``/sim/truth?asset_id=`` (ground-truth book,
decimal strings, best first), ``/sim/sessions?path=``, and faults ``/sim/fault/{drop,stall,
garbage,duplicate,reorder,heartbeats,desync}`` with ``path`` (default ``/ws/market``),
``session``, ``seconds``, ``count``, ``kind`` (non_json|bad_field), ``on`` (heartbeats: 0|1).
A parameter that is not a number, or out of its range (``n`` 0-10000, ``count`` 1-10000,
``seconds`` 0-86400), is answered 400 naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdash.sim.faults import MARKET
from pmdash.sim.rest import Handler, Query, Reply
from pmdash.units import to_decimal_str

if TYPE_CHECKING:
    from pmdash.sim.server import SimServer


MAX_STEP = 10_000
"""``/sim/step?n=`` at most: the steps run on the exchange's loop, which serves nothing else
meanwhile (10000 take about half a second; step again for more)."""
MAX_COUNT = 10_000
MAX_SECONDS = 86_400.0


class BadQuery(ValueError):
    """A query parameter that cannot be used (HTTP 400, the message names it)."""


def _get(query: Query, key: str, default: str = "") -> str:
    values = query.get(key)
    return values[0] if values else default


def _int(query: Query, key: str, default: int, low: int, high: int) -> int:
    text = _get(query, key)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadQuery(f"{key} must be a whole number, got {text[:40]!r}") from None
    if not low <= value <= high:
        raise BadQuery(f"{key} must be between {low} and {high}, got {value}")
    return value


def _seconds(query: Query) -> float | None:
    """``seconds`` (None when absent)."""
    text = _get(query, "seconds")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadQuery(f"seconds must be a number, got {text[:40]!r}") from None
    if not 0 <= value <= MAX_SECONDS:  # also refuses nan and inf
        raise BadQuery(f"seconds must be between 0 and {MAX_SECONDS:g}, got {text[:40]!r}")
    return value


def control_routes(server: SimServer) -> dict[str, Handler]:
    exchange, faults = server.exchange, server.faults

    def args(query: Query) -> tuple[str, int | None]:
        session = _int(query, "session", -1, 0, 2**63 - 1) if _get(query, "session") else None
        return _get(query, "path", MARKET), session

    def pause(path: str, query: Query) -> Reply:
        exchange.pause()
        return 200, {"ok": True, "paused": True}

    def resume(path: str, query: Query) -> Reply:
        exchange.resume()
        return 200, {"ok": True, "paused": False}

    def step(path: str, query: Query) -> Reply:
        try:
            n = _int(query, "n", 1, 0, MAX_STEP)
        except BadQuery as exc:
            return 400, {"error": str(exc)}
        return 200, {"ok": True, "messages": exchange.step(n)}

    def truth(path: str, query: Query) -> Reply:
        asset = _get(query, "asset_id")
        if not exchange.has_asset(asset):
            return 404, {"error": "unknown asset"}
        bids, asks = exchange.book(asset)
        return 200, {
            "asset_id": asset,
            "tick_size": to_decimal_str(exchange.tick_size(asset)),
            "bids": [[to_decimal_str(p), to_decimal_str(s)] for p, s in bids],
            "asks": [[to_decimal_str(p), to_decimal_str(s)] for p, s in asks],
        }

    def sessions(path: str, query: Query) -> Reply:
        where = _get(query, "path", MARKET)
        return 200, [{"id": s.id, "queued": s.queued, "sent": s.sent}
                     for s in faults.sessions(where)]

    def fault(path: str, query: Query) -> Reply:
        kind = path.removeprefix("/sim/fault/")
        try:
            where, session = args(query)
            if kind == "drop":
                result: object = faults.drop(where, session)
            elif kind == "stall":
                seconds = _seconds(query)
                result = faults.stall(5.0 if seconds is None else seconds, where, session)
            elif kind == "garbage":
                which = _get(query, "kind", "non_json")
                if which not in ("non_json", "bad_field"):
                    return 400, {"error": "kind must be non_json or bad_field"}
                result = faults.garbage(which, where, session)  # type: ignore[arg-type]
            elif kind == "duplicate":
                count = _int(query, "count", 1, 1, MAX_COUNT)
                result = faults.duplicate(count, where, session)
            elif kind == "reorder":
                count = _int(query, "count", 1, 1, MAX_COUNT)
                result = faults.reorder(count, where, session)
            elif kind == "heartbeats":
                if _get(query, "on") == "1":
                    result = faults.resume_heartbeats(where)
                else:
                    result = faults.stop_heartbeats(where, _seconds(query), session)
            elif kind == "desync":
                result = faults.desync(where, session)
            else:
                return 404, {"error": f"unknown fault {kind!r}"}
        except ValueError as exc:
            return 400, {"error": str(exc)}
        return 200, {"ok": True, "fault": kind, "result": result}

    routes: dict[str, Handler] = {
        "/sim/pause": pause,
        "/sim/resume": resume,
        "/sim/step": step,
        "/sim/truth": truth,
        "/sim/sessions": sessions,
    }
    for name in ("drop", "stall", "garbage", "duplicate", "reorder", "heartbeats", "desync"):
        routes[f"/sim/fault/{name}"] = fault
    return routes
