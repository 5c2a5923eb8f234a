"""CLOB L2 authentication (PROTOCOLS §2.4): HMAC-SHA256 signed REST headers.

``signature = urlsafe_b64encode(HMAC_SHA256(urlsafe_b64decode(secret), timestamp + METHOD +
path + body))`` with ``=`` padding kept; ``path`` without the query string; no body on a GET.
The secret and passphrase never appear in an exception message or a ``repr`` from here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable

from pmdash.credentials import ClobCredentials as Credentials

HEADER_NAMES = ("POLY_ADDRESS", "POLY_SIGNATURE", "POLY_TIMESTAMP", "POLY_API_KEY",
                "POLY_PASSPHRASE")


class SecretError(ValueError):
    """The API secret is not base64 (its value is never quoted)."""


def _key(secret: str) -> bytes:
    text = secret.strip()
    text += "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise SecretError("the CLOB API secret is not base64 (check CLOB_SECRET)") from None


def sign(secret: str, timestamp: str | int, method: str, path: str, body: str = "") -> str:
    """The L2 signature of one request."""
    message = f"{timestamp}{method}{path}{body}".encode()
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def verify(secret: str, signature: str, timestamp: str, method: str, path: str,
           body: str = "") -> bool:
    """Whether ``signature`` is the L2 signature of that request (constant-time compare)."""
    try:
        expected = sign(secret, timestamp, method, path, body)
    except SecretError:
        return False
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def l2_headers(
    creds: Credentials,
    address: str,
    method: str,
    path: str,
    body: str = "",
    *,
    clock: Callable[[], float] = time.time,
) -> dict[str, str]:
    """The five ``POLY_*`` headers for one request, timestamped now (Unix seconds)."""
    path = path.split("?", 1)[0]
    timestamp = str(int(clock()))
    return {
        "POLY_ADDRESS": address,
        "POLY_SIGNATURE": sign(creds.secret, timestamp, method.upper(), path, body),
        "POLY_TIMESTAMP": timestamp,
        "POLY_API_KEY": creds.api_key,
        "POLY_PASSPHRASE": creds.passphrase,
    }
