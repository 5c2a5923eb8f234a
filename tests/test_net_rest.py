"""HTTP GET and the REST helpers against a real http.server on 127.0.0.1 serving fixtures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from pmdash import cli
from pmdash.models import FeedError, MarketInfo
from pmdash.net.http import HttpError, build_url, get_bytes, get_json
from pmdash.net.rest import list_markets, market_by_slug, search

REST_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real" / "rest"


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return None  # a client that hung up early (timeout, size-limit tests) is expected


class Route:
    def __init__(self, status: int, body: bytes, delay: float = 0.0) -> None:
        self.status = status
        self.body = body
        self.delay = delay


class FixtureServer:
    """Serves canned bodies by path; records every request line."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                server.requests.append(
                    (parts.path, parse_qs(parts.query), self.headers.get("User-Agent", ""))
                )
                route = server.routes.get(parts.path)
                if route is None:
                    route = Route(404, b'{"error":"not found"}')
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def serve(self, path: str, body: bytes | str, status: int = 200, delay: float = 0.0) -> None:
        self.routes[path] = Route(status, body.encode() if isinstance(body, str) else body, delay)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    srv = FixtureServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        srv.thread.join(5)


def fixture(name: str) -> bytes:
    path = REST_FIXTURES / name
    if not path.exists():
        pytest.skip(f"real fixtures absent: {path}")
    return path.read_bytes()


# --- http.py -------------------------------------------------------------------------------


def test_build_url() -> None:
    assert build_url("http://h:1/", "/markets", {"active": True, "limit": 5}) == (
        "http://h:1/markets?active=true&limit=5"
    )
    assert build_url("http://h:1", "public-search", {"q": "fed rate & cut"}) == (
        "http://h:1/public-search?q=fed+rate+%26+cut"
    )


async def test_get_json_ok(server: FixtureServer) -> None:
    server.serve("/thing", '{"a": [1, "2"]}')
    assert await get_json(server.base + "/thing") == {"a": [1, "2"]}
    assert server.requests[0][2].startswith("pmdash/")


async def test_http_error_carries_status_url_and_server_message(server: FixtureServer) -> None:
    server.serve("/book", '{"error":"No orderbook exists for the requested token id"}', 404)
    url = server.base + "/book?token_id=1"
    with pytest.raises(HttpError) as info:
        await get_json(url)
    err = info.value
    assert err.status == 404
    assert err.url == url
    assert err.message == "No orderbook exists for the requested token id"
    assert "HTTP 404" in str(err)


async def test_server_error_plain_text(server: FixtureServer) -> None:
    server.serve("/x", "upstream exploded", 502)
    with pytest.raises(HttpError) as info:
        await get_bytes(server.base + "/x")
    assert info.value.status == 502
    assert "upstream exploded" in info.value.message


async def test_server_words_lose_their_control_characters(server: FixtureServer) -> None:
    """An error body is printed by the command line as it is: its escapes must not reach the
    terminal."""
    server.serve("/x", '{"error":"denied\\u001b]52;c;Y2xpcA==\\u0007\\u001b[2J"}', 403)
    with pytest.raises(HttpError) as info:
        await get_bytes(server.base + "/x")
    assert info.value.message == "denied\ufffd]52;c;Y2xpcA==\ufffd\ufffd[2J"
    assert "\x1b" not in str(info.value) and "\x07" not in str(info.value)


def gamma_market(**over: str) -> dict[str, object]:
    """A Gamma market object as ``/public-search`` nests it in its events."""
    return {
        "id": "1",
        "question": "Q?",
        "slug": "q",
        "conditionId": "0x" + "ab" * 32,
        "outcomes": '["Yes", "No"]',
        "clobTokenIds": '["1234", "5678"]',
        "enableOrderBook": True,
        "active": True,
        "closed": False,
        "orderPriceMinTickSize": 0.01,
        **over,
    }


def test_search_prints_questions_without_control_characters(
    server: FixtureServer, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = {
        "question": "Evil?\x1b]0;PWNED\x07",
        "slug": "evil\x1b[2J",
        "outcomes": json.dumps(["Yes\x1b[31m", "No"]),
    }
    found = {"events": [{"id": "1", "markets": [gamma_market(**evil)]}]}
    server.serve("/public-search", json.dumps(found))
    assert cli.main(["search", "evil", "--base-url", server.base]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "Evil?\ufffd]0;PWNED\ufffd  [evil\ufffd[2J]" in out
    assert "Yes\ufffd[31m" in out


async def test_non_json_body(server: FixtureServer) -> None:
    server.serve("/x", "<html>hello</html>")
    with pytest.raises(HttpError) as info:
        await get_json(server.base + "/x")
    assert info.value.status == 200
    assert "not JSON" in info.value.message and "<html>" in info.value.message


async def test_timeout(server: FixtureServer) -> None:
    server.serve("/slow", "{}", delay=1.0)
    started = time.perf_counter()
    with pytest.raises(HttpError) as info:
        await get_json(server.base + "/slow", timeout=0.2)
    assert info.value.status is None
    assert "0.2 s" in info.value.message
    assert time.perf_counter() - started < 0.9  # bounded by our timeout, not the server's delay


async def test_refused_connection() -> None:
    srv = FixtureServer()  # bound but never served, then closed: nothing listens
    base = srv.base
    srv.httpd.server_close()
    with pytest.raises(HttpError) as info:
        await get_json(base + "/x", timeout=2.0)
    assert info.value.status is None
    assert "cannot connect" in info.value.message


async def test_invalid_url() -> None:
    with pytest.raises(HttpError) as info:
        await get_json("nonsense://x/y")
    assert info.value.status is None


async def test_body_size_limit(server: FixtureServer) -> None:
    server.serve("/big", b"[" + b"1," * 1000 + b"1]")
    with pytest.raises(HttpError) as info:
        await get_json(server.base + "/big", max_bytes=100)
    assert "larger than 100 bytes" in info.value.message


# --- rest.py -------------------------------------------------------------------------------




async def test_market_by_slug_from_fixture(server: FixtureServer) -> None:
    server.serve("/markets/slug/btc-updown-5m-1773307200", fixture("crates_gamma_market.json"))
    info = await market_by_slug(server.base, "btc-updown-5m-1773307200")
    assert isinstance(info, MarketInfo)
    assert info.slug == "btc-updown-5m-1773307200"
    assert info.outcomes == ("Up", "Down")
    assert len(info.token_ids) == 2


async def test_market_by_slug_quotes_the_slug(server: FixtureServer) -> None:
    with pytest.raises(HttpError) as info:
        await market_by_slug(server.base, "a/b c")
    assert info.value.status == 404
    assert server.requests[-1][0] == "/markets/slug/a%2Fb%20c"


async def test_market_by_slug_undecodable_body_raises(server: FixtureServer) -> None:
    server.serve("/markets/slug/x", '{"id": "1", "question": "no tokens"}')
    with pytest.raises(HttpError) as info:
        await market_by_slug(server.base, "x")
    assert info.value.status == 200
    assert info.value.message


async def test_list_markets_keeps_good_markets_and_reports_bad_ones(
    server: FixtureServer,
) -> None:
    names = [
        "crates_gamma_market.json",
        "crates_gamma_market_sports_market_money_line.json",
        "py_market_slug.json",
    ]
    bad = b'{"id": "7", "conditionId": "0x1", "clobTokenIds": "[not json"}'
    body = b"[" + b",".join([*(fixture(n) for n in names), bad]) + b"]"
    server.serve("/markets", body)
    errors: list[FeedError] = []
    markets = await list_markets(server.base, limit=7, errors=errors)
    assert [m.slug for m in markets] == [
        "btc-updown-5m-1773307200",
        "cs2-faze-ill-2026-04-05",
        "kamala-harris-divorce-in-2025",
    ]
    assert len(errors) == 1
    path, query, _ = server.requests[-1]
    assert path == "/markets"
    assert query == {"active": ["true"], "closed": ["false"], "limit": ["7"]}


async def test_list_markets_body_with_no_market_raises(server: FixtureServer) -> None:
    server.serve("/markets", "<html>maintenance</html>")
    with pytest.raises(HttpError) as info:
        await list_markets(server.base)
    assert info.value.status == 200
    assert "JSON" in info.value.message


async def test_search_from_fixture(server: FixtureServer) -> None:
    server.serve("/public-search", fixture("crates_search_response.json"))
    markets = await search(server.base, "bitcoin above", limit_per_type=5)
    assert markets and all(isinstance(m, MarketInfo) for m in markets)
    assert markets[0].slug == "bitcoin-above-64k-on-march-11"
    path, query, _ = server.requests[-1]
    assert path == "/public-search"
    assert query == {"q": ["bitcoin above"], "limit_per_type": ["5"]}


async def test_search_with_no_results_is_empty(server: FixtureServer) -> None:
    server.serve("/public-search", '{"events": [], "tags": [], "profiles": []}')
    assert await search(server.base, "nothing") == []
