"""The ``pmdash`` command: the dashboard and its subcommands (DESIGN.md "Command line").

Exit codes: 0 success, 2 usage or configuration error (one line naming what to fix),
1 runtime failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pmdash.config import ConfigError, Settings, load_settings
from pmdash.endpoints import Endpoints
from pmdash.printable import printable

FEEDS_AVAILABLE = ("market",)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that names what to fix, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_selection(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    """The selection flags. On a subcommand they default to SUPPRESS so that a flag given
    before the subcommand (``pmdash --base-url URL tail market``) is not overwritten."""
    parser.add_argument(
        "--market",
        action="append",
        default=argparse.SUPPRESS if sub else [],
        metavar="SLUG",
        help="Gamma market slug to watch (repeatable)",
    )
    parser.add_argument(
        "--asset",
        action="append",
        default=argparse.SUPPRESS if sub else [],
        metavar="TOKEN_ID",
        help="CLOB token id to watch (repeatable; several may follow one flag)",
        nargs="+",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="point every feed and REST API at one server laid out like `pmdash sim`",
        default=argparse.SUPPRESS if sub else None,
    )
    parser.add_argument(
        "--config",
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
    tail.add_argument("--seconds", type=_positive_float, metavar="S", help="stop after S seconds")
    tail.add_argument("--books", action="store_true", help="print every book's state at exit")
    tail.add_argument(
        "--quiet", action="store_true", help="no per-event lines: book states and a summary"
    )

    search = sub.add_parser("search", help="search markets (Gamma)")
    search.add_argument("text", metavar="TEXT", nargs="+")
    search.add_argument("--json", action="store_true", help="one JSON object per market")
    search.add_argument(
        "--base-url",
        metavar="URL",
        help="search an embedded exchange instead",
        default=argparse.SUPPRESS,
    )
    return parser


def _flatten(values: Sequence[object]) -> list[str]:
    flat: list[str] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(str(v) for v in value)
        else:
            flat.append(str(value))
    return flat


def _endpoints(settings: Settings) -> Endpoints:
    if settings.base_url:
        try:
            return Endpoints.from_base_url(settings.base_url)
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


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        config_path=args.config,
        markets=_flatten(args.market),
        assets=_flatten(args.asset),
        base_url=args.base_url,
    )


def cmd_sim(args: argparse.Namespace) -> int:
    from pmdash.sim.runner import sim_main

    return sim_main(host=args.host, port=args.port, seed=args.seed, rate=args.rate)


def cmd_tail(args: argparse.Namespace) -> int:
    if args.feed not in FEEDS_AVAILABLE:
        raise ConfigError(
            f"unknown feed {args.feed!r} for tail (available: {', '.join(FEEDS_AVAILABLE)})"
        )
    settings = _settings(args)
    endpoints = _endpoints(settings)
    url = args.url or endpoints.market_ws
    _check_proxies(url, endpoints.gamma_rest, endpoints.clob_rest)
    from pmdash.net.http import HttpError
    from pmdash.selection import resolve_markets
    from pmdash.tail import run_tail

    try:
        markets = asyncio.run(resolve_markets(endpoints, settings))
    except HttpError as exc:
        print(f"pmdash: {exc}", file=sys.stderr)
        return 1
    return run_tail(
        url,
        markets,
        max_events=args.max_events,
        seconds=args.seconds,
        books=args.books,
        quiet=args.quiet,
    )


def cmd_search(args: argparse.Namespace) -> int:
    import msgspec

    from pmdash.jsonout import market_to_json
    from pmdash.net import rest
    from pmdash.net.http import HttpError
    from pmdash.units import fmt_price

    text = " ".join(args.text)
    try:
        base = Endpoints.from_base_url(args.base_url) if args.base_url else Endpoints.real()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    _check_proxies(base.gamma_rest)
    try:
        found = asyncio.run(rest.search(base.gamma_rest, text))
    except HttpError as exc:
        print(f"pmdash: {exc}", file=sys.stderr)
        return 1
    for market in found:
        if args.json:
            print(msgspec.json.encode(market_to_json(market)).decode())
        else:
            print(printable(f"{market.question}  [{market.slug}]"))
            prices = market.outcome_prices or (None,) * len(market.outcomes)
            for outcome, price, token in zip(
                market.outcomes, prices, market.token_ids, strict=False
            ):
                shown = fmt_price(price, market.tick_size)
                print(printable(f"    {outcome:<12} {shown:>6}  {token}"))
    if not found:
        print(f"pmdash: no market matches {text!r}", file=sys.stderr)
        return 1
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from pmdash.net.http import HttpError
    from pmdash.selection import resolve_markets

    settings = _settings(args)
    exchange = None
    if args.demo:
        if settings.base_url:
            raise ConfigError("--demo runs its own exchange: drop --base-url (or drop --demo)")
        from pmdash.sim.runner import start_exchange

        exchange = start_exchange()
        settings.base_url = exchange.base_url
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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "sim":
            return cmd_sim(args)
        if args.command == "tail":
            return cmd_tail(args)
        if args.command == "search":
            return cmd_search(args)
        return cmd_dashboard(args)
    except ConfigError as exc:
        print(f"pmdash: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
