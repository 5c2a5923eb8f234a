"""The command line in-process (``pmdash.cli.main``): argument parsing, settings precedence and
the one-line usage errors (exit 2). The subprocess contract tests are in ``test_cli.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmdash.cli import _settings, main, parse_args
from pmdash.config import ConfigError, load_settings
from pmdash.endpoints import Endpoints, check_ws_url
from pmdash.sim.runner import RunningExchange, start_exchange


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No user config or pmdash variable leaks in; returns the (empty) config home."""
    monkeypatch.delenv("PMDASH_CONFIG", raising=False)
    monkeypatch.delenv("PMDASH_BASE_URL", raising=False)
    home = tmp_path / "xdg"
    home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def exchange() -> Iterator[RunningExchange]:
    with start_exchange(seed=21, markets=3, paused=True, lifecycle_s=0) as running:
        yield running


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``pmdash ARGV``."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = cli(capsys, *argv)
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and out == "", err
    assert "Traceback" not in err
    return lines[0]


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("sim", "--rate", "inf"),
        ("sim", "--rate", "1e309"),
        ("sim", "--rate", "nan"),
        ("tail", "market", "--asset", "1", "--seconds", "inf"),
        ("tail", "market", "--asset", "1", "--seconds", "NaN"),
    ],
)
def test_non_finite_numbers_are_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    line = usage_error(capsys, *argv)
    assert argv[-2] in line and argv[-1] in line


# --- base URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:99999",
        "http://127.0.0.1:abc",
        "http://127.0.0.1:0",
        "http://[::1",
        "/some/prefix",
        "http://127.0.0.1:8765/some/prefix",
        "http://127.0.0.1:8765?x=1",
        "",
        "ftp://127.0.0.1:21",
        "http://:8765",
    ],
)
@pytest.mark.parametrize("command", [("tail", "market"), ("search", "x"), ()])
def test_unusable_base_url_names_the_flag(
    capsys: pytest.CaptureFixture[str], url: str, command: tuple[str, ...]
) -> None:
    line = usage_error(capsys, *command, "--base-url", url)
    assert "--base-url" in line


@pytest.mark.parametrize(
    "url",
    ["http://user:hunter2@127.0.0.1:8765", "http://tok3n@127.0.0.1:8765", "http://u:hunter2@[::1"],
)
def test_base_url_with_credentials_is_refused_without_showing_them(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    line = usage_error(capsys, "tail", "market", "--base-url", url)
    assert "--base-url" in line and "credentials" in line
    assert "hunter2" not in line and "tok3n" not in line and "user:" not in line


def test_base_url_forms_that_work() -> None:
    ep = Endpoints.from_base_url("http://127.0.0.1:8765/")
    assert ep.market_ws == "ws://127.0.0.1:8765/ws/market"
    assert ep.gamma_rest == ep.clob_rest == "http://127.0.0.1:8765"
    ep = Endpoints.from_base_url("https://[::1]:8443")
    assert (ep.market_ws, ep.clob_rest) == ("wss://[::1]:8443/ws/market", "https://[::1]:8443")


def test_base_url_errors_name_where_it_came_from(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PMDASH_BASE_URL", "garbage")
    line = usage_error(capsys, "tail", "market")
    assert "PMDASH_BASE_URL" in line and "--base-url" not in line
    monkeypatch.delenv("PMDASH_BASE_URL")
    path = config_file(tmp_path, 'base_url = "garbage"\n')
    line = usage_error(capsys, "--config", str(path), "tail", "market")
    assert f"base_url in {path}" in line and "--base-url" not in line
    path = config_file(tmp_path, 'base_url = ""\n')  # set but empty: an error, not ignored
    assert f"base_url in {path}" in usage_error(capsys, "tail", "market", "--config", str(path))


@pytest.mark.parametrize("url", ["foo", "http://127.0.0.1:8765/ws/market",
                                 "ws://127.0.0.1:99999/ws/market", "ws://a:b@127.0.0.1/ws"])
def test_unusable_tail_url_names_the_flag(capsys: pytest.CaptureFixture[str], url: str) -> None:
    line = usage_error(capsys, "tail", "market", "--url", url, "--asset", "1")
    assert "--url" in line and ":b@" not in line


def test_ws_url_forms_that_work() -> None:
    assert check_ws_url("wss://ws-subscriptions-clob.polymarket.com/ws/market")
    assert check_ws_url("ws://127.0.0.1:8765/ws/market?x=1")


# --- --demo against PMDASH_BASE_URL / base_url -----------------------------------------------


class FakeApp:
    """Stands in for the Textual app: records what the dashboard would show."""

    seen: list[tuple[str, int]] = []
    return_code = 0

    def __init__(self, endpoints: Endpoints, markets: list[object], **_: object) -> None:
        FakeApp.seen.append((endpoints.market_ws, len(markets)))

    def run(self) -> None:
        pass


def test_demo_wins_over_the_environment_and_the_config_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    import pmdash.app

    monkeypatch.setattr(pmdash.app, "PmdashApp", FakeApp)
    FakeApp.seen.clear()
    monkeypatch.setenv("PMDASH_BASE_URL", "garbage")
    (clean_env / "pmdash").mkdir()
    (clean_env / "pmdash" / "config.toml").write_text('base_url = "http://127.0.0.1:9"\n')
    code, _, err = cli(capsys, "--demo")
    assert code == 0, err
    [(market_ws, n)] = FakeApp.seen
    assert market_ws.startswith("ws://127.0.0.1:") and market_ws != "ws://127.0.0.1:9/ws/market"
    assert n > 0
    # Only the flag itself conflicts with --demo.
    line = usage_error(capsys, "--demo", "--base-url", "http://127.0.0.1:9")
    assert "--demo" in line and "--base-url" in line


# --- settings precedence for search ---------------------------------------------------------


def test_search_takes_base_url_from_env_and_config(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    exchange: RunningExchange,
) -> None:
    question = exchange.exchange.markets()[0].question

    def search(*extra: str) -> list[str]:
        code, out, err = cli(capsys, "search", question, "--json", *extra)
        assert code == 0, err
        return [json.loads(line)["question"] for line in out.splitlines()]

    monkeypatch.setenv("PMDASH_BASE_URL", exchange.base_url)
    assert question in search()
    monkeypatch.setenv("PMDASH_BASE_URL", "garbage")
    assert question in search("--base-url", exchange.base_url)  # the flag wins
    monkeypatch.delenv("PMDASH_BASE_URL")
    path = config_file(tmp_path, f'base_url = "{exchange.base_url}"\n')
    assert question in search("--config", str(path))
    monkeypatch.setenv("PMDASH_CONFIG", str(path))
    assert question in search()


@pytest.mark.parametrize("text", ["", "   "])
def test_search_for_nothing_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], text: str
) -> None:
    assert "TEXT" in usage_error(capsys, "search", text)


# --- config file ----------------------------------------------------------------------------


def test_empty_pmdash_config_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    monkeypatch.setenv("PMDASH_CONFIG", "")
    assert load_settings().config_path is None  # no default file: fine, not "not found"
    (clean_env / "pmdash").mkdir()
    (clean_env / "pmdash" / "config.toml").write_text('markets = ["from-default"]\n')
    assert load_settings().markets == ["from-default"]
    monkeypatch.setenv("PMDASH_CONFIG", str(clean_env / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load_settings()


# --- flags before and after the subcommand ----------------------------------------------------


def test_assets_before_the_subcommand_leave_it_alone() -> None:
    args = parse_args(["--asset", "11", "22", "tail", "market", "--asset", "33", "44"])
    assert (args.command, args.feed) == ("tail", "market")
    assert _settings(args).assets == ["11", "22", "33", "44"]
    args = parse_args(["--as", "11", "search", "x"])  # an abbreviation argparse accepts
    assert (args.command, args.text) == ("search", ["x"])
    args = parse_args(["--asset", "11", "22"])  # no subcommand: the dashboard
    assert args.command is None and _settings(args).assets == ["11", "22"]


def test_selections_before_and_after_the_subcommand_merge() -> None:
    args = parse_args(["--market", "tail", "--market", "a", "tail", "market", "--market", "b",
                       "--market", "a"])
    settings = _settings(args)
    assert args.command == "tail" and settings.markets == ["tail", "a", "b"]
    args = parse_args(["--base-url", "http://a:1", "tail", "market", "--base-url", "http://b:2"])
    assert _settings(args).base_url == "http://b:2"  # the later flag, as argparse does
    args = parse_args(["--base-url", "http://a:1", "tail", "market"])
    assert _settings(args).base_url == "http://a:1"


def test_subcommand_right_after_asset_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = usage_error(capsys, "--asset", "tail", "market")
    assert "--asset" in line
