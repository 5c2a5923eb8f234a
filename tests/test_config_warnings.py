"""A config file holding credentials that others can read: pmdash runs, and says how to fix it
(one line on stderr from the command line, a toast in the dashboard). The secret is never in it."""

from __future__ import annotations

import html
import time
from pathlib import Path

from conftest import dashboard_app

from pmdash.app import PmdashApp
from pmdash.config import load_settings
from pmdash.models import MarketInfo

SECRET = "s3cr3t-never-shown"
MARKET = MarketInfo("0xfed", "Will the Fed cut rates?", "fed", ("1" * 70, "2" * 70), ("Yes", "No"))


def toasts(app: PmdashApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


def config_with_credentials(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'clob_api_key = "k"\nclob_secret = "{SECRET}"\nclob_pass_phrase = "p"\n')
    path.chmod(mode)
    return path


def test_a_file_others_can_read_warns_and_one_only_you_can_read_does_not(tmp_path: Path) -> None:
    path = config_with_credentials(tmp_path, 0o644)
    settings = load_settings(config_path=path)
    assert settings.warnings == [
        f"{path} holds credentials but others can read it (chmod 600 {path})"
    ]
    assert settings.secrets["clob_secret"] == SECRET  # it still runs with them
    path.chmod(0o600)
    assert load_settings(config_path=path).warnings == []


async def test_the_dashboard_shows_the_warning_as_a_toast(tmp_path: Path) -> None:
    path = config_with_credentials(tmp_path, 0o640)
    app = dashboard_app([MARKET], settings=load_settings(config_path=path))
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        deadline = time.monotonic() + 10
        while not any("chmod 600" in toast for toast in toasts(app)):
            assert time.monotonic() < deadline, "no warning toast within 10 s"
            await pilot.pause(0.05)
        screen = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert SECRET not in screen
        assert not any(SECRET in toast for toast in toasts(app))
