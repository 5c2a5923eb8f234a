"""A small HTTP control API (GET only, JSON) for driving the exchange from outside:

``/sim/pause``, ``/sim/resume``, ``/sim/step?n=``, ``/sim/truth?asset_id=`` (ground-truth book,
decimal strings, best first), ``/sim/sessions?path=``, and faults ``/sim/fault/{drop,stall,
garbage,duplicate,reorder,heartbeats,desync}`` with ``path`` (default ``/ws/market``),
``session``, ``seconds``, ``count``, ``kind`` (non_json|bad_field), ``on`` (heartbeats: 0|1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdash.sim.faults import MARKET
from pmdash.sim.rest import Handler, Query, Reply
from pmdash.units import to_decimal_str

if TYPE_CHECKING:
    from pmdash.sim.server import SimServer


def _get(query: Query, key: str, default: str = "") -> str:
    values = query.get(key)
    return values[0] if values else default


def control_routes(server: SimServer) -> dict[str, Handler]:
    exchange, faults = server.exchange, server.faults

    def args(query: Query) -> tuple[str, int | None]:
        session = _get(query, "session")
        return _get(query, "path", MARKET), int(session) if session else None

    def pause(path: str, query: Query) -> Reply:
        exchange.pause()
        return 200, {"ok": True, "paused": True}

    def resume(path: str, query: Query) -> Reply:
        exchange.resume()
        return 200, {"ok": True, "paused": False}

    def step(path: str, query: Query) -> Reply:
        n = int(_get(query, "n", "1"))
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
        where, session = args(query)
        try:
            if kind == "drop":
                result: object = faults.drop(where, session)
            elif kind == "stall":
                result = faults.stall(float(_get(query, "seconds", "5")), where, session)
            elif kind == "garbage":
                which = _get(query, "kind", "non_json")
                if which not in ("non_json", "bad_field"):
                    return 400, {"error": "kind must be non_json or bad_field"}
                result = faults.garbage(which, where, session)  # type: ignore[arg-type]
            elif kind == "duplicate":
                result = faults.duplicate(int(_get(query, "count", "1")), where, session)
            elif kind == "reorder":
                result = faults.reorder(int(_get(query, "count", "1")), where, session)
            elif kind == "heartbeats":
                if _get(query, "on") == "1":
                    result = faults.resume_heartbeats(where)
                else:
                    seconds = _get(query, "seconds")
                    result = faults.stop_heartbeats(where, float(seconds) if seconds else None,
                                                    session)
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
