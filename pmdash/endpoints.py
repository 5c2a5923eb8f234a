"""Where each feed and REST API lives: the real venues, or one server laid out like the
embedded exchange (``--base-url``, ``--demo``)."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

# Paths the embedded exchange serves (DESIGN.md "Command line"): a contract, keep them.
PATHS = {
    "market": "/ws/market",
    "user": "/ws/user",
    "rtds": "/rtds",
    "sports": "/sports",
    "us-markets": "/v1/ws/markets",
    "us-private": "/v1/ws/private",
}


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
    def from_base_url(cls, base_url: str) -> Endpoints:
        """``http://127.0.0.1:8765`` -> every feed and REST API on that one server."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--base-url must look like http://HOST:PORT, got {base_url!r}")
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        root = f"{parts.scheme}://{parts.netloc}"
        ws_root = f"{ws_scheme}://{parts.netloc}"
        return cls(
            market_ws=ws_root + PATHS["market"],
            clob_rest=root,
            gamma_rest=root,
            embedded=True,
        )
