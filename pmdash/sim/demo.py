"""The keys ``--demo`` makes for itself: registered with the embedded exchange it starts, and
handed to pmdash's feeds as given credentials (``Settings.given``: never shown, never on a
command line, winning over the environment). Fresh on every run."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field

from pmdash.live.us import KEY_ID_CONFIG, SECRET_KEY_CONFIG
from pmdash.net.us_auth import UsKey
from pmdash.sim.us import DEMO_KEY_ID


@dataclass(frozen=True)
class DemoKeys:
    us_keys: tuple[str, ...]
    """``KEY_ID:PUBLIC_KEY_BASE64`` for the exchange's US keyring."""
    given: dict[str, str] = field(repr=False)
    """Config key -> value (``Settings.given``: wins over the environment): what the feeds
    sign with."""


def demo_keys() -> DemoKeys:
    seed = os.urandom(32)
    key = UsKey.from_seed(DEMO_KEY_ID, seed)
    return DemoKeys(
        us_keys=(f"{DEMO_KEY_ID}:{key.public_key_b64}",),
        given={KEY_ID_CONFIG: DEMO_KEY_ID,
                 SECRET_KEY_CONFIG: base64.b64encode(seed).decode()},
    )
