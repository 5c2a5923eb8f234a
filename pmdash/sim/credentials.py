"""The CLOB API credentials the embedded exchange accepts (``pmdash sim --clob-key``, repeatable;
``--demo`` registers its own): one registry for every feed that authenticates with them
(PolyBolt's ``auth`` op, the CLOB user channel, the L2-signed REST calls).

Secrets are compared in constant time and never appear in a ``repr`` or an error.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from pmdash.credentials import ClobCredentials


def new_credentials() -> ClobCredentials:
    """Fresh random credentials (for ``--demo`` and tests): a UUID-like key, a urlsafe base64
    secret (as the CLOB issues them) and a hex passphrase."""
    key = secrets.token_hex(16)
    api_key = f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}"
    return ClobCredentials(api_key, secrets.token_urlsafe(32), secrets.token_hex(32))


class CredentialRegistry:
    """API key -> its secret and passphrase."""

    def __init__(self, credentials: Iterable[ClobCredentials] = ()) -> None:
        self._by_key: dict[str, ClobCredentials] = {}
        for creds in credentials:
            self.register(creds)

    def __repr__(self) -> str:
        return f"CredentialRegistry({len(self._by_key)} key(s))"

    def __len__(self) -> int:
        return len(self._by_key)

    def register(self, credentials: ClobCredentials) -> None:
        """Accept these credentials from now on (a key registered again takes the new ones)."""
        self._by_key[credentials.api_key] = credentials

    def forget(self, api_key: str) -> None:
        self._by_key.pop(api_key, None)

    def api_keys(self) -> tuple[str, ...]:
        return tuple(self._by_key)

    def check(self, api_key: object, secret: object, passphrase: object) -> bool:
        """Whether the triple is registered (wrong types are simply not)."""
        if not (isinstance(api_key, str) and isinstance(secret, str)
                and isinstance(passphrase, str)):
            return False
        known = self._by_key.get(api_key)
        if known is None:
            return False
        secret_ok = hmac.compare_digest(known.secret.encode(), secret.encode("utf-8", "replace"))
        pass_ok = hmac.compare_digest(
            known.passphrase.encode(), passphrase.encode("utf-8", "replace")
        )
        return secret_ok and pass_ok

    def secret_of(self, api_key: str) -> str | None:
        """The registered secret of a key (for verifying an L2 signature), or None."""
        known = self._by_key.get(api_key)
        return None if known is None else known.secret
