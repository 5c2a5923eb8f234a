"""PriceBoard: latest exact values, bounded merged history, change, basis, gaps and notices."""

from __future__ import annotations

from decimal import Decimal

from pmdash.models import FeedAck, FeedStatus, PriceGap, PriceKind, PriceTick
from pmdash.state.prices import RTDS_SILENT, PriceBoard

T0 = 1_788_886_000_000


class Clock:
    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def tick(ts: int, value: str, *, symbol: str = "btcusd", kind: PriceKind = "spot",
         source: str = "pyth", seq: int | None = None, snapshot: bool = False,
         feed: str = "polybolt") -> PriceTick:
    channel = {"spot": "price.crypto", "twap": "price.crypto.twap"}[kind]
    if feed == "rtds":
        channel = {"binance": "crypto_prices", "chainlink": "crypto_prices_chainlink"}[source]
    return PriceTick(feed=feed, source=source, symbol=symbol, kind=kind, channel=channel,
                     value=Decimal(value), timestamp=ts, seq=seq, snapshot=snapshot,
                     window_s=60 if kind == "twap" else None)


def snapshot(start: int, values: list[str], *, seq: int = 1, **kw: object) -> list[PriceTick]:
    return [tick(start + i * 1000, v, seq=seq, snapshot=True, **kw)  # type: ignore[arg-type]
            for i, v in enumerate(values)]


def status(state: str, feed: str = "polybolt") -> FeedStatus:
    return FeedStatus(feed=feed, state=state)  # type: ignore[arg-type]


def test_a_snapshot_merges_with_what_is_held_without_duplicates() -> None:
    board = PriceBoard(clock=Clock())
    board.apply_all(snapshot(T0, ["1", "2", "3", "4", "5"]))
    board.apply(tick(T0 + 5000, "6", seq=2))
    # a resubscription's snapshot overlaps what is held, and reaches one point further
    board.apply_all(snapshot(T0 + 2000, ["3", "4", "5", "6", "7"], seq=3))
    (series,) = board.series("btcusd")
    stamps = [ts for ts, _ in series.points]
    assert stamps == sorted(set(stamps)) == [T0 + i * 1000 for i in range(7)]
    assert series.latest == (T0 + 6000, Decimal("7"))
    assert series.open == Decimal("1") and series.change == Decimal("6")


def test_history_stays_bounded_by_count_and_by_time() -> None:
    board = PriceBoard(clock=Clock(), max_points=50, window_ms=60_000)
    for i in range(500):
        board.apply(tick(T0 + i * 100, str(i), seq=i + 1))
    (series,) = board.series("btcusd")
    assert len(series.points) == 50
    assert series.latest == (T0 + 49_900, Decimal("499"))
    board2 = PriceBoard(clock=Clock(), max_points=10_000, window_ms=60_000)
    for i in range(300):
        board2.apply(tick(T0 + i * 1000, str(i), seq=i + 1))
    (series2,) = board2.series("btcusd")
    assert series2.points[0][0] >= series2.points[-1][0] - 60_000
    assert len(series2.points) <= 61


def test_exact_values_basis_and_which_series_is_shown_first() -> None:
    board = PriceBoard(clock=Clock())
    board.apply(tick(T0, "78803.715261094101516288", kind="twap", source="chainlink", seq=1))
    board.apply(tick(T0, "78795.01552451", seq=1))
    assert board.primary("btcusd").source == "pyth"  # type: ignore[union-attr]
    assert board.secondary("btcusd").kind == "twap"  # type: ignore[union-attr]
    assert board.basis("btcusd") == Decimal("78795.01552451") - Decimal(
        "78803.715261094101516288")
    assert board.basis("btcusd") == Decimal("-8.699736584101516288")
    rtds = PriceBoard(clock=Clock())
    rtds.apply(tick(T0, "100.5", feed="rtds", source="chainlink"))
    rtds.apply(tick(T0, "101", feed="rtds", source="binance"))
    assert rtds.primary("btcusd").source == "binance"  # type: ignore[union-attr]
    assert rtds.secondary("btcusd").source == "chainlink"  # type: ignore[union-attr]
    assert rtds.basis("btcusd") == Decimal("0.5")


def test_dropped_frames_and_seq_jumps_are_gaps() -> None:
    board = PriceBoard(clock=Clock())
    board.apply_all(snapshot(T0, ["1", "2"], seq=1))
    board.apply(tick(T0 + 2000, "3", seq=2))
    dirty = board.apply(PriceGap(feed="polybolt", channel="price.crypto", dropped=3,
                                 timestamp=T0 + 6000, symbol="btcusd"))
    assert dirty == {"polybolt:btcusd"}
    board.apply(tick(T0 + 6000, "4", seq=3))
    board.apply(tick(T0 + 9000, "5", seq=6))  # two frames never came
    (series,) = board.series("btcusd")
    assert [(g.reason, g.dropped, g.at) for g in series.gaps] == [
        ("dropped", 3, T0 + 6000), ("seq", 2, T0 + 9000)]


def test_a_reconnect_is_a_gap_unless_the_new_snapshot_reaches_back() -> None:
    board = PriceBoard(clock=Clock())
    board.apply(status("live"))
    board.apply_all(snapshot(T0, ["1", "2", "3"], seq=1))
    board.apply(status("backoff"))
    board.apply(status("live"))
    board.apply_all(snapshot(T0 + 1000, ["2", "3", "4"], seq=1))  # seq restarts: no seq gap
    (series,) = board.series("btcusd")
    assert list(series.gaps) == []
    board.apply(status("backoff"))
    board.apply(status("live"))
    board.apply_all(snapshot(T0 + 200_000, ["9", "9"], seq=1))  # down longer than 2 minutes
    assert [(g.reason, g.at) for g in series.gaps] == [("disconnected", T0 + 200_000)]


def test_a_quiet_chainlink_series_is_waiting_for_its_round_not_an_outage() -> None:
    board = PriceBoard(clock=Clock())
    board.apply(tick(T0, "1", kind="twap", source="chainlink", seq=1))
    board.apply(tick(T0, "1", seq=1))
    twap = board.secondary("btcusd")
    spot = board.primary("btcusd")
    assert twap is not None and spot is not None
    assert board.series_note(twap, T0 + 5_000) == ""
    assert board.series_note(twap, T0 + 45_000) == "waiting for next round"
    assert board.series_note(spot, T0 + 45_000) == "stale"
    assert board.series_note(twap, T0 + 3_600_000) == "stale"


def test_an_rtds_that_answers_but_sends_no_prices_is_reported() -> None:
    clock = Clock()
    board = PriceBoard(clock=clock)
    board.apply(status("live", "rtds"))
    clock.now += 29_000
    assert board.notices() == []
    clock.now += 1_000
    assert board.notices() == [RTDS_SILENT]
    board.apply(tick(clock.now, "1", feed="rtds", source="binance"))
    assert board.notices() == []
    clock.now += 31_000
    assert board.notices() == [RTDS_SILENT]
    board.apply(status("backoff", "rtds"))
    assert board.notices() == []  # not connected: the status bar says so, not this


def test_refused_credentials_say_which_settings_to_check_until_authed() -> None:
    board = PriceBoard(clock=Clock())
    assert board.apply(FeedAck(feed="polybolt", op="error", code="auth_invalid", rid="auth")) == {
        "polybolt:"}
    (notice,) = board.notices()
    assert "auth_invalid" in notice and "CLOB_SECRET" in notice
    board.apply(FeedAck(feed="polybolt", op="error", code="bad_filter"))
    assert len(board.notices()) == 1
    board.apply(FeedAck(feed="polybolt", op="authed"))
    assert board.notices() == []


def test_other_feeds_are_ignored_and_dirty_keys_carry_the_feed() -> None:
    board = PriceBoard(feeds=("polybolt",), clock=Clock())
    assert board.apply(tick(T0, "1", feed="rtds", source="binance")) == set()
    assert board.apply(tick(T0, "1", symbol="ethusd", seq=1)) == {"polybolt:ethusd"}
    assert board.symbols() == ["ethusd"]
