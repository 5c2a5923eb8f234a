"""L2 signing: the SDKs' test vectors (PROTOCOLS §2.4), headers, and verification."""

from __future__ import annotations

import pytest

from pmdash.credentials import ClobCredentials as Credentials
from pmdash.net.clob_auth import SecretError, l2_headers, sign, verify

ZEROS = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


@pytest.mark.parametrize("timestamp, method, path, body, expected", [
    ("1000000", "test-sign", "/orders", '{"hash": "0x123"}',
     "ZwAdJKvoYRlEKDkNMwd5BuwNNtg93kNaR_oU2HrfVvc="),
    ("1000000", "test-sign", "/orders", '{"hash":"0x123"}',
     "4gJVbox-R6XlDK4nlaicig0_ANVL1qdcahiL8CXfXLM="),
    ("1", "GET", "/", "", "eHaylCwqRSOa2LFD77Nt_SaTpbsxzN8eTEI3LryhEj4="),
])
def test_sdk_vectors(timestamp: str, method: str, path: str, body: str, expected: str) -> None:
    assert sign(ZEROS, timestamp, method, path, body) == expected
    assert verify(ZEROS, expected, timestamp, method, path, body)
    tampered = expected[:5] + ("A" if expected[5] != "A" else "B") + expected[6:]
    assert not verify(ZEROS, tampered, timestamp, method, path, body)


def test_headers_sign_the_path_without_query() -> None:
    creds = Credentials("key", ZEROS, "phrase")
    h = l2_headers(creds, "0xabc", "get", "/data/orders?next_cursor=MA==", clock=lambda: 1.9)
    assert h["POLY_TIMESTAMP"] == "1"
    assert h["POLY_SIGNATURE"] == sign(ZEROS, "1", "GET", "/data/orders")
    assert (h["POLY_ADDRESS"], h["POLY_API_KEY"], h["POLY_PASSPHRASE"]) == (
        "0xabc", "key", "phrase")


def test_a_bad_secret_is_named_not_quoted() -> None:
    with pytest.raises(SecretError) as info:
        sign("not base64 ✓ s3cr3t", "1", "GET", "/")
    assert "s3cr3t" not in str(info.value)
    assert not verify("not base64 ✓", "x", "1", "GET", "/")
