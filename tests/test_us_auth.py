"""Polymarket US signing (PROTOCOLS §5.1): a fixed vector, the SDK's own signer, key loading."""

from __future__ import annotations

import base64

import pytest
from nacl.signing import SigningKey, VerifyKey
from polymarket_us import auth as sdk_auth

from pmdash.net.us_auth import (
    KEY_ID_VAR,
    SECRET_VAR,
    UsKey,
    UsKeyError,
    decode_seed,
    header_factory,
    load_us_key,
)

SEED = bytes(range(32))
SECRET = base64.b64encode(SEED).decode()
KEY_ID = "3f2a6c1e-0b7d-4e59-9a51-1c0d2b3e4f50"
TS = 1_790_000_000_123
# Ed25519 is deterministic: this is the signature of "1790000000123GET/v1/ws/markets" under
# the seed 00 01 .. 1f (computed once with pynacl; checked below against the SDK's signer).
VECTOR = (
    "Uyq9F2G2cued4ya/48gXBwdMtMNUzPx2288LsyhRRjixhM1GGlUVuAoxI9sI3dRzJxiglEuK4rbXGrZYPhPEBg=="
)


def test_known_key_and_timestamp_give_the_expected_signature() -> None:
    key = UsKey(KEY_ID, SECRET)
    headers = key.headers("GET", "/v1/ws/markets", now_ms=TS)
    assert headers == {
        "X-PM-Access-Key": KEY_ID,
        "X-PM-Timestamp": str(TS),
        "X-PM-Signature": VECTOR,
    }
    public = VerifyKey(base64.b64decode(key.public_key_b64))
    public.verify(f"{TS}GET/v1/ws/markets".encode(), base64.b64decode(VECTOR))


def test_signature_equals_the_official_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk_auth.time, "time", lambda: TS / 1000)
    theirs = sdk_auth.create_auth_headers(KEY_ID, SECRET, "GET", "/v1/ws/private")
    ours = UsKey(KEY_ID, SECRET).headers("GET", "/v1/ws/private", now_ms=int(theirs[
        "X-PM-Timestamp"]))
    assert ours == theirs


def test_a_64_byte_secret_signs_with_its_first_32_bytes() -> None:
    full = SEED + bytes(SigningKey(SEED).verify_key)
    long_key = UsKey(KEY_ID, base64.b64encode(full).decode())
    assert long_key.sign(TS, "GET", "/v1/ws/markets") == VECTOR


def test_header_factory_signs_afresh_each_call() -> None:
    now = [1_790_000_000.0]
    make = header_factory(UsKey(KEY_ID, SECRET), "/v1/ws/markets", clock=lambda: now[0])
    first = make()
    now[0] += 5
    second = make()
    assert int(second["X-PM-Timestamp"]) - int(first["X-PM-Timestamp"]) == 5000
    assert first["X-PM-Signature"] != second["X-PM-Signature"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, KEY_ID_VAR),
        ({KEY_ID_VAR: KEY_ID}, SECRET_VAR),
        ({KEY_ID_VAR: KEY_ID, SECRET_VAR: "not*base64!!"}, SECRET_VAR),
        ({KEY_ID_VAR: KEY_ID, SECRET_VAR: base64.b64encode(b"x" * 31).decode()}, SECRET_VAR),
        ({KEY_ID_VAR: "two words", SECRET_VAR: SECRET}, KEY_ID_VAR),
    ],
)
def test_loader_names_the_variable_and_never_the_value(env: dict[str, str], named: str) -> None:
    with pytest.raises(UsKeyError) as caught:
        load_us_key(env)
    message = str(caught.value)
    assert named in message
    for value in env.values():
        if value != KEY_ID:
            assert value not in message


def test_loader_reads_the_environment_names() -> None:
    key = load_us_key({KEY_ID_VAR: KEY_ID, SECRET_VAR: SECRET})
    assert key.key_id == KEY_ID
    assert key.sign(TS, "GET", "/v1/ws/markets") == VECTOR


def test_the_key_never_shows_its_secret() -> None:
    key = UsKey(KEY_ID, SECRET)
    for text in (repr(key), str(key), f"{key}"):
        assert SECRET not in text
        assert SEED.hex() not in text
    assert decode_seed(SECRET) == SEED
