"""The harness base: the real stylesheet, a fixed theme, no clock."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

import pmdash

STYLES = Path(pmdash.__file__).parent / "styles.tcss"
NOW_MS = 1_767_364_200_000
"""2026-01-02T14:30:00Z in Unix milliseconds: the fixed clock of every harness."""


class HarnessApp(App[None]):
    """Loads pmdash/styles.tcss and pins the theme so snapshots are stable; focuses nothing."""

    CSS_PATH = str(STYLES)
    AUTO_FOCUS = None
    """Nothing takes the focus by itself (the ladder and the tape can take it, and a focused
    panel is drawn with another border): a harness focuses what its test needs."""

    def __init__(self) -> None:
        super().__init__()
        self.theme = "textual-dark"
