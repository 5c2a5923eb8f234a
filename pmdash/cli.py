"""The ``pmdash`` command: the dashboard and its subcommands (DESIGN.md "Command line").

Exit codes: 0 success, 2 usage or configuration error (one line naming what to fix),
1 runtime failure. A stdout that fails ends the command: exit 0 when its reader went away (a
closed pipe), else 1 with one line (a full disk). The selection flags (``--market``, ``--asset``,
``--base-url``, ``--config``) work before or after the subcommand; settings come from the flags,
then ``PMDASH_BASE_URL``, then the config file, for every command. ``--demo`` (before the
subcommand, or after ``tail``/``search``) starts the embedded exchange in-process for the
dashboard, ``tail`` and ``search``; with ``--base-url``, ``tail --url`` or ``sim`` it is a usage
error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from pmdash.config import ConfigError, Settings, load_settings
from pmdash.credentials import CLOB_KEY_FORM, ClobCredentials, parse_clob_key
from pmdash.endpoints import Endpoints, check_ws_url
from pmdash.loopback import is_loopback_host, is_loopback_url
from pmdash.output import CLOSED, OutputError, discard_stdout, output_failed, stdout_closed
from pmdash.output import write as write_out
from pmdash.printable import printable
from pmdash.registry import (
    FEEDS,
    FeedSpec,
    all_choices,
    chosen,
    enabled_feeds,
    read_credentials,
)
from pmdash.specs.credentials import demo_credentials
from pmdash.specs.venue import VENUE

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    from pmdash.models import FeedError, MarketInfo

COMMANDS = ("sim", "tail", "search")
DEMO_NAME = "the demo exchange"
"""How messages name the exchange ``--demo`` runs (its port means nothing to the user)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that names what to fix, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        """As argparse, but a stdout that fails raises ``OutputError`` (argparse ignores it:
        ``pmdash --help > /dev/full`` exited 0), so ``--help`` ends like any other output."""
        if file is not None:
            super().print_help(file)
            return
        write_out(sys.stdout, self.format_help(), flush=True)


def _add_selection(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    """The selection flags. They work before the subcommand too (``pmdash --base-url URL tail
    market``): on a subcommand they store under ``sub_*`` names with no default, and
    ``_settings`` merges the two (markets and assets from both, a repeated single-value flag:
    the subcommand's)."""
    prefix = "sub_" if sub else ""
    parser.add_argument(
        "--market",
        action="append",
        dest=f"{prefix}market",
        default=argparse.SUPPRESS if sub else [],
        metavar="SLUG",
        help="Gamma market slug to watch (repeatable)",
    )
    parser.add_argument(
        "--asset",
        action="append",
        dest=f"{prefix}asset",
        default=argparse.SUPPRESS if sub else [],
        metavar="TOKEN_ID",
        help="CLOB token id to watch (repeatable; several may follow one flag)",
        nargs="+",
    )
    _add_base_url(parser, sub=sub)
    _add_config(parser, sub=sub)


def _add_base_url(
    parser: argparse.ArgumentParser,
    *,
    sub: bool = False,
    text: str = "point every feed and REST API at one server laid out like `pmdash sim`",
) -> None:
    parser.add_argument(
        "--base-url",
        dest="sub_base_url" if sub else "base_url",
        metavar="URL",
        help=text,
        default=argparse.SUPPRESS if sub else None,
    )


def _add_config(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    parser.add_argument(
        "--config",
        dest="sub_config" if sub else "config",
        type=Path,
        metavar="FILE",
        help="TOML config file",
        default=argparse.SUPPRESS if sub else None,
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
    return value


SIM_MAX_RATE_TEXT = "1,000,000"
"""``pmdash.sim.exchange.MAX_RATE`` as ``sim --help`` says it (that module is not imported
for the help: it pulls in the whole order flow)."""


def _sim_rate(text: str) -> float:
    """``sim --rate``: above 0, at most ``MAX_RATE`` (a huge rate overflowed the sim)."""
    from pmdash.sim.exchange import MAX_RATE

    value = _positive_float(text)
    if value > MAX_RATE:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_RATE:,} messages per second, got {text!r}"
        )
    return value


def _clob_key(text: str) -> ClobCredentials:
    """``sim --clob-key API_KEY:SECRET:PASSPHRASE``: the error never quotes the value."""
    try:
        return parse_clob_key(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--clob-key").lstrip(": ")) from None


def _sim_host(text: str) -> str:
    """``sim --host``: a loopback address only (``[::1]`` may keep its brackets)."""

    host = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if not is_loopback_host(host):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a loopback address: the sim's control API (/sim/fault/*, "
            "/sim/pause) has no authentication, so it listens only on 127.0.0.0/8, ::1 or "
            "localhost"
        )
    return host


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pmdash",
        description="Terminal dashboard for Polymarket's real-time feeds.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the embedded exchange on loopback (no network, no credentials)",
    )
    _add_selection(parser)
    for choice in all_choices():
        parser.add_argument(
            choice.flag, choices=choice.choices, dest=f"choice_{choice.config_key}",
            default=None, help=choice.help,
        )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sim = sub.add_parser("sim", help="run the embedded exchange alone")
    sim.add_argument(
        "--host",
        type=_sim_host,
        default="127.0.0.1",
        help="loopback address to listen on: 127.0.0.0/8, ::1 or localhost (default: "
        "%(default)s)",
    )
    sim.add_argument("--port", type=_port, default=0, help="port (default: 0, a free one)")
    sim.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed: the same seed, the same run (default: %(default)s)",
    )
    sim.add_argument(
        "--rate",
        type=_sim_rate,
        default=20.0,
        help=f"messages per second, at most {SIM_MAX_RATE_TEXT} (default: %(default)g)",
    )
    sim.add_argument(
        "--clob-key",
        type=_clob_key,
        action="append",
        default=[],
        metavar=CLOB_KEY_FORM,
        help="CLOB API credentials the user channel, PolyBolt and the signed account reads "
        "accept; each gets a demo account that trades (repeatable)",
    )
    # Only so that `pmdash sim --demo` gets a reason, not "unrecognized arguments".
    sim.add_argument("--demo", action="store_true", dest="sub_demo", help=argparse.SUPPRESS,
                     default=argparse.SUPPRESS)
    sim.add_argument(
        "--us-key",
        action="append",
        dest="us_keys",
        default=[],
        metavar="KEY_ID:PUBLIC_KEY_BASE64",
        help="a Polymarket US key the exchange accepts (repeatable)",
    )

    tail = sub.add_parser("tail", help="stream one feed headless as NDJSON")
    tail.add_argument("feed", metavar="FEED", help=f"feed id: {', '.join(FEEDS)}")
    tail.add_argument(
        "--url",
        help="WebSocket URL of the feed, with its path ("
        + ", ".join(f"{spec.path} for {spec.id}" for spec in FEEDS.values())
        + "); it moves only the feed: "
        "--market slugs are still looked up on Gamma (or on --base-url's server)",
    )
    _add_selection(tail, sub=True)
    _add_demo(tail)
    tail.add_argument(
        "--max-events",
        type=_positive_int,
        metavar="N",
        help="stop after N events (feed_status lines are printed but not counted)",
    )
    tail.add_argument(
        "--seconds",
        type=_positive_float,
        metavar="S",
        help="stop after S seconds (the market lookup included)",
    )
    for spec in FEEDS.values():
        if spec.tail_options is not None:
            spec.tail_options(tail)
    tail.add_argument(
        "--quiet", action="store_true", help="no per-event lines: book states and a summary"
    )

    search = sub.add_parser("search", help="search markets (Gamma)")
    search.add_argument(
        "text", metavar="TEXT", nargs="+", help="words to look for (several are joined by spaces)"
    )
    search.add_argument("--json", action="store_true", help="one JSON object per market")
    _add_base_url(search, sub=True, text="search an embedded exchange instead")
    _add_config(search, sub=True)
    _add_venue(search)
    _add_demo(search)
    return parser


def _add_venue(parser: argparse.ArgumentParser) -> None:
    """``search TEXT --venue us`` (the dashboard's ``--venue``, ``specs.venue.VENUE``)."""
    parser.add_argument(
        VENUE.flag,
        dest="sub_venue",
        choices=VENUE.choices,
        default=argparse.SUPPRESS,
        help=VENUE.help,
    )


def _add_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo",
        action="store_true",
        dest="sub_demo",
        default=argparse.SUPPRESS,
        help="use the embedded exchange, started in-process (no network)",
    )


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Command name -> its parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


class _UsageError(Exception):
    """A command line argparse would misread (exit 2, like its own errors)."""


_CHOICE_FLAGS = tuple(choice.flag for choice in all_choices())
_TOP_OPTIONS = ("--demo", "--market", "--asset", "--base-url", "--config", "--help",
                *_CHOICE_FLAGS)
_TOP_VALUED = ("--market", "--base-url", "--config", *_CHOICE_FLAGS)


def _top_option(arg: str) -> str | None:
    """The top-level option ``arg`` names (argparse accepts unambiguous prefixes)."""
    if not arg.startswith("--") or len(arg) < 3 or "=" in arg:
        return None
    if arg in _TOP_OPTIONS:
        return arg
    matches = [option for option in _TOP_OPTIONS if option.startswith(arg)]
    return matches[0] if len(matches) == 1 else None


def _unknown_option(name: str) -> str:
    """The usage error for an option before the command that pmdash does not have."""
    owners = [
        command
        for command, sub in _subparsers(build_parser()).items()
        if name in sub._option_string_actions
    ]
    if owners:
        return (
            f"unknown option {name!r} before the command: it is an option of "
            f"pmdash {owners[0]}, so put it after `{owners[0]}`"
        )
    return f"unknown option {name!r}: pmdash has no such option"


def _not_a_command(word: str, after: str | None) -> str:
    text = f"{word!r} is not a command (commands: {', '.join(COMMANDS)})"
    if after == "--market":
        text += "; to watch several markets give each its own flag: --market A --market B"
    return text


def bind_top_level_assets(argv: Sequence[str]) -> list[str]:
    """``pmdash --asset A B tail market``: argparse's ``nargs="+"`` would take ``tail`` and
    ``market`` as token ids too. Before a subcommand name, each value of a top-level
    ``--asset`` is bound to its flag (``--asset=A --asset=B``), so the subcommand stays one.
    A subcommand name right after ``--asset`` is a usage error, and so are (with a reason
    argparse cannot give) an option pmdash does not have and a word that is not a command."""
    out: list[str] = []
    i = 0
    after: str | None = None
    while i < len(argv):
        arg = argv[i]
        if arg == "--" or arg in COMMANDS:
            out.extend(argv[i:])
            break
        if not arg.startswith("-") or arg == "-":
            raise _UsageError(_not_a_command(arg, after))
        name = arg.split("=", 1)[0]
        if name != "-h" and not any(option.startswith(name) for option in _TOP_OPTIONS):
            raise _UsageError(_unknown_option(name))
        option = _top_option(arg)
        after = option or _top_option(name)
        if option in _TOP_VALUED:
            out.extend(argv[i : i + 2])
            i += 2
            continue
        if option != "--asset":
            out.append(arg)
            i += 1
            continue
        j = i + 1
        while j < len(argv) and not argv[j].startswith("-") and argv[j] not in COMMANDS:
            j += 1
        values = argv[i + 1 : j]
        if j < len(argv) and argv[j] in COMMANDS:
            if not values:
                raise _UsageError(f"argument --asset: expected a TOKEN_ID before {argv[j]!r}")
            out.extend(f"--asset={value}" for value in values)
        else:
            out.extend(argv[i:j])
        i = j
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        args = bind_top_level_assets(args)
    except _UsageError as exc:
        parser.error(str(exc))
    parsed, extras = parser.parse_known_args(args)
    if extras:
        # Left over after a subcommand: its own --help is the one that helps.
        owner = _subparsers(parser).get(parsed.command or "", parser)
        owner.error(f"unrecognized arguments: {' '.join(extras)}")
    return parsed


def _flatten(values: Sequence[object]) -> list[str]:
    flat: list[str] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(str(v) for v in value)
        else:
            flat.append(str(value))
    return flat


def _endpoints(settings: Settings) -> Endpoints:
    if settings.base_url is not None:
        try:
            return Endpoints.from_base_url(settings.base_url, origin=settings.base_url_from)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return Endpoints.real()


def _check_proxies(*urls: str) -> None:
    """A proxy variable that applies to one of ``urls`` but cannot be used is a configuration
    error now, not a feed that fails later."""
    from pmdash.net.proxy import ProxyConfigError, proxy_for

    for url in urls:
        try:
            proxy_for(url)
        except ProxyConfigError as exc:
            raise ConfigError(str(exc)) from None


def _base_url_flag(args: argparse.Namespace) -> str | None:
    """``--base-url`` as given on the command line (after the subcommand wins), else None."""
    sub: str | None = getattr(args, "sub_base_url", None)
    return sub if sub is not None else args.base_url


def _settings(args: argparse.Namespace) -> Settings:
    """Flags (before and after the subcommand) over the environment over the config file."""
    markets = _flatten(args.market) + _flatten(getattr(args, "sub_market", []))
    assets = _flatten(args.asset) + _flatten(getattr(args, "sub_asset", []))
    config: Path | None = getattr(args, "sub_config", None)
    settings = load_settings(
        config_path=config if config is not None else args.config,
        markets=list(dict.fromkeys(markets)),
        assets=list(dict.fromkeys(assets)),
        base_url=_base_url_flag(args),
    )
    for choice in all_choices():
        value = getattr(args, f"choice_{choice.config_key}", None)
        if value is not None:
            settings.choices[choice.config_key] = value
    for warning in settings.warnings:
        print(f"pmdash: warning: {printable(warning)}", file=sys.stderr)
    venue = getattr(args, "sub_venue", None)  # `search TEXT --venue us`
    if venue is not None:
        settings.choices[VENUE.config_key] = venue
    return settings


class _Failure(Exception):
    """A runtime failure of a command: one line on stderr, exit 1."""


def _demo_flag(args: argparse.Namespace) -> bool:
    return bool(args.demo or getattr(args, "sub_demo", False))


def _check_selection_applies(args: argparse.Namespace) -> None:
    """A selection flag given before a command it means nothing to is a usage error, not
    silently dropped: ``sim`` serves the markets it makes, ``search`` looks up TEXT."""
    chosen = [
        flag
        for flag, given in (("--market", _flatten(args.market)), ("--asset", _flatten(args.asset)))
        if given
    ]
    if args.command == "sim" and _base_url_flag(args) is not None:
        chosen.append("--base-url")
    if args.command not in ("sim", "search") or not chosen:
        return
    names, verb, them = (chosen[0], "does", "it") if len(chosen) == 1 else (
        " and ".join(chosen), "do", "them"
    )
    if args.command == "sim":
        raise ConfigError(
            f"{names} {verb} not go with sim: it serves the markets it makes (drop {them}; "
            "point the dashboard or tail at a running sim with --base-url)"
        )
    raise ConfigError(f"{names} {verb} not go with search: it looks up TEXT (drop {them})")


def _check_demo(args: argparse.Namespace) -> None:
    """``--demo`` with what it cannot go with is a usage error (one line)."""
    if not _demo_flag(args):
        return
    if args.command == "sim":
        raise ConfigError(
            "--demo does not go with sim: `pmdash sim` runs the embedded exchange alone, "
            "--demo starts one inside the dashboard, tail or search (drop --demo)"
        )
    if _base_url_flag(args) is not None:
        raise ConfigError("--demo runs its own exchange: drop --base-url (or drop --demo)")
    if getattr(args, "url", None) is not None:
        raise ConfigError("--demo runs its own exchange: drop --url (or drop --demo)")


def _hider(base_url: str) -> Callable[[str], str]:
    """Replace the URLs of the server at ``base_url`` (and "the exchange at" before them) in a
    message with ``DEMO_NAME``."""
    netloc = re.escape(urlsplit(base_url).netloc)
    # Its path too, but not a sentence's last dot; not a longer port (":4000" in ":40001").
    path = r"""(?:/[^\s,;)'"]*[^\s,;:)'".])?"""
    pattern = re.compile(rf"(?:the exchange at )?(?:https?|wss?)://{netloc}(?![0-9]){path}")
    return lambda text: pattern.sub(DEMO_NAME, text)


@contextlib.contextmanager
def _session(args: argparse.Namespace) -> Iterator[tuple[Settings, Endpoints, bool]]:
    """The settings and endpoints of a command, and whether ``--demo`` runs them: then the
    embedded exchange serves in-process on a free loopback port until the block ends, and an
    error leaving the block names it ``DEMO_NAME``, not by its URL."""
    settings = _settings(args)
    if not _demo_flag(args):
        yield settings, _endpoints(settings), False
        return
    # A flag wins over PMDASH_BASE_URL and the config file's base_url.
    from pmdash.sim.credentials import new_credentials
    from pmdash.sim.demo import demo_keys
    from pmdash.sim.runner import start_demo_exchange

    demo_key = new_credentials()  # registered with the exchange; the feeds that need it use it
    us = demo_keys()  # its own US key pair too, registered likewise, never shown
    exchange = start_demo_exchange(clob_keys=[demo_key], us_keys=us.us_keys)
    hide = _hider(exchange.base_url)
    settings.base_url = exchange.base_url
    settings.base_url_from = "--demo"
    settings.given = demo_credentials(demo_key)
    settings.given.update(us.given)
    try:
        yield settings, _endpoints(settings), True
    except ConfigError as exc:
        raise ConfigError(hide(str(exc))) from None
    except _Failure as exc:
        raise _Failure(hide(str(exc))) from None
    finally:
        exchange.stop()


def _url_hint(feed_url: str | None, endpoints: Endpoints) -> str:
    """``tail --url ws://127.0.0.1:PORT/...`` with a lookup on the real Gamma: the user very
    likely meant the server at --url for both."""
    if feed_url is None or endpoints.embedded or not is_loopback_url(feed_url):
        return ""
    parts = urlsplit(feed_url)
    base = f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}"
    return (
        f"; --url moves only the feed, markets are looked up on {endpoints.gamma_rest}: for "
        f"the exchange at --url give --base-url {base} instead"
    )


def _resolve(
    endpoints: Endpoints,
    settings: Settings,
    *,
    timeout: float | None = None,
    feed_url: str | None = None,
    name_assets: bool = False,
) -> list[MarketInfo]:
    """The markets to stream (``selection.resolve_markets``), its errors saying where a slug
    came from and, for a loopback ``--url``, that ``--base-url`` moves the lookup too. Raises
    ``ConfigError`` (exit 2) or ``_Failure`` (exit 1)."""
    from pmdash.net.http import HttpError
    from pmdash.selection import resolve_markets

    hint = _url_hint(feed_url, endpoints)
    try:
        return asyncio.run(
            resolve_markets(endpoints, settings, timeout=timeout, name_assets=name_assets)
        )
    except ConfigError as exc:
        text = str(exc)
        if text.startswith("no market with slug") and settings.markets_from != "--market":
            text = f"{settings.markets_from}: {text}"
        raise ConfigError(text + hint) from None
    except HttpError as exc:
        raise _Failure(str(exc) + hint) from None


def _preflight(feeds: Sequence[FeedSpec], endpoints: Endpoints, settings: Settings, *,
               alone: bool, timeout: float | None = None) -> None:
    """Each feed's own check of what it was asked for (``FeedSpec.preflight``), within
    ``timeout``. Raises ``ConfigError`` (exit 2) or ``_Failure`` (exit 1)."""
    from pmdash.net.http import HttpError

    checks = [spec.preflight for spec in feeds if spec.preflight is not None]
    if not checks:
        return

    async def run() -> None:
        async with asyncio.timeout(timeout):
            for check in checks:
                await check(endpoints, settings, alone)

    try:
        asyncio.run(run())
    except HttpError as exc:
        raise _Failure(str(exc)) from None
    except TimeoutError:
        raise _Failure(f"no answer from the market lookup within {timeout:g} s") from None


def cmd_sim(args: argparse.Namespace) -> int:
    from pmdash.sim.runner import sim_main

    return sim_main(host=args.host, port=args.port, seed=args.seed, rate=args.rate,
                    clob_keys=args.clob_key, us_keys=args.us_keys)


def cmd_tail(args: argparse.Namespace) -> int:
    started = time.monotonic()
    spec = FEEDS.get(args.feed)
    if spec is None:
        raise ConfigError(f"unknown feed {args.feed!r} for tail (available: {', '.join(FEEDS)})")
    if args.url is not None:
        try:
            check_ws_url(args.url, "--url", feed=args.feed)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    from pmdash.live.controller import FeedContext
    from pmdash.tail import run_tail

    with _session(args) as (settings, endpoints, demo):
        credentials = read_credentials(spec, settings)
        url = args.url or spec.url(endpoints)
        _check_proxies(url, endpoints.gamma_rest, endpoints.clob_rest)
        # --seconds bounds the whole run, the market lookup included.
        markets = (
            _resolve(endpoints, settings, timeout=args.seconds, feed_url=args.url)
            if spec.needs_markets
            else []
        )
        if args.url is None:  # a server of one's own (--url) is not asked
            _preflight([spec], endpoints, settings, alone=True, timeout=args.seconds)
        seconds = args.seconds
        if seconds is not None:
            seconds = max(seconds - (time.monotonic() - started), 0.0)
        ctx = FeedContext(
            endpoints=endpoints,
            settings=settings,
            markets=markets,
            url=args.url,
            credentials=credentials,
            options=args,
        )
        return run_tail(
            spec,
            ctx,
            options=args,
            max_events=args.max_events,
            seconds=seconds,
            quiet=args.quiet,
            shown_url=DEMO_NAME if demo else None,
        )


def cmd_search(args: argparse.Namespace) -> int:
    import msgspec

    from pmdash.jsonout import market_to_json
    from pmdash.net import rest
    from pmdash.net.http import HttpError
    from pmdash.units import fmt_price

    text = " ".join(args.text).strip()
    if not text:
        raise ConfigError("search needs TEXT to look for (it was empty)")
    with _session(args) as (settings, base, _demo):
        skipped: list[FeedError] = []
        try:
            if chosen(settings, VENUE) == "us":
                from pmdash.live.us import us_urls
                from pmdash.net.us_rest import search as search_us

                gateway = us_urls(base).gateway
                _check_proxies(gateway)
                found = asyncio.run(search_us(gateway, text))
            else:
                _check_proxies(base.gamma_rest)
                found = asyncio.run(rest.search(base.gamma_rest, text, errors=skipped))
        except HttpError as exc:
            raise _Failure(str(exc)) from None
    out = sys.stdout
    for market in found:
        if args.json:
            write_out(out, msgspec.json.encode(market_to_json(market)).decode() + "\n")
        else:
            write_out(out, printable(f"{market.question}  [{market.slug}]") + "\n")
            prices = market.outcome_prices or (None,) * len(market.outcomes)
            for outcome, price, token in zip(
                market.outcomes, prices, market.token_ids, strict=False
            ):
                shown = fmt_price(price, market.tick_size)
                write_out(out, printable(f"    {outcome:<12} {shown:>6}  {token}") + "\n")
    write_out(out, "", flush=True)
    if skipped:  # the rest are shown: one line says what was left out, and the first reason
        print(f"pmdash: {_skipped_note(skipped)}", file=sys.stderr)
    if not found and not args.json:  # nothing matched is an answer, not a failure
        print(f"pmdash: no market matches {printable(repr(text))}", file=sys.stderr)
    return 0


def _skipped_note(skipped: Sequence[FeedError]) -> str:
    count = len(skipped)
    return printable(
        f"skipped {count} market{'' if count == 1 else 's'} the server sent that could not be "
        f"read ({skipped[0].message[:200]})"
    )


def cmd_dashboard(args: argparse.Namespace) -> int:
    with _session(args) as (settings, endpoints, _demo):
        feeds: list[FeedSpec] = enabled_feeds(settings)
        for spec in feeds:
            read_credentials(spec, settings)  # a missing one is exit 2 before the screen opens
        _check_proxies(*(spec.url(endpoints) for spec in feeds), endpoints.gamma_rest,
                       endpoints.clob_rest)
        needs_markets = any(spec.needs_markets for spec in feeds)
        markets = _resolve(endpoints, settings, name_assets=True) if needs_markets else []
        _preflight(feeds, endpoints, settings, alone=False)
        from pmdash.app import PmdashApp

        app = PmdashApp(endpoints, markets, settings=settings, feeds=feeds)
        app.run()
        return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    closed = stdout_closed()
    try:
        args = parse_args(argv)
    except OutputError as exc:  # --help to a stdout that failed
        return output_failed(exc)
    if closed and args.command is not None:  # its output would go nowhere: say so, exit 1
        return output_failed(OutputError(CLOSED))
    try:
        _check_selection_applies(args)
        _check_demo(args)
        if args.command == "sim":
            return cmd_sim(args)
        if args.command == "tail":
            return cmd_tail(args)
        if args.command == "search":
            return cmd_search(args)
        return cmd_dashboard(args)
    except ConfigError as exc:
        print(f"pmdash: {printable(str(exc))}", file=sys.stderr)
        return 2
    except _Failure as exc:
        print(f"pmdash: {printable(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OutputError as exc:
        return output_failed(exc)
    except BrokenPipeError:  # any other write to a stdout whose reader quit
        discard_stdout()
        return 0
