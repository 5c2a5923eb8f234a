"""The command line in-process (``pmdash.cli.main``): argument parsing, settings precedence and
the one-line usage errors (exit 2). The subprocess contract tests are in ``test_cli.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmdash.cli import _hider, _settings, main, parse_args
from pmdash.config import ConfigError, load_settings
from pmdash.endpoints import Endpoints, check_ws_url
from pmdash.sim.runner import DEMO_SPORTS, RunningExchange, start_exchange


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


def parse_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The one-line usage error of parsing ``pmdash ARGV`` (parsing only: nothing starts, not
    even when the check under test is missing)."""
    with pytest.raises(SystemExit) as caught:
        parse_args(list(argv))
    out, err = capsys.readouterr()
    assert caught.value.code == 2 and out == "", err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("rate", ["1e307", "1e308", "1000000.5", "2000000"])
def test_a_sim_rate_above_the_bound_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], rate: str
) -> None:
    """``--rate 1e307`` overflowed the sim (a traceback, exit 1)."""
    line = parse_error(capsys, "sim", "--rate", rate)
    assert "--rate" in line and rate in line and "at most 1,000,000" in line


def test_the_sim_rate_bound_is_the_exchanges(capsys: pytest.CaptureFixture[str]) -> None:
    from pmdash.cli import SIM_MAX_RATE_TEXT
    from pmdash.sim.exchange import MAX_RATE

    assert f"{MAX_RATE:,}" == SIM_MAX_RATE_TEXT
    assert parse_args(["sim", "--rate", str(MAX_RATE)]).rate == MAX_RATE
    assert f"at most {SIM_MAX_RATE_TEXT}" in help_text(capsys, "sim")


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "10.1.2.3", "example.com"])
def test_a_sim_host_off_loopback_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], host: str
) -> None:
    """The sim's control API has no authentication: ``--host 0.0.0.0`` (or ``""``) served it
    to the network."""
    line = parse_error(capsys, "sim", "--host", host)
    assert "--host" in line and f"{host!r} is not a loopback address" in line


@pytest.mark.parametrize(
    ("host", "listens_on"),
    [("127.0.0.1", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"), ("localhost", "localhost"),
     ("::1", "::1"), ("[::1]", "::1")],
)
def test_a_sim_host_on_loopback_is_taken(host: str, listens_on: str) -> None:
    assert parse_args(["sim", "--host", host]).host == listens_on


# --- empty selections ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", " "])
@pytest.mark.parametrize(
    ("flag", "where"),
    [("--asset", "before"), ("--asset", "after"), ("--market", "before"), ("--market", "after")],
)
def test_an_empty_selection_flag_is_a_usage_error_for_tail(
    capsys: pytest.CaptureFixture[str],
    exchange: RunningExchange,
    flag: str,
    where: str,
    value: str,
) -> None:
    """``--asset ""`` used to stream a book for asset id ""."""
    run_flags = ["--base-url", exchange.base_url, "--seconds", "1"]
    if where == "before":
        argv = [flag, value, "tail", "market", *run_flags]
    else:
        argv = ["tail", "market", flag, value, *run_flags]
    assert usage_error(capsys, *argv) == f"pmdash: {flag} is empty (give a " + (
        "CLOB token id)" if flag == "--asset" else "Gamma market slug)"
    )


@pytest.mark.parametrize("argv", [("--asset", ""), ("--asset", "1", " "), ("--market", " ")])
def test_an_empty_selection_flag_is_a_usage_error_for_the_dashboard(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    exchange: RunningExchange,
    argv: tuple[str, ...],
) -> None:
    """It listed "1 asset(s) by token id" for the asset id ""."""
    import pmdash.app

    monkeypatch.setattr(pmdash.app, "PmdashApp", FakeApp)
    FakeApp.seen.clear()
    line = usage_error(capsys, *argv, "--base-url", exchange.base_url)
    assert f"{argv[0]} is empty" in line
    assert FakeApp.seen == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [('assets = ["1", ""]\n', "assets has an empty entry (each is a CLOB token id)"),
     ('markets = [" "]\n', "markets has an empty entry (each is a Gamma market slug)")],
)
def test_an_empty_selection_in_the_config_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    exchange: RunningExchange,
    text: str,
    expected: str,
) -> None:
    path = config_file(tmp_path, text)
    line = usage_error(capsys, "--config", str(path), "tail", "market", "--base-url",
                       exchange.base_url, "--seconds", "1")
    assert line == f"pmdash: {path}: {expected}"


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


# --- --demo for every command ---------------------------------------------------------------


@pytest.fixture
def dead_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request to a real host goes to a proxy on a loopback port where nothing listens
    (so it fails at once, on 127.0.0.1); loopback itself is always reached directly."""
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("where", ["before", "after"])
def test_demo_tail_follows_every_market_of_the_demo_exchange(
    capsys: pytest.CaptureFixture[str], where: str
) -> None:
    argv = ["--demo", "tail", "market"] if where == "before" else ["tail", "market", "--demo"]
    code, out, err = cli(capsys, *argv, "--max-events", "3", "--quiet", "--books")
    assert code == 0, err
    objects = [json.loads(line) for line in out.splitlines()]
    summary = objects[-1]
    assert summary["type"] == "summary" and summary["events"] == 3
    books = [o for o in objects if o["type"] == "book_state"]
    # No selection: every market the exchange lists (8 binary markets by default).
    assert len(books) == summary["books"] >= 16
    assert "127.0.0.1" not in err


def test_demo_search_asks_the_demo_exchange(
    capsys: pytest.CaptureFixture[str], dead_proxy: None
) -> None:
    # --demo's exchange (a market on every game too): the same markets
    with start_exchange(paused=True, sports=DEMO_SPORTS) as same_seed:
        questions = {m.question for m in same_seed.exchange.markets()}
    code, out, err = cli(capsys, "--demo", "search", "Will", "--json")
    assert code == 0, err
    found = [json.loads(line)["question"] for line in out.splitlines()]
    assert found and set(found) <= questions
    code, out, err = cli(capsys, "search", "--demo", "Will")
    assert code == 0 and out, err


@pytest.mark.parametrize(
    "argv",
    [
        ("--demo", "--base-url", "http://127.0.0.1:9"),
        ("--demo", "tail", "market", "--base-url", "http://127.0.0.1:9", "--seconds", "1"),
        ("tail", "market", "--demo", "--base-url", "http://127.0.0.1:9", "--seconds", "1"),
        ("--demo", "search", "x", "--base-url", "http://127.0.0.1:9"),
        ("--base-url", "http://127.0.0.1:9", "search", "--demo", "x"),
    ],
)
def test_demo_with_base_url_is_a_usage_error_for_every_command(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    line = usage_error(capsys, *argv)
    assert "--demo" in line and "--base-url" in line


def test_demo_with_tail_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    line = usage_error(capsys, "--demo", "tail", "market", "--url", "ws://127.0.0.1:9/ws/market",
                       "--seconds", "1")
    assert "--demo" in line and "--url" in line


@pytest.mark.parametrize("command", [(), ("tail", "market")])
def test_demo_errors_name_the_demo_exchange_not_its_port(
    capsys: pytest.CaptureFixture[str], dead_proxy: None, command: tuple[str, ...]
) -> None:
    line = usage_error(capsys, "--demo", *command, "--market", "no-such-slug")
    assert "no-such-slug" in line and "on the demo exchange" in line
    assert "127.0.0.1" not in line


# --- messages -------------------------------------------------------------------------------


def test_a_word_that_is_not_a_command_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    line = usage_error(capsys, "--market", "a", "b")
    assert "'b' is not a command" in line and "--market A --market B" in line
    line = usage_error(capsys, "--market=a", "b", "tail", "market")
    assert "'b' is not a command" in line and "--market A --market B" in line
    line = usage_error(capsys, "--demo", "tial")
    assert "'tial' is not a command" in line and "tail" in line


def test_an_option_pmdash_does_not_have_is_named_unknown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = usage_error(capsys, "--replay", "x")
    assert "unknown option '--replay'" in line and "invalid choice" not in line
    line = usage_error(capsys, "--max-events", "3", "tail", "market")
    assert "unknown option '--max-events'" in line and "pmdash tail" in line
    assert parse_args(["--dem"]).demo  # a prefix argparse accepts is not unknown


@pytest.mark.parametrize(
    ("argv", "helps"),
    [
        (("tail", "market", "--bogus"), "pmdash tail --help"),
        (("--asset", "1", "tail", "market", "extra"), "pmdash tail --help"),
        (("search", "x", "--bogus"), "pmdash search --help"),
        (("sim", "--bogus"), "pmdash sim --help"),
    ],
)
def test_a_subcommand_usage_error_points_at_its_own_help(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], helps: str
) -> None:
    line = usage_error(capsys, *argv)
    assert helps in line and argv[-1] in line


def test_a_slug_from_the_config_file_is_said_to_come_from_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, exchange: RunningExchange
) -> None:
    path = config_file(tmp_path, f'markets = ["no-such-slug"]\nbase_url = "{exchange.base_url}"\n')
    line = usage_error(capsys, "--config", str(path), "tail", "market", "--seconds", "5")
    assert f"markets in {path}" in line and "no-such-slug" in line
    line = usage_error(capsys, "--config", str(path), "tail", "market", "--market", "flag-slug")
    assert "flag-slug" in line and "markets in" not in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('tape_len = "500"\n', "tape_len must be a whole number (like 500), got a string"),
        ("refresh_hz = true\n", "refresh_hz must be a number (like 30), got a boolean"),
        ('markets = "a"\n', "markets must be a list of slugs"),
        ('assets = ["1", 2]\n', "assets must be a list of strings, got an integer in it"),
        ("base_url = 8765\n", "base_url must be a string"),
    ],
)
def test_a_config_value_of_the_wrong_type_names_the_type_expected(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, expected: str
) -> None:
    path = config_file(tmp_path, text)
    assert expected in usage_error(capsys, "--config", str(path), "tail", "market")


def test_a_missing_config_file_names_the_setting_that_named_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.toml")
    line = usage_error(capsys, "--config", missing, "tail", "market")
    assert missing in line and "fix --config" in line and "PMDASH_CONFIG" not in line
    monkeypatch.setenv("PMDASH_CONFIG", missing)
    line = usage_error(capsys, "tail", "market")
    assert missing in line and "fix PMDASH_CONFIG" in line and "--config" not in line


@pytest.mark.parametrize("url", ["ws://127.0.0.1:9", "ws://127.0.0.1:9/", "wss://localhost:9"])
def test_a_tail_url_without_a_path_names_the_feed_path(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    line = usage_error(capsys, "tail", "market", "--url", url, "--asset", "1", "--seconds", "1")
    assert "--url" in line and "/ws/market" in line


def test_a_loopback_tail_url_with_a_real_lookup_hints_base_url(
    capsys: pytest.CaptureFixture[str], dead_proxy: None
) -> None:
    url = "ws://127.0.0.1:9/ws/market"
    code, out, err = cli(capsys, "tail", "market", "--url", url, "--market", "some-slug",
                         "--seconds", "5")
    assert code == 1 and out == "", err
    [line] = err.splitlines()
    assert "gamma-api.polymarket.com" in line and "--base-url http://127.0.0.1:9" in line
    line = usage_error(capsys, "tail", "market", "--url", url)  # no selection at all
    assert "--base-url http://127.0.0.1:9" in line
    line = usage_error(capsys, "tail", "market", "--url", "wss://example.com/ws/market")
    assert "--base-url" not in line  # not a loopback URL: no such guess


# --- help texts -------------------------------------------------------------------------------


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = cli(capsys, *argv, "--help")
    assert code == 0, err
    return " ".join(out.split())  # argparse wraps lines anywhere


def test_help_texts_show_defaults_and_name_every_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = help_text(capsys, "sim")
    assert "(default: 127.0.0.1)" in sim and "(default: 1)" in sim and "(default: 20)" in sim
    assert "--demo" not in sim
    search = help_text(capsys, "search")
    assert "TEXT words to look for" in search
    tail = help_text(capsys, "tail")
    assert "feed_status lines are printed but not counted" in tail
    assert "moves only the feed" in tail and "--demo" in tail


# --- search with no match -------------------------------------------------------------------


def test_search_with_no_match_is_not_a_failure(
    capsys: pytest.CaptureFixture[str], exchange: RunningExchange
) -> None:
    code, out, err = cli(capsys, "search", "zzz-nothing-like-it", "--base-url", exchange.base_url)
    assert (code, out) == (0, "")
    [line] = err.splitlines()
    assert "no market matches 'zzz-nothing-like-it'" in line
    code, out, err = cli(capsys, "search", "zzz-nothing-like-it", "--json", "--base-url",
                         exchange.base_url)
    assert (code, out, err) == (0, "", "")


def test_the_demo_name_replaces_only_the_demo_exchanges_urls() -> None:
    """A sentence's last dot and the colon after a URL stay; a longer port is not it."""
    hide = _hider("http://127.0.0.1:4000")
    assert hide("no market on http://127.0.0.1:4000.") == "no market on the demo exchange."
    assert hide("at ws://127.0.0.1:4000/ws/market: refused") == "at the demo exchange: refused"
    assert hide("http://127.0.0.1:40001/x") == "http://127.0.0.1:40001/x"
    assert hide("the exchange at http://127.0.0.1:4000 has none") == "the demo exchange has none"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("--market", "x", "sim"), "--market does not go with sim"),
        (("--asset", "1", "sim", "--seed", "3"), "--asset does not go with sim"),
        (("--base-url", "http://127.0.0.1:1", "sim"), "--base-url does not go with sim"),
        (("--market", "x", "--asset", "1", "search", "foo"),
         "--market and --asset do not go with search"),
    ],
)
def test_selection_flags_a_command_would_ignore_are_refused(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], words: str
) -> None:
    """They used to be dropped without a word: ``pmdash --market x sim`` ran the sim."""
    line = usage_error(capsys, *argv)
    assert words in line
