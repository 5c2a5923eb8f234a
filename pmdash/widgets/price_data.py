"""Frozen view data for the price board and the price chart, built from a ``PriceBoard`` by
pure functions (no Textual here: the widgets only render what these return)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pmdash.feeds.price_values import coin_of
from pmdash.state.prices import PriceBoard, Series
from pmdash.strike import Strike, distance

CHART_MINUTES = 5
CHART_POINTS = 300
"""At most this many points per charted series (older ones thinned evenly)."""


def fmt_price(value: Decimal) -> str:
    """A price for the screen: thousands separated, 2 places from 1,000 up, 4 from 1, 5 below
    (the exact value stays in the state)."""
    size = abs(value)
    places = 2 if size >= 1000 else 4 if size >= 1 else 5
    return f"{value:,.{places}f}"


def fmt_signed(value: Decimal, places: int = 2) -> str:
    text = f"{abs(value):,.{places}f}"
    return ("+" if value > 0 else "-" if value < 0 else "±") + text


def fmt_age(ms: int | None) -> str:
    if ms is None:
        return "-"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _sign(value: Decimal | None) -> int:
    return 0 if value is None or value == 0 else (1 if value > 0 else -1)


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One symbol on the board. Every price names its source."""

    key: str
    """The symbol as the state names it (``btcusd``)."""
    symbol: str
    """As shown (``BTC``)."""
    spot: str
    spot_source: str
    second: str
    second_source: str
    """The second series' source and kind, e.g. ``chainlink twap``."""
    basis: str
    change: str
    change_sign: int
    age: str
    note: str
    """``waiting for next round``, ``stale``, ``gap`` (recent loss), or ``""``."""
    strike: str
    """Distance to the selected market's strike (``-1,749.49 (-1.75%)``), or ``""``."""
    strike_sign: int
    selected: bool


@dataclass(frozen=True, slots=True)
class PriceBoardData:
    title: str
    rows: tuple[PriceRow, ...]
    notices: tuple[str, ...] = ()


def _source_label(series: Series | None) -> str:
    if series is None:
        return ""
    source = series.source or "source ?"
    return f"{source} twap" if series.kind == "twap" else source


def _value(series: Series | None) -> Decimal | None:
    return None if series is None or series.latest is None else series.latest[1]


def strike_text(strike: Strike | None, price: Decimal | None) -> tuple[str, int]:
    """``-1,749.49 (-1.75%)`` and its sign, or ``("", 0)``."""
    if strike is None or price is None:
        return "", 0
    found = distance(strike, price)
    if found is None:
        return ("opening price not known yet", 0) if strike.kind == "updown" else ("", 0)
    dollars, pct = found
    return f"{fmt_signed(dollars)} ({fmt_signed(pct)}%)", _sign(dollars)


def board_data(
    board: PriceBoard,
    now_ms: int,
    *,
    selected: str | None = None,
    strike: Strike | None = None,
    title: str = "prices",
    gap_recent_ms: int = 60_000,
) -> PriceBoardData:
    """The board's rows, one per symbol in the order first seen. ``strike`` applies to its own
    symbol's row."""
    rows = []
    for key in board.symbols():
        first, second = board.primary(key), board.secondary(key)
        if first is None:
            first, second = second, None
        if first is None:
            continue
        spot = _value(first)
        basis = board.basis(key)
        change = first.change
        pct = None if change is None or first.open in (None, 0) else change / first.open * 100
        note = board.series_note(first, now_ms)
        if not note and second is not None:
            note = board.series_note(second, now_ms)
        if not note and any(g.at >= now_ms - gap_recent_ms for s in (first, second)
                            if s is not None for g in s.gaps):
            note = "gap"
        distance_text, distance_sign = strike_text(
            strike if strike is not None and strike.symbol == key else None, spot)
        rows.append(PriceRow(
            key=key,
            symbol=coin_of(key),
            spot=fmt_price(spot) if spot is not None else "-",
            spot_source=_source_label(first),
            second=fmt_price(v) if (v := _value(second)) is not None else "-",
            second_source=_source_label(second),
            basis=fmt_signed(basis) if basis is not None else "-",
            change=f"{fmt_signed(pct)}%" if pct is not None else "-",
            change_sign=_sign(change),
            age=fmt_age(first.age_ms(now_ms)),
            note=note,
            strike=distance_text,
            strike_sign=distance_sign,
            selected=key == selected,
        ))
    return PriceBoardData(title=title, rows=tuple(rows), notices=tuple(board.notices(now_ms)))


@dataclass(frozen=True, slots=True)
class ChartSeries:
    label: str
    xs: tuple[float, ...]
    """Seconds before now (negative)."""
    ys: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PriceChartData:
    symbol: str
    series: tuple[ChartSeries, ...]
    minutes: int
    strikes: tuple[float, ...] = ()
    strike_text: str = ""


def _thin(points: list[tuple[int, Decimal]], limit: int) -> list[tuple[int, Decimal]]:
    if len(points) <= limit:
        return points
    step = len(points) / limit
    return [points[int(i * step)] for i in range(limit - 1)] + [points[-1]]


def chart_data(
    board: PriceBoard,
    symbol: str,
    now_ms: int,
    *,
    minutes: int = CHART_MINUTES,
    strike: Strike | None = None,
    max_points: int = CHART_POINTS,
) -> PriceChartData:
    """The last ``minutes`` of ``symbol``'s two series (the board's primary and secondary),
    floats for plotting only, and the strike lines of a market on that symbol."""
    start = now_ms - minutes * 60_000
    series = []
    for s in (board.primary(symbol), board.secondary(symbol)):
        if s is None:
            continue
        points = _thin(s.since(start), max_points)
        series.append(ChartSeries(
            label=_source_label(s),
            xs=tuple(min(ts - now_ms, 0) / 1000 for ts, _ in points),  # ahead of our clock: now
            ys=tuple(float(v) for _, v in points),
        ))
    own = strike if strike is not None and strike.symbol == symbol else None
    first = board.primary(symbol)
    text, _ = strike_text(own, _value(first))
    if own is not None and own.levels():
        levels = ", ".join(fmt_price(v) for v in own.levels())
        text = f"strike {levels}: {text}" if text else f"strike {levels}"
    return PriceChartData(
        symbol=coin_of(symbol),
        series=tuple(series),
        minutes=minutes,
        strikes=tuple(float(v) for v in own.levels()) if own is not None else (),
        strike_text=text,
    )


def next_symbol(symbols: list[str], current: str | None, step: int = 1) -> str | None:
    """The symbol to chart after ``current`` (the key that cycles it): the next one in the
    board's order, wrapping; the first when ``current`` is gone or unset."""
    if not symbols:
        return None
    if current not in symbols:
        return symbols[0]
    return symbols[(symbols.index(current) + step) % len(symbols)]
