"""The embedded exchange's Polymarket US keys: registration (``--us-key KEY_ID:PUBLIC_KEY``)
and verification of the signed headers (PROTOCOLS §5.1).

A request is accepted when ``X-PM-Access-Key`` names a registered key, ``X-PM-Timestamp`` is
Unix ms within ``MAX_SKEW_MS`` of the server's clock, and ``X-PM-Signature`` is the base64
Ed25519 signature of ``timestamp + METHOD + path`` under that key. Errors never echo a value.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Iterable, Mapping

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

MAX_SKEW_MS = 30_000
_MAX_KEY_ID = 200


class UsKeySpecError(ValueError):
    """A malformed ``--us-key`` value (the message never quotes it)."""


def parse_us_key(spec: str, origin: str = "--us-key") -> tuple[str, bytes]:
    """``KEY_ID:PUBLIC_KEY_BASE64`` -> (key id, 32-byte public key)."""
    key_id, sep, public = spec.partition(":") if isinstance(spec, str) else ("", "", "")
    key_id, public = key_id.strip(), public.strip()
    if not sep or not key_id or not public:
        raise UsKeySpecError(f"{origin} must look like KEY_ID:PUBLIC_KEY_BASE64 (value not shown)")
    if len(key_id) > _MAX_KEY_ID or not key_id.isprintable() or " " in key_id:
        raise UsKeySpecError(f"{origin}: the key id is malformed (value not shown)")
    try:
        raw = base64.b64decode(public, validate=True)
    except (binascii.Error, ValueError):
        raise UsKeySpecError(f"{origin}: the public key is not valid base64 (value not shown)") \
            from None
    if len(raw) != 32:
        raise UsKeySpecError(
            f"{origin}: the public key decodes to {len(raw)} bytes, an Ed25519 public key is 32"
        )
    return key_id, raw


class UsKeyring:
    """Registered keys by id; ``check`` says why a signed request is refused (or None)."""

    def __init__(
        self, keys: Iterable[tuple[str, bytes]] = (), *, clock: Callable[[], float] = time.time
    ) -> None:
        self._keys: dict[str, VerifyKey] = {}
        self._clock = clock
        for key_id, public in keys:
            self.add(key_id, public)

    def add(self, key_id: str, public: bytes) -> None:
        self._keys[key_id] = VerifyKey(public)

    def add_spec(self, spec: str) -> None:
        self.add(*parse_us_key(spec))

    def __len__(self) -> int:
        return len(self._keys)

    def check(self, headers: Mapping[str, str], method: str, path: str) -> str | None:
        """None when the headers sign ``method path`` under a registered key, else why not."""
        key_id = headers.get("X-PM-Access-Key") or ""
        stamp = headers.get("X-PM-Timestamp") or ""
        signature = headers.get("X-PM-Signature") or ""
        if not key_id or not stamp or not signature:
            return "missing X-PM-Access-Key, X-PM-Timestamp or X-PM-Signature"
        verify = self._keys.get(key_id)
        if verify is None:
            return "unknown API key"
        if not stamp.isdigit() or len(stamp) > 16:
            return "malformed timestamp"
        if abs(int(stamp) - self._clock() * 1000) > MAX_SKEW_MS:
            return "timestamp outside the 30 s window"
        try:
            raw = base64.b64decode(signature, validate=True)
            verify.verify(f"{stamp}{method}{path}".encode(), raw)
        except (binascii.Error, ValueError, BadSignatureError):
            return "invalid signature"
        return None
