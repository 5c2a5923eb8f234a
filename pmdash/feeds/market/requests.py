"""The market channel's requests (PROTOCOLS §1.1-§1.3): the first subscription on a socket,
adding and dropping assets on an open one, and the heartbeat's texts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

PING = "PING"
PONG = "PONG"


def _id_list(asset_ids: Iterable[str]) -> list[str]:
    if isinstance(asset_ids, str | bytes):
        raise TypeError("asset_ids must be an iterable of token ids, not one string")
    ids = list(asset_ids)
    for token in ids:
        if not isinstance(token, str):
            raise TypeError(f"token id is not a string: {token!r}")
    return ids


def _encode(message: dict[str, Any]) -> str:
    return msgspec.json.encode(message).decode()


def subscribe(
    asset_ids: Iterable[str], *, custom_features: bool = True, initial_dump: bool = True
) -> str:
    """The first message on a new socket (PROTOCOLS §1.1). Never sends ``level``."""
    return _encode(
        {
            "type": "market",
            "assets_ids": _id_list(asset_ids),
            "custom_feature_enabled": custom_features,
            "initial_dump": initial_dump,
        }
    )


def subscribe_more(asset_ids: Iterable[str], *, custom_features: bool = True) -> str:
    """Add assets on an open socket (PROTOCOLS §1.2); each gets a fresh ``book``."""
    return _encode(
        {
            "operation": "subscribe",
            "assets_ids": _id_list(asset_ids),
            "custom_feature_enabled": custom_features,
        }
    )


def unsubscribe(asset_ids: Iterable[str]) -> str:
    """Drop assets on an open socket (PROTOCOLS §1.2)."""
    return _encode({"operation": "unsubscribe", "assets_ids": _id_list(asset_ids)})
