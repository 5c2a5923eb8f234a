"""The package type-checks under ``mypy --strict`` (configured in pyproject.toml).

Hints are how the layers state their contracts (events in, events out); a checker finds where
code and hints part, e.g. a widget property that silently overrode Textual's ``Widget.offset``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(240)  # a cold mypy run: seconds here, maybe more on a slow runner
def test_package_type_checks_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=230,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
