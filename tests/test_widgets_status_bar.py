"""FeedStatusBar: feeds in every state at a fixed clock; the countdown text; what gives way
first on a narrow line."""

from __future__ import annotations

from textual.pilot import Pilot
from widget_apps.status_app import NOW, STATUSES, StatusApp

from pmdash.models import FeedStatus
from pmdash.widgets.status_bar import (
    DROP_AGE,
    DROP_COUNTDOWN,
    DROP_DETAIL,
    DROP_LATENCY,
    DROP_RATE,
    KEEP,
    FeedStatusBar,
    age_text,
    backoff_text,
    feed_fields,
    feed_texts,
    fit_fields,
)

LIVE = FeedStatus(
    feed="market",
    state="live",
    frames_per_s=31.0,
    last_frame_age_s=0.2,
    latency_ms=38.0,
    reconnects=2,
    decode_errors=3,
)


def test_status_bar_all_states(snap_compare) -> None:
    """One line above the Footer: green ● market 42/s age 0.2s 38ms ↻0; yellow ● user
    connecting ↻1; red ● rtds backoff retry in 4s connection refused ↻3; yellow ● sports stale
    0.0/s age 12s 150ms ↻0 and a red "err 2"; red ● us-markets failed HTTP 401: bad signature
    ↻5; and "screen p99 14.2ms" at the right end."""
    assert snap_compare(StatusApp(STATUSES, 14.25), terminal_size=(240, 3))


def test_status_bar_narrow_keeps_feed_health(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """At 100 columns: no "screen p99" (it gives way first); every feed shows its dot, id,
    state word (but live), reconnects and errors only: market ↻0, user connecting ↻1, rtds
    backoff ↻3, sports stale ↻0 err 2, and the line ends in "● us-markets fa…"."""
    assert snap_compare(StatusApp(STATUSES, 14.25), terminal_size=(100, 3))


def test_status_bar_no_feeds(snap_compare) -> None:
    """No statuses and no screen latency yet: just "no feeds"."""
    assert snap_compare(StatusApp([], None), terminal_size=(60, 3))


def test_backoff_countdown_rounds_up_from_now() -> None:
    status = FeedStatus(feed="rtds", state="backoff", backoff_until=NOW + 3.2)
    assert backoff_text(status, NOW) == "retry in 4s"
    assert backoff_text(status, NOW + 3.0) == "retry in 1s"
    assert backoff_text(status, NOW + 5.0) == "retrying"
    assert backoff_text(FeedStatus(feed="rtds", state="backoff"), NOW) == ""


def test_feed_texts_show_errors_only_when_present() -> None:
    live = FeedStatus(feed="market", state="live", frames_per_s=3.25, latency_ms=12.0)
    assert [text for text, _ in feed_texts(live, NOW)] == ["3.2/s", "12ms", "↻0"]
    broken = FeedStatus(feed="market", state="live", frames_per_s=50.0, decode_errors=7)
    assert [text for text, _ in feed_texts(broken, NOW)] == ["50/s", "↻0", "err 7"]


async def _lines(app: StatusApp, pilot: Pilot[None], widths: list[int]) -> dict[int, str]:
    """The bar's line at each terminal width (trailing blanks stripped)."""
    bar = app.query_one(FeedStatusBar)
    lines = {}
    for width in widths:
        await pilot.resize_terminal(width, 3)
        await pilot.pause()
        assert bar.size.width == width
        lines[width] = "".join(bar.render_line(0).text).rstrip()
    return lines


async def test_screen_latency_gives_way_before_any_feed_field() -> None:
    """The tester's 40 columns: before, the feed was cut ("● market 31/s age 0…") to keep
    "screen p99"; now the screen latency goes and the feed is whole."""
    app = StatusApp([LIVE], 67.0)
    async with app.run_test(size=(60, 3)) as pilot:
        lines = await _lines(app, pilot, [60, 56, 55, 40, 37])
    feed = " ● market 31/s age 0.2s 38ms ↻2 err 3"
    assert lines[60] == feed + " " * 5 + "screen p99 67.0ms"
    assert lines[56] == feed + " screen p99 67.0ms"  # just fits, one space between
    for width in (55, 40, 37):
        assert lines[width] == feed, width


async def test_feed_fields_give_way_in_order_keeping_state_reconnects_and_errors() -> None:
    """Latency goes first, then the frame rate, then the age; the state word, reconnects and
    errors stay until the line itself is cut."""
    app = StatusApp([LIVE], None)
    async with app.run_test(size=(40, 3)) as pilot:
        lines = await _lines(app, pilot, [37, 36, 32, 31, 27, 26, 18, 17, 12])
    assert lines[37] == " ● market 31/s age 0.2s 38ms ↻2 err 3"
    assert lines[36] == " ● market 31/s age 0.2s ↻2 err 3"
    assert lines[32] == " ● market 31/s age 0.2s ↻2 err 3"
    assert lines[31] == " ● market age 0.2s ↻2 err 3"
    assert lines[27] == " ● market age 0.2s ↻2 err 3"
    assert lines[26] == " ● market ↻2 err 3"
    assert lines[18] == " ● market ↻2 err 3"
    assert lines[17] == " ● market ↻2 err…"
    assert lines[12] == " ● market ↻…"


async def test_every_feed_keeps_its_health_before_any_gets_the_details() -> None:
    """Five feeds: each step drops a field on every feed; the error detail is shortened before
    it goes, the retry countdown goes last."""
    app = StatusApp(STATUSES, 14.25)
    async with app.run_test(size=(240, 3)) as pilot:
        lines = await _lines(app, pilot, [240, 199, 150, 130, 110])
    assert lines[240].endswith("HTTP 401: bad signature ↻5" + " " * 22 + "screen p99 14.2ms")
    assert lines[199] == (  # one cell short: the latencies go
        " ● market 42/s age 0.2s ↻0 │ ● user connecting ↻1 │ ● rtds backoff retry in 4s"
        " connection refused ↻3 │ ● sports stale 0.0/s age 12s ↻0 err 2 │ ● us-markets"
        " failed HTTP 401: bad signature ↻5"
    )
    assert lines[150] == (
        " ● market ↻0 │ ● user connecting ↻1 │ ● rtds backoff retry in 4s connection refused"
        " ↻3 │ ● sports stale ↻0 err 2 │ ● us-markets failed HTTP 401: b… ↻5"
    )
    assert lines[130] == (
        " ● market ↻0 │ ● user connecting ↻1 │ ● rtds backoff retry in 4s ↻3 │ ● sports stale"
        " ↻0 err 2 │ ● us-markets failed ↻5"
    )
    assert lines[110] == (
        " ● market ↻0 │ ● user connecting ↻1 │ ● rtds backoff ↻3 │ ● sports stale ↻0 err 2 │"
        " ● us-markets failed ↻5"
    )


def test_feed_fields_drop_steps() -> None:
    live = [(field.text, field.drop) for field in feed_fields(LIVE, NOW)]
    assert live == [
        ("31/s", DROP_RATE),
        ("age 0.2s", DROP_AGE),
        ("38ms", DROP_LATENCY),
        ("↻2", KEEP),
        ("err 3", KEEP),
    ]
    backoff = [(field.text, field.drop) for field in feed_fields(STATUSES[2], NOW)]
    assert backoff == [
        ("backoff", KEEP),
        ("retry in 4s", DROP_COUNTDOWN),
        ("connection refused", DROP_DETAIL),
        ("↻3", KEEP),
    ]


def test_fit_fields_shortens_details_last_feed_first_and_not_below_eight_cells() -> None:
    feeds = [(status.feed, feed_fields(status, NOW)) for status in STATUSES[2:3] + STATUSES[4:]]
    full = " ● rtds backoff retry in 4s connection refused ↻3 │ ● us-markets failed HTTP 401: bad"
    full += " signature ↻5"
    assert [(feed, [f.text for f in fields]) for feed, fields in fit_fields(feeds, len(full))] == [
        ("rtds", ["backoff", "retry in 4s", "connection refused", "↻3"]),
        ("us-markets", ["failed", "HTTP 401: bad signature", "↻5"]),
    ]
    shorter = fit_fields(feeds, len(full) - 20)
    assert [[f.text for f in fields] for _, fields in shorter] == [
        ["backoff", "retry in 4s", "connection r…", "↻3"],
        ["failed", "HTTP 40…", "↻5"],
    ]
    dropped = fit_fields(feeds, len(full) - 40)
    assert [[f.text for f in fields] for _, fields in dropped] == [
        ["backoff", "retry in 4s", "↻3"],
        ["failed", "↻5"],
    ]


def test_age_text_is_short_and_rounded_down() -> None:
    ages = [0.0, 0.26, 9.99, 10.0, 52.9, 59.99, 60.0, 192.5, 3599.9, 3600.0, 7_530.0, 273_659.0]
    assert [age_text(age) for age in ages] == [
        "0.0s", "0.2s", "9.9s", "10s", "52s", "59s", "1m00s", "3m12s", "59m59s", "1h00m",
        "2h05m", "3d04h",
    ]  # fmt: skip
    assert age_text(-0.5) == "0.0s" and age_text(float("inf")) == "?"


OUTAGE = FeedStatus(
    feed="market",
    state="backoff",
    detail="connect failed: Connection refused by 127.0.0.1 port 8080",
    frames=1234,
    frames_per_s=0.0,
    last_frame_age_s=52.3,
    reconnects=1,
    backoff_until=NOW + 43.5,
)


def test_the_age_of_the_data_is_shown_in_every_state_that_has_one() -> None:
    """Found in review: while backing off (or failed, connecting) the bar said nothing of how
    old the prices on screen were. The age keeps its drop step; rate and latency stay live and
    stale only (the rate of a socket that is gone says nothing)."""
    fields = [(field.text, field.drop) for field in feed_fields(OUTAGE, NOW)]
    assert fields == [
        ("backoff", KEEP),
        ("age 52s", DROP_AGE),
        ("retry in 44s", DROP_COUNTDOWN),
        ("connect failed: Connection refused by 127.0.0.1 port 8080", DROP_DETAIL),
        ("↻1", KEEP),
    ]
    for state in ("connecting", "failed", "stopped"):
        status = FeedStatus(feed="market", state=state, last_frame_age_s=192.0, latency_ms=5.0)
        assert [text for text, _ in feed_texts(status, NOW)] == [state, "age 3m12s", "↻0"]
    never = FeedStatus(feed="market", state="backoff", backoff_until=NOW + 2)
    assert [text for text, _ in feed_texts(never, NOW)] == ["backoff", "retry in 2s", "↻0"]


def test_a_detail_takes_the_room_the_line_has_up_to_a_bound() -> None:
    """Found in review: details were cut to 24 cells with 45 columns empty after them."""
    long = FeedStatus(feed="market", state="failed", detail="connection closed: no close frame")
    assert [text for text, _ in feed_texts(long, NOW)][1] == "connection closed: no close frame"
    huge = FeedStatus(feed="market", state="failed", detail="HTTP 502: " + "x" * 500)
    detail = [text for text, _ in feed_texts(huge, NOW)][1]
    assert len(detail) == 80 and detail.startswith("HTTP 502: xx") and detail.endswith("…")


async def test_an_outage_gives_way_in_the_documented_order() -> None:
    """The age keeps its step: after the screen latency (and the rate and latency, which an
    outage does not show) the age goes, then the detail is shortened and goes, then the
    countdown; the state and reconnects stay."""
    app = StatusApp([OUTAGE], 14.25)
    async with app.run_test(size=(130, 3)) as pilot:
        lines = await _lines(app, pilot, [130, 99, 98, 62, 42, 41, 33, 32])
    feed = " ● market backoff retry in 44s"
    detail = " connect failed: Connection refused by 127.0.0.1 port 8080 ↻1"
    aged = " ● market backoff age 52s retry in 44s" + detail
    assert lines[130] == aged + " " * 13 + "screen p99 14.2ms"
    assert lines[99] == aged  # the screen latency went first
    assert lines[98] == feed + detail  # then the age
    assert lines[62] == feed + " connect failed: Connection… ↻1"
    assert lines[42] == feed + " connect… ↻1"  # shortened to eight cells, no further
    assert lines[41] == feed + " ↻1"  # then the detail went
    assert lines[33] == feed + " ↻1"
    assert lines[32] == " ● market backoff ↻1"  # and last the countdown
