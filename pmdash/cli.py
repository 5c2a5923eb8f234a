"""The ``pmdash`` command: the dashboard and its subcommands (DESIGN.md "Command line").

Exit codes: 0 success, 2 usage or configuration error (one line naming what to fix),
1 runtime failure. A stdout that fails ends the command: exit 0 when its reader went away (a
closed pipe), else 1 with one line (a full disk). The selection flags (``--market``, ``--asset``,
``--base-url``, ``--config``) work before or after the subcommand; settings come from the flags,
then ``PMDASH_BASE_URL``, then the config file, for every command.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pmdash.config import ConfigError, Settings, load_settings
from pmdash.endpoints import Endpoints, check_ws_url
from pmdash.output import OutputError, discard_stdout, output_failed
from pmdash.output import write as write_out
from pmdash.printable import printable

FEEDS_AVAILABLE = ("market",)
COMMANDS = ("sim", "tail", "search")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that names what to fix, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sim = sub.add_parser("sim", help="run the embedded exchange alone")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument("--port", type=_port, default=0, help="port (0: a free one)")
    sim.add_argument("--seed", type=int, default=1, help="random seed (reproducible runs)")
    sim.add_argument("--rate", type=_positive_float, default=20.0, help="messages per second")

    tail = sub.add_parser("tail", help="stream one feed headless as NDJSON")
    tail.add_argument("feed", metavar="FEED", help=f"feed id: {', '.join(FEEDS_AVAILABLE)}")
    tail.add_argument("--url", help="WebSocket URL of the feed (default: from --base-url or real)")
    _add_selection(tail, sub=True)
    tail.add_argument("--max-events", type=_positive_int, metavar="N", help="stop after N events")
    tail.add_argument(
        "--seconds",
        type=_positive_float,
        metavar="S",
        help="stop after S seconds (the market lookup included)",
    )
    tail.add_argument("--books", action="store_true", help="print every book's state at exit")
    tail.add_argument(
        "--quiet", action="store_true", help="no per-event lines: book states and a summary"
    )

    search = sub.add_parser("search", help="search markets (Gamma)")
    search.add_argument("text", metavar="TEXT", nargs="+")
    search.add_argument("--json", action="store_true", help="one JSON object per market")
    _add_base_url(search, sub=True, text="search an embedded exchange instead")
    _add_config(search, sub=True)
    return parser


class _UsageError(Exception):
    """A command line argparse would misread (exit 2, like its own errors)."""


_TOP_OPTIONS = ("--demo", "--market", "--asset", "--base-url", "--config", "--help")
_TOP_VALUED = ("--market", "--base-url", "--config")


def _top_option(arg: str) -> str | None:
    """The top-level option ``arg`` names (argparse accepts unambiguous prefixes)."""
    if not arg.startswith("--") or len(arg) < 3 or "=" in arg:
        return None
    if arg in _TOP_OPTIONS:
        return arg
    matches = [option for option in _TOP_OPTIONS if option.startswith(arg)]
    return matches[0] if len(matches) == 1 else None


def bind_top_level_assets(argv: Sequence[str]) -> list[str]:
    """``pmdash --asset A B tail market``: argparse's ``nargs="+"`` would take ``tail`` and
    ``market`` as token ids too. Before a subcommand name, each value of a top-level
    ``--asset`` is bound to its flag (``--asset=A --asset=B``), so the subcommand stays one.
    A subcommand name right after ``--asset`` is a usage error."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--" or arg in COMMANDS:
            out.extend(argv[i:])
            break
        option = _top_option(arg)
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
    return parser.parse_args(args)


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
    return load_settings(
        config_path=config if config is not None else args.config,
        markets=list(dict.fromkeys(markets)),
        assets=list(dict.fromkeys(assets)),
        base_url=_base_url_flag(args),
    )


def cmd_sim(args: argparse.Namespace) -> int:
    from pmdash.sim.runner import sim_main

    return sim_main(host=args.host, port=args.port, seed=args.seed, rate=args.rate)


def cmd_tail(args: argparse.Namespace) -> int:
    started = time.monotonic()
    if args.feed not in FEEDS_AVAILABLE:
        raise ConfigError(
            f"unknown feed {args.feed!r} for tail (available: {', '.join(FEEDS_AVAILABLE)})"
        )
    if args.url is not None:
        try:
            check_ws_url(args.url, "--url")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    settings = _settings(args)
    endpoints = _endpoints(settings)
    url = args.url or endpoints.market_ws
    _check_proxies(url, endpoints.gamma_rest, endpoints.clob_rest)
    from pmdash.net.http import HttpError
    from pmdash.selection import resolve_markets
    from pmdash.tail import run_tail

    try:
        # --seconds bounds the whole run, the market lookup included.
        markets = asyncio.run(resolve_markets(endpoints, settings, timeout=args.seconds))
    except HttpError as exc:
        print(f"pmdash: {exc}", file=sys.stderr)
        return 1
    seconds = args.seconds
    if seconds is not None:
        seconds = max(seconds - (time.monotonic() - started), 0.0)
    return run_tail(
        url,
        markets,
        max_events=args.max_events,
        seconds=seconds,
        books=args.books,
        quiet=args.quiet,
        follow_new_markets=endpoints.embedded and not (settings.markets or settings.assets),
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
    base = _endpoints(_settings(args))
    _check_proxies(base.gamma_rest)
    try:
        found = asyncio.run(rest.search(base.gamma_rest, text))
    except HttpError as exc:
        print(f"pmdash: {exc}", file=sys.stderr)
        return 1
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
    if not found:
        print(f"pmdash: no market matches {text!r}", file=sys.stderr)
        return 1
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from pmdash.net.http import HttpError
    from pmdash.selection import resolve_markets

    if args.demo and _base_url_flag(args) is not None:
        raise ConfigError("--demo runs its own exchange: drop --base-url (or drop --demo)")
    settings = _settings(args)
    exchange = None
    if args.demo:
        # A flag wins over PMDASH_BASE_URL and the config file's base_url.
        from pmdash.sim.runner import start_exchange

        exchange = start_exchange()
        settings.base_url = exchange.base_url
        settings.base_url_from = "--demo"
    try:
        endpoints = _endpoints(settings)
        _check_proxies(endpoints.market_ws, endpoints.gamma_rest, endpoints.clob_rest)
        try:
            markets = asyncio.run(resolve_markets(endpoints, settings))
        except HttpError as exc:
            print(f"pmdash: {exc}", file=sys.stderr)
            return 1
        from pmdash.app import PmdashApp

        app = PmdashApp(endpoints, markets, settings=settings)
        app.run()
        return app.return_code or 0
    finally:
        if exchange is not None:
            exchange.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
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
    except KeyboardInterrupt:
        return 130
    except OutputError as exc:
        return output_failed(exc)
    except BrokenPipeError:  # any other write to a stdout whose reader quit
        discard_stdout()
        return 0
