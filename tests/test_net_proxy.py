"""Proxies: which one the environment picks, and WebSocket and REST traffic through a real
HTTP proxy on 127.0.0.1 (``proxyserver.py``)."""

from __future__ import annotations

import asyncio
import base64
import socket
from typing import Any

import pytest

from pmdash import cli
from pmdash.net.connection import Connection
from pmdash.net.http import HttpError, get_bytes
from pmdash.net.policy import FeedPolicy
from pmdash.net.proxy import Proxy, ProxyConfigError, ProxyError, parse_proxy, proxy_for
from pmdash.net.wsclient import connect
from tests.proxyserver import ProxyServer
from tests.test_net_rest import FixtureServer, server  # noqa: F401  (a fixture)
from tests.test_net_wsclient import echo, until, ws_server

FEED = "wss://ws-subscriptions-clob.polymarket.com/ws/market"
GAMMA = "https://gamma-api.polymarket.com/markets"


def test_each_scheme_takes_its_variable_then_all_proxy() -> None:
    env = {"https_proxy": "http://secure:3128", "http_proxy": "plain:8080", "ALL_PROXY": "any"}
    assert proxy_for(FEED, env) == Proxy("secure", 3128, "https_proxy")
    assert proxy_for(GAMMA, env) == Proxy("secure", 3128, "https_proxy")
    assert proxy_for("ws://feed.example/ws", env) == Proxy("plain", 8080, "http_proxy")
    assert proxy_for("http://api.example/x", env) == Proxy("plain", 8080, "http_proxy")
    only_all = {"ALL_PROXY": "any"}
    assert proxy_for(FEED, only_all) == Proxy("any", 80, "ALL_PROXY")  # http's default port
    assert proxy_for(FEED, {}) is None
    assert proxy_for(FEED, {"HTTPS_PROXY": "  "}) is None  # blank is unset


def test_lower_case_wins_over_upper_case() -> None:
    env = {"HTTPS_PROXY": "upper:1", "https_proxy": "lower:2"}
    assert proxy_for(FEED, env) == Proxy("lower", 2, "https_proxy")


@pytest.mark.parametrize(
    ("no_proxy", "url", "direct"),
    [
        ("*", FEED, True),
        ("polymarket.com", FEED, True),  # a name covers its subdomains
        (".polymarket.com", FEED, True),
        ("ws-subscriptions-clob.polymarket.com", FEED, True),
        ("clob.polymarket.com", FEED, False),  # another subdomain
        ("ymarket.com", FEED, False),  # a suffix is not a subdomain
        ("other.com, polymarket.com", FEED, True),
        ("polymarket.com:443", FEED, True),
        ("polymarket.com:8443", FEED, False),
        ("10.0.0.0/8", "wss://10.1.2.3/ws", True),
        ("10.0.0.0/8", "wss://11.1.2.3/ws", False),
        ("10.1.2.3", "wss://10.1.2.3:9000/ws", True),
        ("[2001:db8::1]:443", "wss://[2001:db8::1]/ws", True),
        ("2001:db8::/32", "wss://[2001:db8::1]/ws", True),
        ("", FEED, False),
    ],
)
def test_no_proxy(no_proxy: str, url: str, direct: bool) -> None:
    env = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": no_proxy}
    assert (proxy_for(url, env) is None) is direct


@pytest.mark.parametrize(
    "url",
    [
        "ws://127.0.0.1:8765/ws/market",
        "http://127.0.0.1:8765",
        "ws://127.4.5.6/ws",
        "wss://localhost/ws",
        "ws://[::1]:9000/ws",
        "http://app.localhost/",
    ],
)
def test_loopback_is_always_direct(url: str) -> None:
    assert proxy_for(url, {"ALL_PROXY": "http://proxy:3128"}) is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("socks5://user:hunter2@proxy:1080", "HTTPS_PROXY: socks5:// proxies are not supported"),
        ("https://user:hunter2@proxy:443", "HTTPS_PROXY: https:// proxies are not supported"),
        ("http://user:hunter2@proxy:99999", "HTTPS_PROXY is not a proxy URL like http://HOST:PORT"),
        ("http://user:hunter2@:3128", "HTTPS_PROXY names no proxy host"),
    ],
)
def test_an_unusable_proxy_names_its_variable_and_never_its_value(value: str, words: str) -> None:
    with pytest.raises(ProxyConfigError) as caught:
        proxy_for(FEED, {"HTTPS_PROXY": value})
    assert str(caught.value).startswith(words)
    assert "hunter2" not in str(caught.value) and "user" not in str(caught.value)


def test_credentials_go_only_into_the_header() -> None:
    proxy = parse_proxy("http://me%40corp:p%3Ass w@proxy.corp:3128", "HTTPS_PROXY")
    assert (proxy.username, proxy.password) == ("me@corp", "p:ss w")
    assert proxy.authorization == "Basic " + base64.b64encode(b"me@corp:p:ss w").decode()
    assert "p:ss" not in repr(proxy) and "corp:p" not in repr(proxy)
    assert proxy.where == "proxy.corp:3128"
    assert parse_proxy(proxy.url(), "X") == Proxy("proxy.corp", 3128, "X", "me@corp", "p:ss w")
    assert Proxy("::1", 8080).where == "[::1]:8080"


# --- WebSocket through the proxy --------------------------------------------------------------


async def test_a_websocket_through_a_connect_tunnel_with_credentials() -> None:
    async with ws_server(echo) as url, ProxyServer(credentials=("me", "s3cret pw")) as proxy:
        port = url.split(":")[2].split("/")[0]
        ws = await connect(url, proxy=proxy.proxy(username="me", password="s3cret pw"))
        got: list[str | bytes] = []
        ws.start(got.append)
        ws.send("through the tunnel")
        ws.send(b"\x00" * 70_000)
        await until(lambda: len(got) == 2)
        await asyncio.wait_for(ws.close(), 2.0)
    assert got == ["through the tunnel", b"\x00" * 70_000]
    assert [s.request_line for s in proxy.seen] == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"]
    assert proxy.seen[0].authorization == "Basic " + base64.b64encode(b"me:s3cret pw").decode()


@pytest.mark.parametrize(
    ("server_side", "client_side", "words"),
    [
        (
            {"credentials": ("me", "right")},
            {},
            "wants authentication (HTTP 407): put credentials in TEST_PROXY",
        ),
        (
            {"credentials": ("me", "right")},
            {"username": "me", "password": "wrong-pw"},
            "wants authentication (HTTP 407): check the credentials in TEST_PROXY",
        ),
        ({"refuse": 403}, {}, "refused a tunnel to 127.0.0.1:"),
    ],
)
async def test_a_proxy_that_says_no(
    server_side: dict[str, Any], client_side: dict[str, str], words: str
) -> None:
    async with ws_server(echo) as url, ProxyServer(**server_side) as proxy:
        with pytest.raises(ProxyError) as caught:
            await connect(url, proxy=proxy.proxy(**client_side))
        # The connection loop: a permanent failure (no retry here), named, no password.
        policy = FeedPolicy(
            feed="t",
            url=url,
            decode=lambda f: [],
            heartbeat=None,
            retry_after_failure=False,
            proxy=proxy.proxy(**client_side),
        )
        conn = Connection(policy, lambda events, arrival: None)
        await asyncio.wait_for(conn.run(), 5.0)
    message = str(caught.value)
    assert words in message and f"127.0.0.1:{proxy.port}" in message
    assert "wrong-pw" not in message
    assert caught.value.status in (403, 407)
    status = conn.status()
    assert (status.state, status.detail) == ("failed", message)
    assert len(proxy.seen) == 2  # one CONNECT each, and no retry


async def test_an_unreachable_proxy_is_named() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    async with ws_server(echo) as url:
        with pytest.raises(ProxyError) as caught:
            await connect(url, proxy=Proxy("127.0.0.1", port, "HTTPS_PROXY", "me", "hunter2"))
    assert str(caught.value).startswith(f"cannot reach proxy 127.0.0.1:{port} (HTTPS_PROXY): ")
    assert "hunter2" not in str(caught.value)


async def test_loopback_never_goes_through_the_environments_proxy(
    monkeypatch: pytest.MonkeyPatch,
    server: FixtureServer,  # noqa: F811
) -> None:
    """A user behind a corporate proxy still gets ``--demo`` and ``pmdash sim``: before, the REST
    calls to the loopback exchange went to the proxy and failed."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.serve("/markets", b"[]")
    assert await get_bytes(server.base + "/markets") == b"[]"
    async with ws_server(echo) as url:
        ws = await connect(url)
        got: list[str | bytes] = []
        ws.start(got.append)
        ws.send("direct")
        await until(lambda: got == ["direct"])
        await asyncio.wait_for(ws.close(), 2.0)


# --- REST through the proxy -------------------------------------------------------------------


async def test_rest_through_the_proxy_with_credentials(
    server: FixtureServer,  # noqa: F811
) -> None:
    server.serve("/book", b'{"ok": true}')
    async with ProxyServer(credentials=("me", "pw")) as proxy:
        body = await get_bytes(
            server.base + "/book?token_id=1", proxy=proxy.proxy(username="me", password="pw")
        )
    assert body == b'{"ok": true}'
    assert [s.request_line for s in proxy.seen] == [f"GET {server.base}/book?token_id=1 HTTP/1.1"]
    assert proxy.seen[0].authorization == "Basic " + base64.b64encode(b"me:pw").decode()
    assert server.requests[0][0] == "/book"


async def test_rest_through_an_unreachable_proxy_names_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proxy = Proxy("127.0.0.1", port, "HTTPS_PROXY", "me", "hunter2")
    with pytest.raises(HttpError) as caught:
        await get_bytes("http://127.0.0.1:1/markets", proxy=proxy, timeout=5)
    assert f"through proxy 127.0.0.1:{port} from HTTPS_PROXY" in str(caught.value)
    assert "hunter2" not in str(caught.value)


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["tail", "market", "--asset", "1", "--url", "wss://feed.invalid/ws", "--seconds", "1"],
        ["search", "fed"],
    ],
)
def test_an_unusable_proxy_is_a_usage_error_before_any_connection(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://me:hunter2@127.0.0.1:1080")
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("pmdash: HTTPS_PROXY: socks5:// proxies are not supported")
    assert "hunter2" not in err
