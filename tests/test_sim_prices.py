"""The embedded exchange's PolyBolt (/live/ws) and RTDS (/rtds), spoken to frame by frame with a
plain websockets client over loopback; the credential registry and ``--clob-key`` parsing."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import struct
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pmdash.credentials import ClobCredentials, parse_clob_key
from pmdash.sim.credentials import CredentialRegistry, new_credentials
from pmdash.sim.prices import PriceEngine
from pmdash.sim.runner import ServingExchange, serve_exchange

CREDS = new_credentials()


@contextlib.asynccontextmanager
async def exchange() -> AsyncIterator[ServingExchange]:
    async with serve_exchange(rate=5, markets=2, lifecycle_s=0, clob_keys=[CREDS],
                              price_interval=0.05) as serving:
        yield serving


async def recv_json(ws: ClientConnection, timeout: float = 3.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_op(ws: ClientConnection, timeout: float = 3.0) -> dict[str, Any]:
    """The next op frame, skipping data frames."""
    async def find() -> dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            if "op" in frame:
                return frame  # type: ignore[no-any-return]

    return await asyncio.wait_for(find(), timeout)


def auth(creds: ClobCredentials = CREDS, rid: str = "a1") -> str:
    return json.dumps({"op": "auth", "rid": rid, "auth": {
        "apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase}})


async def test_auth_subscribe_ack_snapshot_then_updates_with_dense_seq() -> None:
    async with exchange() as ex, connect(ex.urls()["polybolt"]) as ws:
        await ws.send(auth())
        assert await recv_json(ws) == {"op": "authed", "rid": "a1"}
        await ws.send(json.dumps({"op": "subscribe", "rid": "s1", "subscriptions": [
            {"channel": "price.crypto", "filter": {"symbol": "BTCUSD"}},
            {"channel": "price.crypto", "filter": {"symbol": "ethusd"}}]}))
        assert await recv_json(ws) == {"op": "subscribed", "channel": "price.crypto", "rid": "s1"}
        snap = await recv_json(ws)
        assert snap["snapshot"] is True and snap["seq"] == 1 and snap["v"] == 1
        assert snap["payload"]["symbol"] == "btcusd" and snap["payload"]["source"] == "pyth"
        assert len(snap["payload"]["data"]) == 120
        assert await recv_json(ws) == {"op": "subscribed", "channel": "price.crypto", "rid": "s1"}
        assert (await recv_json(ws))["seq"] == 2
        seqs = [(await recv_json(ws))["seq"] for _ in range(6)]
        assert seqs == list(range(3, 9))
        # the same pair again: an ack, no snapshot
        await ws.send(json.dumps({"op": "subscribe", "rid": "s2", "channel": "price.crypto",
                                  "filter": {"symbol": "btcusd"}}))
        assert await recv_op(ws) == {"op": "subscribed", "channel": "price.crypto", "rid": "s2"}
        frame = await recv_json(ws)
        assert "snapshot" not in frame
        full = frame["payload"]["full_accuracy_value"]
        assert Decimal(full) == Decimal(str(frame["payload"]["value"])) or "." in full


async def test_error_codes() -> None:
    async with exchange() as ex, connect(ex.urls()["polybolt"]) as ws:
        await ws.send(json.dumps({"op": "subscribe", "rid": "s0", "channel": "price.crypto",
                                  "filter": {"symbol": "btcusd"}}))
        assert (await recv_op(ws))["code"] == "auth_required"
        await ws.send(auth(ClobCredentials(CREDS.api_key, "nope", CREDS.passphrase)))
        assert await recv_op(ws) == {"op": "error", "code": "auth_invalid", "rid": "a1"}
        await ws.send(json.dumps({"op": "auth", "rid": "b", "auth": {}, "ticket": "t"}))
        assert (await recv_op(ws))["code"] == "bad_op"
        await ws.send("not json")
        assert (await recv_op(ws))["code"] == "bad_op"
        await ws.send(json.dumps({"op": "dance"}))
        assert (await recv_op(ws))["code"] == "bad_op"
        await ws.send(auth())
        assert (await recv_op(ws))["op"] == "authed"
        for item, code in (({"channel": "price.nope", "filter": {"symbol": "x"}}, "bad_channel"),
                           ({"channel": "price.crypto", "filter": "btcusd"}, "bad_filter"),
                           ({"channel": "price.crypto.twap", "filter": {"symbol": "btcusd"}},
                            "bad_filter")):
            await ws.send(json.dumps({"op": "subscribe", **item}))
            assert (await recv_op(ws))["code"] == code
        await ws.send(json.dumps({"op": "ping", "rid": "p"}))
        assert await recv_op(ws) == {"op": "pong", "rid": "p"}
        # a quiet TWAP window and an unknown symbol: an ack and an empty snapshot
        await ws.send(json.dumps({"op": "subscribe", "subscriptions": [
            {"channel": "price.crypto.twap", "filter": {"symbol": "btcusd", "window_seconds": 30}},
            {"channel": "price.crypto", "filter": {"symbol": "nothingusd"}}]}))
        for _ in range(2):
            assert (await recv_op(ws))["op"] == "subscribed"
            assert (await recv_json(ws))["payload"]["data"] == []
        await ws.send(json.dumps({"op": "unsubscribe", "rid": "u", "channel": "price.crypto",
                                  "filter": {"symbol": "nothingusd"}}))
        assert await recv_op(ws) == {"op": "unsubscribed", "channel": "price.crypto", "rid": "u"}


async def test_limits_close_with_4008() -> None:
    async with exchange() as ex:
        async with connect(ex.urls()["polybolt"]) as ws:
            for i in range(8):
                await ws.send(auth(ClobCredentials("k", "s", "p"), rid=str(i)))
                assert (await recv_op(ws))["code"] == "auth_invalid"
            await ws.send(auth())
            assert (await recv_op(ws))["code"] == "auth_attempts"
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 3)
            assert ws.close_code == 4008
        async with connect(ex.urls()["polybolt"]) as ws:
            await ws.send(auth())
            await recv_op(ws)
            subs = [{"channel": "price.equity", "filter": {"symbol": f"s{i}"}} for i in range(65)]
            await ws.send(json.dumps({"op": "subscribe", "subscriptions": subs}))
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 3)
            assert ws.close_code == 4008
        async with connect(ex.urls()["polybolt"]) as ws:
            for _ in range(21):
                await ws.send(json.dumps({"op": "unsubscribe", "channel": "price.crypto",
                                          "filter": {"symbol": "x"}}))
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 3)
            assert ws.close_code == 4008


async def _raw_ws(host: str, port: int, path: str) -> tuple[asyncio.StreamReader,
                                                          asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
    assert head.startswith(b"HTTP/1.1 101")
    return reader, writer


async def test_protocol_pings_and_two_missed_pongs_close_with_4002() -> None:
    """A client that never answers pings (raw TCP): pings come every interval, and after two
    unanswered the server closes with 4002."""
    async with exchange() as ex:
        ex.prices.polybolt.ping_interval = 0.1
        reader, writer = await _raw_ws(ex.host, ex.port, "/live/ws")
        opcodes, close_code = [], None
        try:
            async def read_frames() -> None:
                nonlocal close_code
                while True:
                    first, second = await reader.readexactly(2)
                    length = second & 0x7F
                    if length == 126:
                        length = struct.unpack("!H", await reader.readexactly(2))[0]
                    payload = await reader.readexactly(length)
                    opcodes.append(first & 0x0F)
                    if first & 0x0F == 0x8:
                        close_code = struct.unpack("!H", payload[:2])[0]
                        return

            await asyncio.wait_for(read_frames(), 5)
        finally:
            writer.close()
        assert opcodes.count(0x9) >= 2
        assert close_code == 4002


async def test_rtds_pong_topics_and_filtered_backfill() -> None:
    async with exchange() as ex, connect(ex.urls()["rtds"]) as ws:
        await ws.send("PING")
        assert await asyncio.wait_for(ws.recv(), 3) == "PONG"
        await ws.send("hello")
        assert await recv_json(ws) == {"message": "invalid request"}
        await ws.send(json.dumps({"action": "subscribe", "subscriptions": [
            {"topic": "crypto_prices_chainlink", "type": "*",
             "filters": "{\"symbol\":\"btc/usd\"}"}]}))
        backfill = await recv_json(ws)
        assert backfill["type"] == "subscribe" and backfill["payload"]["symbol"] == "btc/usd"
        assert len(backfill["payload"]["data"]) == 120
        seen = set()
        for _ in range(40):
            frame = await recv_json(ws)
            seen.add((frame["topic"], frame["type"]))
        assert ("crypto_prices_chainlink", "update") in seen
        assert all(topic == "crypto_prices_chainlink" for topic, _ in seen)


def test_engine_twap_is_smoother_than_spot_and_chainlink_pauses() -> None:
    engine = PriceEngine(seed=3, clock=lambda: 0)
    rounds: dict[str, int] = {}

    def count(points: list[tuple[tuple[str, str, str], tuple[int, Decimal]]]) -> None:
        for (source, kind, symbol), _ in points:
            if (source, kind) == ("chainlink", "twap"):
                rounds[symbol] = rounds.get(symbol, 0) + 1

    engine.add_sink(count)
    for i in range(2_000):
        engine.tick(i * 1000)
    spot = [v for _, v in engine.history("pyth", "spot", "btcusd")]
    twap = [v for _, v in engine.history("chainlink", "twap", "btcusd")]

    def roughness(values: list[Decimal]) -> Decimal:
        return sum((abs(b - a) for a, b in itertools.pairwise(values)), Decimal(0))

    assert roughness(twap) * 3 < roughness(spot)
    assert len(engine.history("chainlink", "twap", "ethusd")) == 120  # bounded
    for symbol in engine.crypto_symbols():  # Chainlink paused now and then, not for good
        assert 1_000 < rounds[symbol] < 2_000, (symbol, rounds[symbol])


def test_registry_checks_without_showing_secrets() -> None:
    creds = new_credentials()
    registry = CredentialRegistry([creds])
    assert registry.check(creds.api_key, creds.secret, creds.passphrase)
    assert not registry.check(creds.api_key, creds.secret + "x", creds.passphrase)
    assert not registry.check(creds.api_key, creds.secret, None)
    assert not registry.check("other", creds.secret, creds.passphrase)
    assert creds.secret not in repr(registry) and creds.secret not in repr(creds)
    assert creds.passphrase not in repr(creds)
    assert registry.secret_of(creds.api_key) == creds.secret


@pytest.mark.parametrize(
    "value",
    ["zq7k1:s3cr3tX", "a:b:c:d", "::", "zq7k1::pa55wX", " zq7k1:s3cr3tX:pa55wX",
     "zq7k1:s3cr3tX\x01:pa55wX", "zq7k1:" + "s" * 300 + ":pa55wX", ""],
)
def test_a_malformed_clob_key_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_clob_key(value)
    message = str(caught.value)
    assert message.startswith("--clob-key")
    for part in value.split(":"):
        if len(part) >= 3:
            assert part not in message


def test_a_clob_key_parses() -> None:
    creds = parse_clob_key("11111111-2222-3333-4444-555555555555:c2VjcmV0LXNlY3JldA==:abcd")
    assert creds == ClobCredentials("11111111-2222-3333-4444-555555555555",
                                    "c2VjcmV0LXNlY3JldA==", "abcd")
