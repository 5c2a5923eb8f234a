"""Credentials several feeds share: the CLOB API key triple (PolyBolt's ``auth`` op, the CLOB
user channel, signed REST) and the account's addresses, and what ``--demo`` gives them."""

from __future__ import annotations

from pmdash.credentials import ClobCredentials
from pmdash.feedspec import Credential

CLOB_CREDENTIALS = (
    Credential(name="api_key", env="CLOB_API_KEY", config_key="clob_api_key"),
    Credential(name="secret", env="CLOB_SECRET", config_key="clob_secret"),
    Credential(name="passphrase", env="CLOB_PASS_PHRASE", config_key="clob_pass_phrase"),
)
"""The CLOB API credential triple (PolyBolt's ``auth`` op, the CLOB user channel, signed REST)."""

PROFILE_ADDRESS = Credential(
    name="profile_address", env="POLYMARKET_PROFILE_ADDRESS", config_key="profile_address"
)
"""Your Polymarket profile (proxy/funder) address: whose positions the Data API lists."""
SIGNER_ADDRESS = Credential(
    name="signer_address", env="POLYMARKET_SIGNER_ADDRESS", config_key="signer_address",
    optional=True,
)
"""The address your API key signs for (``POLY_ADDRESS``); unset: the profile address."""


def clob_secrets(api_key: str, secret: str, passphrase: str) -> dict[str, str]:
    """The triple by config key, as ``Settings.given`` takes it (``--demo``)."""
    values = {"api_key": api_key, "secret": secret, "passphrase": passphrase}
    return {c.config_key: values[c.name] for c in CLOB_CREDENTIALS}


def demo_credentials(creds: ClobCredentials) -> dict[str, str]:
    """What ``--demo`` gives its feeds (``Settings.given``), by config key: the CLOB key it
    registered with its exchange (a ``ClobCredentials``) and the addresses that exchange gives
    that key."""
    from pmdash.sim.account import demo_addresses

    signer, profile = demo_addresses(creds.api_key)
    values = (creds.api_key, creds.secret, creds.passphrase)
    given = {c.config_key: v for c, v in zip(CLOB_CREDENTIALS, values, strict=True)}
    given[PROFILE_ADDRESS.config_key] = profile
    given[SIGNER_ADDRESS.config_key] = signer
    return given
