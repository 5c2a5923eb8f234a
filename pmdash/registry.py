"""Every feed pmdash speaks, by id: ``FEEDS``. ``app.py``, ``tail.py`` and ``cli.py`` iterate
over it and name no feed, and neither does this module: it loads every module of
``pmdash/specs/`` and takes each one's ``SPECS``.

A feed is modules plus one registration (README, "How to add a feed"):

- ``feeds/<feed>`` its codec, ``net/<feed>.py`` its ``FeedPolicy``;
- ``state/<slice>.py`` its slice(s) (``state.store.Slice``), made by ``FeedSpec.slices``;
- ``live/<feed>.py`` its controller (``live.controller.Controller``), made by
  ``FeedSpec.controller`` from a ``FeedContext``;
- ``widgets/<panel>.py`` its panel group(s) (``widgets.group.PanelGroup``), made by
  ``FeedSpec.panels`` (imported only by the dashboard: ``tail`` never loads Textual);
- ``sim/<feed>.py`` its route in the embedded exchange, made by ``FeedSpec.sim_route`` and
  added with ``SimServer.add_feed``;
- ``specs/<feed>.py`` its registration: a ``FeedSpec`` (``feedspec.py``) naming those
  factories, its ``tail`` options, the event types it prints, its credentials, and whether the
  settings enable it.
"""

from __future__ import annotations

import importlib
import pkgutil

from pmdash import specs
from pmdash.config import Settings
from pmdash.feedspec import (
    Choice,
    Credential,
    FeedSpec,
    chosen,
    missing_credentials,
    missing_of,
    read_credentials,
)

__all__ = [
    "FEEDS",
    "Choice",
    "Credential",
    "FeedSpec",
    "all_choices",
    "chosen",
    "enabled_feeds",
    "missing_credentials",
    "missing_of",
    "read_credentials",
]


def _registered() -> dict[str, FeedSpec]:
    found: list[FeedSpec] = []
    for module in pkgutil.iter_modules(specs.__path__):
        found.extend(getattr(importlib.import_module(f"{specs.__name__}.{module.name}"),
                             "SPECS", ()))
    found.sort(key=lambda spec: (spec.order, spec.id))
    registered: dict[str, FeedSpec] = {}
    for spec in found:
        if spec.id in registered:
            raise RuntimeError(f"two feeds registered as {spec.id!r} in pmdash/specs/")
        registered[spec.id] = spec
    return registered


FEEDS: dict[str, FeedSpec] = _registered()
"""Feed id -> its spec, in the order the dashboard composes and starts them (``order``)."""


def all_choices() -> list[Choice]:
    """Every feed's ``Choice``, once each, in registration order."""
    return list({c.flag: c for spec in FEEDS.values() for c in spec.choices}.values())


def enabled_feeds(settings: Settings) -> list[FeedSpec]:
    """The feeds the dashboard runs with ``settings``, in registration order."""
    return [spec for spec in FEEDS.values() if spec.enabled(settings)]
