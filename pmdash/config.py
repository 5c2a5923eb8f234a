"""Settings: the TOML config file, environment variables and flags merged into one object.

Precedence: flags over environment over the file over defaults. The file is
``$PMDASH_CONFIG``, else ``$XDG_CONFIG_HOME/pmdash/config.toml`` (``~/.config/...``); a missing
default file is fine, a missing file named explicitly is an error.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A configuration problem; the message names what to fix (exit code 2)."""


@dataclass
class Settings:
    markets: list[str] = field(default_factory=list)
    """Gamma market slugs to watch."""
    assets: list[str] = field(default_factory=list)
    """CLOB token ids to watch."""
    base_url: str | None = None
    base_url_from: str = "--base-url"
    """Where ``base_url`` came from, for messages: ``--base-url``, ``PMDASH_BASE_URL`` or
    ``base_url in FILE``."""
    markets_from: str = "--market"
    """Where ``markets`` came from, for messages: ``--market`` or ``markets in FILE``."""
    refresh_hz: float = 30.0
    tape_len: int = 500
    config_path: Path | None = None
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    """Credentials from the config file, by config key (``feedspec.Credential.config_key``);
    never shown."""
    given: dict[str, str] = field(default_factory=dict, repr=False)
    """Credentials the command supplies itself, by config key (``--demo``'s own, registered
    with its exchange): they win over the environment and the file; never shown."""
    warnings: list[str] = field(default_factory=list)
    """What the user should fix but pmdash can run with (a config file holding credentials that
    others can read): one line each on stderr at start, and a toast in the dashboard."""
    choices: dict[str, str] = field(default_factory=dict)
    """Feeds' own settings (``feedspec.Choice``) by config key: from the file, then the flag."""


_KEYS: dict[str, type | tuple[type, ...]] = {
    "markets": list,
    "assets": list,
    "base_url": str,
    "refresh_hz": (int, float),
    "tape_len": int,
}
_EXPECTED = {
    "markets": 'a list of slugs (["slug-a", "slug-b"])',
    "assets": 'a list of token ids (["123...", "456..."])',
    "base_url": 'a string ("http://HOST:PORT")',
    "refresh_hz": "a number (like 30)",
    "tape_len": "a whole number (like 500)",
}
"""What each key takes, as its wrong-type error says."""
_ENTRY = {"markets": "Gamma market slug", "assets": "CLOB token id"}
"""What one entry of a selection list is, for messages."""


def _toml_type(value: object) -> str:
    """The TOML name of a parsed value's type, for messages."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
             list: "an array", dict: "a table"}
    return names.get(type(value), f"a {type(value).__name__} (date or time)")


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pmdash" / "config.toml"


MAX_CONFIG_BYTES = 1 << 20
"""The largest config file read (a few markets take a few hundred bytes)."""


def read_config_text(path: Path, max_bytes: int = MAX_CONFIG_BYTES) -> str:
    """The text of the config file at ``path``: a regular file (a symlink to one is fine) of
    at most ``max_bytes``, in UTF-8; the null device reads as empty. Raises
    ``FileNotFoundError`` when nothing is there, and ``ConfigError`` naming the problem
    otherwise: a FIFO, another device (``/dev/zero``), a directory, a symlink loop, a file too
    big. The file is opened without blocking (a FIFO
    with no writer would hang ``open``) and checked before anything is read from it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        if exc.errno == errno.ELOOP:
            reason = "a symlink loop (too many levels of symbolic links)"
        elif exc.errno == errno.ENOTDIR:
            raise FileNotFoundError(str(path)) from None
        else:
            reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot read config file {path}: {reason}") from None
    try:
        info = os.fstat(fd)
        mode = info.st_mode
        if _is_null_device(info):  # ``PMDASH_CONFIG=/dev/null``: no settings, as with git
            return ""
        if not stat.S_ISREG(mode):
            raise ConfigError(
                f"config file {path} is {_file_kind(mode)}, not a regular file"
            )
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise ConfigError(f"config file {path} is too big (more than {max_bytes:,} bytes)")
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read config file {path}: not UTF-8 text") from None


def _is_null_device(info: os.stat_result) -> bool:
    if not stat.S_ISCHR(info.st_mode):
        return False
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return (info.st_rdev, info.st_ino, info.st_dev) == (null.st_rdev, null.st_ino, null.st_dev)


def _file_kind(mode: int) -> str:
    """What a non-regular file is, for messages."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def load_file(path: Path | None) -> tuple[dict[str, Any], Path | None]:
    """Read the config file. ``path=None`` means the default location (optional).
    ``PMDASH_CONFIG`` set but empty counts as unset."""
    env_path = os.environ.get("PMDASH_CONFIG")
    explicit_flag = path is not None
    explicit = explicit_flag or bool(env_path)
    if path is None:
        path = Path(env_path) if env_path else default_config_path()
    try:
        text = read_config_text(path)
    except FileNotFoundError:
        if explicit:
            named_by = "--config" if explicit_flag else "PMDASH_CONFIG"
            raise ConfigError(f"config file not found: {path} (fix {named_by})") from None
        return {}, None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    return data, path


def secret_keys() -> set[str]:
    """The config keys the registered feeds read credentials from."""
    from pmdash.registry import FEEDS  # the registry imports this module

    return {c.config_key for spec in FEEDS.values() for c in spec.credentials}


def choice_keys() -> dict[str, tuple[str, ...]]:
    """The config keys of the feeds' own settings (``feedspec.Choice``) -> their values."""
    from pmdash.registry import all_choices  # the registry imports this module

    return {c.config_key: c.choices for c in all_choices()}


def validate(data: dict[str, Any], origin: str) -> dict[str, Any]:
    secrets = secret_keys()
    choices = choice_keys()
    for key, value in data.items():
        if key in secrets:
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{origin}: {key} must be a non-empty string")
            continue
        if key in choices:
            if value not in choices[key]:
                raise ConfigError(f"{origin}: {key} must be one of {', '.join(choices[key])}")
            continue
        expected = _KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted({*_KEYS, *secrets, *choices}))
            raise ConfigError(f"{origin}: unknown key {key!r} (known keys: {known})")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{origin}: {key} must be {_EXPECTED[key]}, got {_toml_type(value)}")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            wrong = next(_toml_type(v) for v in value if not isinstance(v, str))
            raise ConfigError(f"{origin}: {key} must be a list of strings, got {wrong} in it")
    for key in ("markets", "assets"):
        if any(not value.strip() for value in data.get(key, ())):
            raise ConfigError(f"{origin}: {key} has an empty entry (each is a {_ENTRY[key]})")
    if "refresh_hz" in data and not 1 <= data["refresh_hz"] <= 120:
        raise ConfigError(f"{origin}: refresh_hz must be between 1 and 120")
    if "tape_len" in data and not 10 <= data["tape_len"] <= 100_000:
        raise ConfigError(f"{origin}: tape_len must be between 10 and 100000")
    return data


def load_settings(
    *,
    config_path: Path | None = None,
    markets: list[str] | None = None,
    assets: list[str] | None = None,
    base_url: str | None = None,
) -> Settings:
    """Merge the file, the environment (``PMDASH_BASE_URL``, empty counts as unset) and flags.
    ``base_url=""`` (an empty flag) is kept, for the caller to refuse it by name; an empty or
    blank ``--market`` or ``--asset`` is a ``ConfigError``."""
    for flag, values, key in (("--market", markets, "markets"), ("--asset", assets, "assets")):
        if any(not value.strip() for value in values or ()):
            raise ConfigError(f"{flag} is empty (give a {_ENTRY[key]})")
    raw, used_path = load_file(config_path)
    data = validate(raw, str(used_path) if used_path else "config")
    settings = Settings(config_path=used_path)
    secrets = secret_keys()
    choices = choice_keys()
    for key, value in data.items():
        if key in secrets:
            settings.secrets[key] = value
        elif key in choices:
            settings.choices[key] = value
        else:
            setattr(settings, key, value)
    if settings.secrets and used_path is not None and used_path.stat().st_mode & 0o077:
        settings.warnings.append(
            f"{used_path} holds credentials but others can read it (chmod 600 {used_path})"
        )
    if "markets" in data:
        settings.markets_from = f"markets in {used_path}"
    if "base_url" in data:
        settings.base_url_from = f"base_url in {used_path}"
    env_base = os.environ.get("PMDASH_BASE_URL")
    if env_base:
        settings.base_url = env_base
        settings.base_url_from = "PMDASH_BASE_URL"
    if markets:
        settings.markets = list(markets)
        settings.markets_from = "--market"
    if assets:
        settings.assets = list(assets)
    if base_url is not None:
        settings.base_url = base_url
        settings.base_url_from = "--base-url"
    return settings
