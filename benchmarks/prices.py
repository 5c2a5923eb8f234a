"""Cost of the reference-price path: decoding PolyBolt and RTDS frames, reducing them into the
PriceBoard, building the board's and the chart's view data, and one chart picture.

CPU time (``time.process_time``), best of 5, same process. A real PolyBolt connection carries
about 2 frames a second per symbol (spot and TWAP): these figures say how far that is from
mattering.

    python benchmarks/prices.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from rich.text import Text  # noqa: E402
from textual_plotext.plot import Plot  # noqa: E402
from widget_apps.base import NOW_MS  # noqa: E402
from widget_apps.price_app import chart_view, polybolt_board  # noqa: E402

from pmdash.feeds import polybolt, rtds  # noqa: E402
from pmdash.state.prices import PriceBoard  # noqa: E402
from pmdash.widgets.figure_plot import Canvas, picture  # noqa: E402
from pmdash.widgets.price_chart import PriceChart  # noqa: E402
from pmdash.widgets.price_data import board_data, chart_data  # noqa: E402

N = 20_000


def best(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def frames() -> tuple[list[str], list[str]]:
    bolt = [json.dumps({"v": 1, "channel": "price.crypto.twap", "seq": i, "ts": NOW_MS + i,
                        "payload": {"symbol": "btcusd", "value": 78803.7152610941,
                                    "full_accuracy_value": f"78803.{i:06d}5261094101516288",
                                    "timestamp": NOW_MS + i, "window_seconds": 60,
                                    "source": "chainlink"}}) for i in range(N)]
    legacy = [json.dumps({"topic": "crypto_prices", "type": "update", "timestamp": NOW_MS + i,
                          "payload": {"symbol": "btcusdt", "timestamp": NOW_MS + i,
                                      "value": 61035.86, "full_accuracy_value": "61035.86000000"}})
              for i in range(N)]
    return bolt, legacy


def chart_pictures_ms(width: int, height: int) -> tuple[float, float]:
    """One chart picture of 2 x 300 points: as textual-plotext draws it (every point, the
    figure written as escape codes and decoded by ``Text.from_ansi``), and as pmdash does
    (``FigurePlot``'s ``picture``: the points one can see, the matrix read directly)."""
    data = chart_view(polybolt_board())
    canvas = Canvas(width=width, height=height, theme="textual-default",
                    palette=((0, 130, 200), (255, 166, 43), (255, 0, 102), (186, 60, 91)))

    def textual_plotext() -> None:
        plot = Plot()
        plot.plotsize(width, height)
        plot._set_size(width, height)
        plot.theme(canvas.theme)
        for i, series in enumerate(data.series):
            plot.plot(list(series.xs), list(series.ys), marker="braille",
                      color=canvas.palette[i])
        plot.hline(data.strikes[0], canvas.palette[-1])
        Text.from_ansi(plot.build())

    return (best(textual_plotext) * 1000,
            best(lambda: picture(PriceChart.draw, data, canvas)) * 1000)


def main() -> None:
    bolt, legacy = frames()
    t = best(lambda: [polybolt.decode(f) for f in bolt])
    print(f"polybolt decode      {t / N * 1e6:7.2f} us/frame")
    t = best(lambda: [rtds.decode(f) for f in legacy])
    print(f"rtds decode          {t / N * 1e6:7.2f} us/frame")
    events = [e for f in bolt for e in polybolt.decode(f)]

    def reduce() -> None:
        board = PriceBoard(clock=lambda: NOW_MS)
        board.apply_all(events)

    t = best(reduce)
    print(f"board apply          {t / N * 1e6:7.2f} us/event (history bounded at 1,200)")
    board = polybolt_board()
    t = best(lambda: [board_data(board, NOW_MS) for _ in range(100)])
    print(f"board view data      {t / 100 * 1e3:7.3f} ms (3 symbols)")
    t = best(lambda: [chart_data(board, "btcusd", NOW_MS) for _ in range(100)])
    print(f"chart view data      {t / 100 * 1e3:7.3f} ms (2 x 300 points)")
    for width, height in ((44, 25), (100, 24)):
        base, ours = chart_pictures_ms(width, height)
        print(f"chart picture        {ours:7.2f} ms ({width}x{height}, off the event loop; "
              f"textual-plotext as is: {base:.2f} ms, ratio {ours / base:.2f})")


if __name__ == "__main__":
    main()
