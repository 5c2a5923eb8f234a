"""The waits for first books (``FirstBookWaits``): pure, on given times."""

from __future__ import annotations

from pmdash.state.first_books import FirstBookWaits


def test_a_wait_runs_while_the_socket_is_open_and_a_new_socket_starts_it_again() -> None:
    waits = FirstBookWaits(10.0)
    assert not waits.missing("a", 100.0)  # the socket is not open: nobody is waiting
    waits.feed_open(0.0)
    waits.feed_open(5.0)  # said again while open: the wait still counts from 0
    assert not waits.missing("a", 9.9) and waits.missing("a", 10.0)
    waits.feed_closed()
    assert not waits.missing("a", 20.0)
    waits.feed_open(20.0)
    assert not waits.missing("a", 29.0) and waits.missing("a", 30.0)


def test_an_asset_subscribed_later_waits_from_its_subscription() -> None:
    waits = FirstBookWaits(10.0)
    waits.feed_open(0.0)
    waits.subscribed(["late"], 6.0)
    assert waits.missing("early", 10.0) and not waits.missing("late", 15.0)
    assert waits.missing("late", 16.0)
    waits.unsubscribed(["late"])
    assert waits.missing("late", 10.0)  # forgotten: as if asked when the socket opened


def test_every_end_of_a_wait_is_reported_once_even_when_a_later_one_starts_first() -> None:
    """Found in review: keeping only the earliest end lost a wait started while another ran
    (a socket reopened inside the first wait), and its book said "waiting" for good."""
    waits = FirstBookWaits(10.0)
    waits.feed_open(0.0)
    waits.feed_closed()
    waits.feed_open(4.0)  # ends at 14, after the first wait's end at 10
    assert not waits.ran_out(9.0)
    assert waits.ran_out(10.0) and not waits.ran_out(12.0)
    assert not waits.missing("a", 12.0)
    assert waits.ran_out(14.0) and waits.missing("a", 14.0)
    assert not waits.ran_out(100.0)
