"""Backoff delays: doubling, cap, jitter bounds, reset by a connection that delivered data."""

from __future__ import annotations

import random

import pytest

from pmdash.net.backoff import Backoff
from pmdash.net.rate import RateMeter


def top(backoff: Backoff, n: int) -> list[float]:
    return [backoff.next_delay() for _ in range(n)]


def test_no_jitter_doubles_up_to_the_cap() -> None:
    b = Backoff(1.0, 60.0, jitter="none")
    assert top(b, 9) == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_full_jitter_upper_edge_doubles_and_caps() -> None:
    b = Backoff(1.0, 60.0, jitter="full", rng=lambda: 0.999999)
    delays = top(b, 8)
    assert delays[:6] == pytest.approx([1, 2, 4, 8, 16, 32], rel=1e-5)
    assert delays[6:] == pytest.approx([60, 60], rel=1e-5)


def test_full_jitter_stays_within_bounds() -> None:
    rng = random.Random(7)
    b = Backoff(0.5, 10.0, jitter="full", rng=rng.random)
    for _ in range(200):
        ceiling = b.ceiling()
        delay = b.next_delay()
        assert 0.0 <= delay <= ceiling <= 10.0
    assert b.ceiling() == 10.0


def test_decorrelated_jitter_bounds() -> None:
    rng = random.Random(3)
    b = Backoff(1.0, 60.0, jitter="decorrelated", rng=rng.random)
    previous = 1.0
    for _ in range(200):
        delay = b.next_delay()
        assert 1.0 <= delay <= min(60.0, max(1.0, previous * 3))
        previous = delay
    top_edge = Backoff(1.0, 60.0, jitter="decorrelated", rng=lambda: 0.999999)
    assert top(top_edge, 6)[-1] == pytest.approx(60.0, rel=1e-4)  # 1,3,9,27,60,60


def test_huge_failure_count_does_not_overflow() -> None:
    b = Backoff(1.0, 60.0, jitter="none")
    b.failures = 10_000
    assert b.next_delay() == 60.0


def test_reset_starts_again_from_the_base() -> None:
    b = Backoff(1.0, 60.0, jitter="none")
    assert top(b, 4) == [1, 2, 4, 8]
    b.reset()  # a connection delivered data
    assert top(b, 3) == [1, 2, 4]  # only attempts that fail before data grow it again


def test_reset_with_full_jitter_draws_within_the_base() -> None:
    b = Backoff(1.0, 60.0, rng=lambda: 0.999)
    for _ in range(10):
        b.next_delay()
    assert b.next_delay() == pytest.approx(59.94)
    b.reset()
    assert b.next_delay() == pytest.approx(0.999)


def test_failed_delay_is_about_the_cap() -> None:
    low = Backoff(1.0, 60.0, rng=lambda: 0.0)
    high = Backoff(1.0, 60.0, rng=lambda: 0.999999)
    assert low.failed_delay() == 30.0
    assert high.failed_delay() == pytest.approx(60.0, rel=1e-5)


def test_bad_settings_rejected() -> None:
    with pytest.raises(ValueError):
        Backoff(0.0, 1.0)
    with pytest.raises(ValueError):
        Backoff(2.0, 1.0)


def test_rate_meter_sliding_window() -> None:
    meter = RateMeter(window=5.0, buckets=10)
    assert meter.rate(0.0) == 0.0
    for i in range(100):  # 10 per second for 10 s
        meter.hit(i * 0.1)
    assert meter.rate(10.0) == pytest.approx(10.0, rel=0.15)
    # After a quiet spell longer than the window, the rate falls to zero.
    assert meter.rate(20.0) == 0.0
    meter.hit(20.0, count=50)
    assert meter.rate(20.5) > 0
