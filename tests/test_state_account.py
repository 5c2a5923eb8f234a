"""The account slice: one Portfolio in the Store that every account feed feeds (a second
feed's ``AccountState`` is skipped, its events land in the same portfolio), dirty keys
``account:*``, marks to a mid; and the user feed's credentials (optional signer, ``--demo``'s
given key winning over the environment)."""

from __future__ import annotations

import pytest

from pmdash.config import ConfigError, Settings
from pmdash.credentials import ClobCredentials
from pmdash.models import Balance, Fill, OrderEvent
from pmdash.registry import FEEDS, missing_credentials, read_credentials
from pmdash.sim.account import demo_addresses
from pmdash.specs.credentials import demo_credentials
from pmdash.state.account import CASH, FILLS, ORDERS, POSITIONS, AccountState
from pmdash.state.store import Store


def _order(feed: str, venue: str, oid: str) -> OrderEvent:
    return OrderEvent(feed=feed, venue=venue, order_id=oid, market="m", asset_id="a",  # type: ignore[arg-type]
                      side="BUY", price=400_000, original_size=10_000_000, status="LIVE",
                      kind="PLACEMENT", timestamp=1)


def test_one_account_slice_takes_every_feeds_account_events() -> None:
    first, second = AccountState(), AccountState()
    store = Store([first, second])  # each account feed's spec makes one
    assert store.slice(AccountState) is first
    store.apply([_order("user", "clob", "0x1"), _order("us-private", "us", "us-1")])
    assert {key for key in first.portfolio.orders} == {("clob", "0x1"), ("us", "us-1")}
    assert store.take_dirty().slices == {ORDERS}


def test_fills_and_cash_mark_their_keys_and_a_mid_marks_positions() -> None:
    state = AccountState()
    store = Store([state])
    store.apply([Balance(feed="user", venue="clob", cash=100_000_000, timestamp=1)])
    store.apply([Fill(feed="user", venue="clob", trade_id="t", order_id="0x1", market="m",
                      asset_id="a", side="BUY", price=400_000, size=10_000_000,
                      status="CONFIRMED", timestamp=2)])
    assert store.take_dirty().slices == {CASH, FILLS, POSITIONS}
    assert state.take_notices()
    assert state.mark_to({"a": 450_000}.get)
    assert store.take_dirty().slices == {POSITIONS}
    assert not state.mark_to({"a": 450_000}.get)  # the same mark: nothing changed
    assert state.portfolio.positions[("clob", "a")].unrealized(450_000) == 500_000


def test_user_credentials_signer_optional_and_named_when_missing() -> None:
    spec = FEEDS["user"]
    env = {"CLOB_API_KEY": "k", "CLOB_SECRET": "s", "CLOB_PASS_PHRASE": "p",
           "POLYMARKET_PROFILE_ADDRESS": "0xprofile"}
    assert read_credentials(spec, Settings(), env) == {
        "api_key": "k", "secret": "s", "passphrase": "p", "profile_address": "0xprofile"}
    with pytest.raises(ConfigError) as info:
        read_credentials(spec, Settings(), {"CLOB_API_KEY": "k"})
    text = str(info.value)
    assert "CLOB_SECRET (or clob_secret in the config file)" in text
    assert "POLYMARKET_PROFILE_ADDRESS" in text and "SIGNER" not in text
    assert [c.env for c in missing_credentials(spec, Settings(), env)] == []


def test_demo_key_wins_over_the_environment() -> None:
    demo = ClobCredentials("demo-key", "ZGVtbw==", "demo-pass")
    settings = Settings()
    settings.given = demo_credentials(demo)
    env = {"CLOB_API_KEY": "real", "CLOB_SECRET": "real", "CLOB_PASS_PHRASE": "real",
           "POLYMARKET_PROFILE_ADDRESS": "0xreal"}
    got = read_credentials(FEEDS["user"], settings, env)
    signer, profile = demo_addresses("demo-key")
    assert got == {"api_key": "demo-key", "secret": "ZGVtbw==", "passphrase": "demo-pass",
                   "profile_address": profile, "signer_address": signer}
    assert "demo-pass" not in repr(settings)
