"""Polymarket US request signing (PROTOCOLS §5.1): Ed25519 over ``timestamp + METHOD + path``.

Headers ``X-PM-Access-Key`` (the key id), ``X-PM-Timestamp`` (Unix ms) and ``X-PM-Signature``
(standard base64 of the 64-byte signature). The secret key is standard base64 of a 32-byte seed,
or of 64 bytes (seed then public key): the first 32 bytes are the seed either way.

The secret never leaves this module's ``UsKey``: its ``repr`` names the key id only, and every
error names the variable or the problem, never the value.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from collections.abc import Callable, Mapping

from nacl.signing import SigningKey

KEY_ID_VAR = "POLYMARKET_KEY_ID"
SECRET_VAR = "POLYMARKET_SECRET_KEY"
ACCESS_KEY = "X-PM-Access-Key"
TIMESTAMP = "X-PM-Timestamp"
SIGNATURE = "X-PM-Signature"
_MAX_KEY_ID = 200


class UsKeyError(ValueError):
    """A missing or malformed US key. The message names where it came from, never its value."""


def decode_seed(secret_b64: str, origin: str = SECRET_VAR) -> bytes:
    """The 32-byte Ed25519 seed of a base64 secret (32 or 64 bytes once decoded)."""
    if not isinstance(secret_b64, str) or not secret_b64.strip():
        raise UsKeyError(f"{origin} is empty: set it to your Polymarket US secret key (base64)")
    try:
        raw = base64.b64decode(secret_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise UsKeyError(f"{origin} is not valid base64 (value not shown)") from None
    if len(raw) not in (32, 64):
        raise UsKeyError(
            f"{origin} decodes to {len(raw)} bytes; an Ed25519 secret key is 32 or 64 bytes"
            " (value not shown)"
        )
    return raw[:32]


class UsKey:
    """A Polymarket US API key: its id and signing key. Signs; never shows its secret."""

    __slots__ = ("_signer", "key_id")

    def __init__(self, key_id: str, secret_b64: str, *, origin: str = SECRET_VAR) -> None:
        key_id = key_id.strip() if isinstance(key_id, str) else ""
        if not key_id or len(key_id) > _MAX_KEY_ID or not key_id.isprintable() or " " in key_id:
            raise UsKeyError(f"{KEY_ID_VAR} is empty or malformed: set it to your US API key id")
        self.key_id = key_id
        self._signer = SigningKey(decode_seed(secret_b64, origin))

    @classmethod
    def from_seed(cls, key_id: str, seed: bytes) -> UsKey:
        """A key from raw seed bytes (the embedded exchange's demo key, tests)."""
        return cls(key_id, base64.b64encode(seed).decode())

    def __repr__(self) -> str:
        return f"UsKey(key_id={self.key_id!r}, secret=<hidden>)"

    __str__ = __repr__

    @property
    def public_key_b64(self) -> str:
        """The public key, standard base64 (what ``pmdash sim --us-key ID:PUBLIC`` takes)."""
        return base64.b64encode(bytes(self._signer.verify_key)).decode()

    def sign(self, timestamp_ms: int, method: str, path: str) -> str:
        """base64 of the Ed25519 signature of ``f"{timestamp_ms}{method}{path}"``."""
        message = f"{timestamp_ms}{method.upper()}{path}".encode()
        return base64.b64encode(self._signer.sign(message).signature).decode()

    def headers(self, method: str, path: str, *, now_ms: int | None = None) -> dict[str, str]:
        """The three auth headers for one request (``path`` without host or query)."""
        ts = int(time.time() * 1000) if now_ms is None else now_ms
        return {
            ACCESS_KEY: self.key_id,
            TIMESTAMP: str(ts),
            SIGNATURE: self.sign(ts, method, path),
        }


def header_factory(
    key: UsKey, path: str, *, clock: Callable[[], float] = time.time
) -> Callable[[], dict[str, str]]:
    """A ``FeedPolicy.headers`` factory: signs ``GET path`` afresh on every call (reconnect)."""

    def headers() -> dict[str, str]:
        return key.headers("GET", path, now_ms=int(clock() * 1000))

    return headers


def load_us_key(env: Mapping[str, str] | None = None) -> UsKey:
    """The key from ``POLYMARKET_KEY_ID`` / ``POLYMARKET_SECRET_KEY``; ``UsKeyError`` names the
    variable that is missing or malformed (never its value)."""
    source = os.environ if env is None else env
    key_id = source.get(KEY_ID_VAR, "")
    secret = source.get(SECRET_VAR, "")
    if not key_id.strip():
        raise UsKeyError(f"{KEY_ID_VAR} is not set: set it to your Polymarket US API key id")
    if not secret.strip():
        raise UsKeyError(f"{SECRET_VAR} is not set: set it to your Polymarket US secret key")
    return UsKey(key_id, secret, origin=SECRET_VAR)
