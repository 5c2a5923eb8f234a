"""Bounded waits for tests: poll a condition until it holds, and fail naming what was awaited
and for how long when it does not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot


async def until(condition: Callable[[], object], seconds: float = 10.0, what: str = "") -> None:
    """Wait (at most ``seconds``) for ``condition()`` on the running loop."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what or 'condition'} not met within {seconds:g} s"
        await asyncio.sleep(0.02)


async def until_shown(pilot: Pilot[Any], condition: Callable[[], object], seconds: float = 10.0,
                      what: str = "") -> None:
    """Wait (at most ``seconds``) for ``condition()`` in a running Textual app, letting it
    lay out and paint between the checks."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what or 'condition'} not met within {seconds:g} s"
        await pilot.pause(0.02)
