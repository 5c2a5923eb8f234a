"""Cost of putting one changed ladder line on screen: Textual's styles pipeline against
LineView's own framing (Textual's edges around the line, then the App's line filters).

Both frame the same content Strips (already built and cached by the widget), so the figures
are the framing alone, line filters included (both apply them to every line, as they must to a
line that is new on screen). Same process, same widget, CPU time, best of 5.

A third figure is a line that changed: built (``BookLadder.build_line``) and framed, as every
line of the ladder is when a busy book moves all its cumulative totals.

A third figure is a line that changed: built (``BookLadder.build_line``) and framed, as every
line of the ladder is when a busy book moves all its cumulative totals.

    python benchmarks/render_lines.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from textual.geometry import Region  # noqa: E402
from textual.widget import Widget  # noqa: E402
from widget_apps.ladder_app import LIVE, LadderApp  # noqa: E402

from pmdash.widgets.ladder import BookLadder  # noqa: E402

ROUNDS = 300
REPEATS = 5


async def measure() -> tuple[float, float, float, int]:
    app = LadderApp(LIVE)
    async with app.run_test(size=(90, 40)) as pilot:
        await pilot.pause()
        ladder = app.query_one(BookLadder)
        outer = ladder.outer_size
        content = ladder.size.height
        top = ladder.content_offset.y
        region = Region(0, top, outer.width, content)  # the content rows, inside the border
        ladder.render_lines(region)  # content strips built once

        def textual() -> None:
            ladder._styles_cache.clear()
            Widget.render_lines(ladder, region)

        def ours() -> None:
            ladder._framed = [None] * len(ladder._framed)
            ladder.render_lines(region)

        def built() -> None:
            ladder._strips = [None] * len(ladder._strips)
            ladder._framed = [None] * len(ladder._framed)
            ladder.render_lines(region)

        best = {}
        for name, run in (("textual", textual), ("pmdash", ours), ("built", built)):
            runs = []
            for _ in range(REPEATS):
                start = time.process_time()
                for _ in range(ROUNDS):
                    run()
                runs.append(time.process_time() - start)
            best[name] = min(runs) / (ROUNDS * content) * 1e6
        return best["textual"], best["pmdash"], best["built"], content


def main() -> int:
    textual_us, ours_us, built_us, lines = asyncio.run(measure())
    print(f"framing one ladder line ({lines} content lines a repaint, {ROUNDS} repaints):")
    print(f"  Textual styles pipeline  {textual_us:6.1f} µs/line")
    print(f"  LineView framing         {ours_us:6.1f} µs/line")
    print(f"  ratio                    {textual_us / ours_us:6.1f}x")
    print(f"a changed line, built and framed: {built_us:6.1f} µs/line")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
