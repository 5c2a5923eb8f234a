"""What a feed registers: ``FeedSpec`` (its factories, ``tail`` options, credentials and
settings), ``Credential`` and ``Choice``, and reading a feed's credentials. Each feed's spec
lives in ``pmdash/specs/``; ``pmdash/registry.py`` collects them into ``FEEDS``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pmdash.config import ConfigError, Settings
from pmdash.endpoints import Endpoints

if TYPE_CHECKING:
    from pmdash.live.controller import Controller, FeedContext
    from pmdash.sim.server import Feed, SimServer
    from pmdash.state.store import Slice, Store
    from pmdash.widgets.group import PanelGroup


@dataclass(frozen=True, kw_only=True)
class Credential:
    """One secret or key a feed needs: read from ``env``, else from the config file's
    ``config_key``; missing, the command exits 2 naming both."""

    name: str
    """The key in ``FeedContext.credentials``."""
    env: str
    config_key: str
    optional: bool = False
    """Not required: left out of ``FeedContext.credentials`` when not set."""


@dataclass(frozen=True, kw_only=True)
class Choice:
    """A setting feeds add, one of ``choices``: the dashboard's flag ``flag`` and the config
    file's key ``config_key`` (the flag wins). Read it with ``chosen(settings, choice)``."""

    flag: str
    config_key: str
    choices: tuple[str, ...]
    default: str
    help: str


def chosen(settings: Settings, choice: Choice) -> str:
    return settings.choices.get(choice.config_key, choice.default)


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    """One feed: its modules' factories (each imports its module when called, so ``pmdash tail
    market`` loads neither Textual nor another feed's codec) and what the command line, the
    dashboard and ``tail`` need to know of it."""

    id: str
    title: str
    path: str
    """Its WebSocket path on a server laid out like the embedded exchange."""
    url: Callable[[Endpoints], str]
    """Its WebSocket URL for the endpoints in use."""
    slices: Callable[[Settings], Sequence[Slice]]
    controller: Callable[[FeedContext], Controller]
    panels: Callable[[Controller, Store, Settings], Sequence[PanelGroup]] | None = None
    """Its panel groups (each says where it goes: ``PanelGroup.place``)."""
    sim_route: Callable[[SimServer], Feed] | None = None
    tail_options: Callable[[argparse.ArgumentParser], None] | None = None
    """Adds the feed's own ``tail`` flags (argparse); their values reach ``tail_end``."""
    tail_events: tuple[str, ...] = ()
    """The ``type`` of each event ``tail`` prints for this feed (DESIGN.md's list)."""
    tail_end: Callable[[Controller, argparse.Namespace], list[dict[str, Any]]] | None = None
    """Lines ``tail`` prints at exit (the market feed's ``--books``)."""
    tail_summary: Callable[[Controller], dict[str, Any]] | None = None
    """Fields the ``--quiet`` summary adds for this feed."""
    credentials: tuple[Credential, ...] = ()
    needs_markets: bool = False
    """The feed streams the selected markets: they are looked up (Gamma) before it starts."""
    enabled: Callable[[Settings], bool] = field(default=lambda settings: True)
    """Whether the dashboard runs this feed with these settings (``polybolt`` only with CLOB
    credentials); ``tail FEED`` runs the feed asked for regardless."""
    choices: tuple[Choice, ...] = ()
    """Settings of the feed's own (a flag and a config key each; feeds may share one)."""
    preflight: Callable[[Endpoints, Settings, bool], Awaitable[None]] | None = None
    """Checks what the feed was asked for against its servers before the screen opens or
    ``tail`` prints (Polymarket US: every ``--market`` slug exists), given whether it runs
    alone (``tail FEED``): raises ``ConfigError`` (exit 2) naming what to fix, or ``HttpError``
    when the server gives no usable answer (exit 1)."""
    order: int = 100
    """Where the dashboard composes and starts it among the feeds (lower first; then by id):
    the order of the panel groups in a column and of the feeds in the status bar."""


def missing_credentials(
    spec: FeedSpec, settings: Settings, environ: Mapping[str, str] | None = None
) -> list[Credential]:
    """The credentials of ``spec`` set neither in the environment nor in the config file."""
    return missing_of(spec.credentials, settings, environ)


def missing_of(
    credentials: Sequence[Credential], settings: Settings, environ: Mapping[str, str] | None
) -> list[Credential]:
    """Which of ``credentials`` are set neither in the environment nor in the config file."""
    return [c for c in credentials if not c.optional and not _value(c, settings, environ)]


def _value(c: Credential, settings: Settings, environ: Mapping[str, str] | None) -> str:
    """Where a credential is set: given by the command (``--demo``), else the environment,
    else the config file; ``""``: nowhere."""
    env = os.environ if environ is None else environ
    return (settings.given.get(c.config_key) or env.get(c.env)
            or settings.secrets.get(c.config_key) or "")


def read_credentials(
    spec: FeedSpec, settings: Settings, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The feed's credentials by name; raises ``ConfigError`` (exit 2) naming every variable
    or config key left to set. The values are never part of a message."""
    missing = missing_credentials(spec, settings, environ)
    if missing:
        names = ", ".join(f"{c.env} (or {c.config_key} in the config file)" for c in missing)
        raise ConfigError(f"the {spec.id} feed needs credentials: set {names}")
    values = {c.name: _value(c, settings, environ) for c in spec.credentials}
    return {name: value for name, value in values.items() if value}
