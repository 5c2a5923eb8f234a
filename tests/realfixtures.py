"""Where the real captured messages live (``../shared/fixtures/real/``) and how to load them.

The repository is checked out beside ``shared/``; when that folder is absent, tests that need it
skip with a reason naming the path (see SOURCES.md there for where the files come from).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
MISSING = "(fixture folder missing)"


def real_dir(folder: str) -> Path:
    """``REAL_DIR / folder``, or skip the calling test when it is not there."""
    path = REAL_DIR / folder
    if not path.is_dir():
        pytest.skip(f"real fixtures not found at {path} (the repo is not beside shared/)")
    return path


def real_files(folder: str) -> list[str]:
    """The JSON file names in one fixture folder, sorted, for ``pytest.mark.parametrize`` so a
    new file is covered without editing a test. When the folder is absent: one placeholder name,
    whose test then skips with the reason (``real_dir``)."""
    path = REAL_DIR / folder
    if not path.is_dir():
        return [MISSING]
    return sorted(p.name for p in path.glob("*.json"))


def real_bytes(folder: str, name: str) -> bytes:
    return (real_dir(folder) / name).read_bytes()


def real_json(folder: str, name: str) -> Any:
    return json.loads(real_bytes(folder, name))
