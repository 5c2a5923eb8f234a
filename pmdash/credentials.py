"""CLOB API credentials as one value that never shows its secret or passphrase.

PolyBolt authenticates with the CLOB triple (PROTOCOLS §3b.1), the CLOB user channel and its
REST account calls with the same one; the embedded exchange registers them (``pmdash sim
--clob-key API_KEY:SECRET:PASSPHRASE``). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLOB_KEY_FORM = "API_KEY:SECRET:PASSPHRASE"
_MAX_PART = 256


@dataclass(frozen=True)
class ClobCredentials:
    """The CLOB API key, secret and passphrase. ``repr`` shows the key only."""

    api_key: str
    secret: str = field(repr=False)
    passphrase: str = field(repr=False)


def parse_clob_key(text: str, origin: str = "--clob-key") -> ClobCredentials:
    """``API_KEY:SECRET:PASSPHRASE`` -> credentials. Raises ``ValueError`` with a one-line
    message naming ``origin`` and what is wrong, never quoting the value (it holds secrets).

    The key and passphrase hold no ``:``; the secret (base64, often urlsafe) holds none either,
    so exactly three non-empty parts are required."""
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(
            f"{origin} must be {CLOB_KEY_FORM} (three parts separated by ':', got "
            f"{len(parts)}; value not shown)"
        )
    names = ("API_KEY", "SECRET", "PASSPHRASE")
    for name, part in zip(names, parts, strict=True):
        if not part.strip():
            raise ValueError(f"{origin}: {name} is empty (value not shown)")
        if part != part.strip() or len(part) > _MAX_PART or not part.isprintable():
            raise ValueError(
                f"{origin}: {name} has blanks, control characters or more than {_MAX_PART} "
                "characters (value not shown)"
            )
    return ClobCredentials(parts[0], parts[1], parts[2])
