"""The pure layers (models, units, feeds, state) import no UI, network or event-loop library.

Checked in a fresh interpreter, so modules other tests imported do not hide a stray import.
Every module under ``pmdash.feeds`` and ``pmdash.state`` is found with pkgutil, so modules added
later are covered too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("textual", "rich", "websockets", "asyncio")
NAMED = (
    "pmdash.models",
    "pmdash.units",
    "pmdash.feeds.market",
    "pmdash.feeds.gamma",
    "pmdash.feeds.clob_rest",
    "pmdash.strike",
    "pmdash.credentials",
)

SCRIPT = """
import importlib, json, pkgutil, sys
named = {named!r}
imported = []
for name in named:
    importlib.import_module(name)
    imported.append(name)
for package in ("pmdash.feeds", "pmdash.state"):
    path = importlib.import_module(package).__path__
    for info in pkgutil.walk_packages(path, package + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})
print(json.dumps({{"imported": imported, "forbidden": loaded}}))
"""


def test_pure_layers_import_no_ui_network_or_asyncio() -> None:
    code = SCRIPT.format(named=NAMED, forbidden=FORBIDDEN)
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(NAMED) <= set(report["imported"])
    assert any(name.startswith("pmdash.state.") for name in report["imported"])
    assert report["forbidden"] == [], (
        f"pure layers pulled in {report['forbidden']} (imported: {report['imported']})"
    )
