"""Where each feed and REST API lives: the real venues, or one server laid out like the
embedded exchange (``--base-url``, ``--demo``)."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

import msgspec

# Paths the embedded exchange serves (DESIGN.md "Command line"): a contract, keep them.
PATHS = {
    "market": "/ws/market",
    "user": "/ws/user",
    "polybolt": "/live/ws",
    "rtds": "/rtds",
    "sports": "/sports",
    "us-markets": "/v1/ws/markets",
    "us-private": "/v1/ws/private",
}


def _shown(url: str) -> str:
    """The URL as an error message may quote it: never one with an ``@`` in it (its
    credentials may end anywhere: ``http://user:se/cret@host`` has a ``/`` in the password)."""
    if "@" in url:
        return "(URL not shown: it has an '@', it may hold a password)"
    return repr(url) if len(url) <= 200 else repr(url[:200] + "…")


def _has_userinfo(url: str) -> bool:
    """Whether the URL may carry ``USER[:PASSWORD]@``. Any ``@`` counts, wherever it is: a
    password may hold ``/``, ``?`` or ``#`` (a parser would end the host there and take the
    rest for a path), and pmdash's URLs (a base URL, a feed URL) have no use for an ``@``."""
    return "@" in url


def check_url(url: str, origin: str, schemes: tuple[str, ...], form: str) -> SplitResult:
    """Parse ``url`` given as ``origin`` (``--base-url``, ``PMDASH_BASE_URL``, ...): one of
    ``schemes``, a host, a valid port, no credentials. Raises ``ValueError`` with a one-line
    message that names ``origin`` and never quotes credentials."""
    if not url.strip():
        raise ValueError(f"{origin} is empty: give {form}")
    if _has_userinfo(url):
        raise ValueError(
            f"{origin} must not hold credentials (USER:PASSWORD@, or any '@'): give {form} "
            "(URL not shown)"
        )
    try:
        parts = urlsplit(url)
        if parts.port == 0:
            raise ValueError("port 0")
    except ValueError as exc:
        reason = "bad port, expected 1-65535" if "port" in str(exc).lower() else str(exc)
        raise ValueError(f"{origin} is not a usable URL ({reason}): {_shown(url)}") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"{origin} must look like {form}, got {_shown(url)}")
    return parts


class Endpoints(msgspec.Struct, frozen=True):
    market_ws: str
    clob_rest: str
    gamma_rest: str
    embedded: bool = False
    """True when every URL points at one server laid out like the embedded exchange."""

    @classmethod
    def real(cls) -> Endpoints:
        return cls(
            market_ws="wss://ws-subscriptions-clob.polymarket.com/ws/market",
            clob_rest="https://clob.polymarket.com",
            gamma_rest="https://gamma-api.polymarket.com",
        )

    @classmethod
    def from_base_url(cls, base_url: str, *, origin: str = "--base-url") -> Endpoints:
        """``http://127.0.0.1:8765`` -> every feed and REST API on that one server.

        ``origin`` names where the URL came from in the ``ValueError`` an unusable one raises.
        Only ``http(s)://HOST[:PORT]`` is taken: a path would be dropped (every feed and API has
        its own fixed path), so it is refused rather than silently ignored."""
        form = "http://HOST:PORT"
        parts = check_url(base_url, origin, ("http", "https"), form)
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(
                f"{origin} must be just {form}, without a path, query or fragment "
                f"(pmdash adds the paths itself), got {_shown(base_url)}"
            )
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        root = f"{parts.scheme}://{parts.netloc}"
        ws_root = f"{ws_scheme}://{parts.netloc}"
        return cls(
            market_ws=ws_root + PATHS["market"],
            clob_rest=root,
            gamma_rest=root,
            embedded=True,
        )


def check_ws_url(url: str, origin: str = "--url", *, feed: str | None = None) -> str:
    """A feed URL given by hand (``tail --url``): ``ws://`` or ``wss://``, a host, a valid port,
    no credentials, and (``feed`` given) a path: with none, the error names that feed's path
    (every server pmdash knows serves each feed on a path of its own). Returns it; raises
    ``ValueError`` naming ``origin`` otherwise."""
    parts = check_url(url, origin, ("ws", "wss"), "ws://HOST:PORT/PATH or wss://...")
    if feed is not None and parts.path in ("", "/"):
        path = PATHS[feed]
        raise ValueError(
            f"{origin} has no path: the {feed} feed is at {path} "
            f"(e.g. {parts.scheme}://{parts.netloc}{path}), got {_shown(url)}"
        )
    return url
