"""The project's own promises about itself: CI runs the README's test command, pins hold."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_readme_quick_start_is_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert commands[0].endswith("pmdash --demo")
    assert "pip install" in commands[1] and "[test]" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()


def test_pins_the_issue_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "textual==8.2.8" in project["dependencies"]
    test_extra = project["optional-dependencies"]["test"]
    assert "pytest-textual-snapshot==1.1.0" in test_extra
    assert not any(dep.startswith("syrupy") for dep in test_extra + project["dependencies"])
    assert project["scripts"]["pmdash"] == "pmdash.cli:main"


def test_svg_snapshots_keep_lf_line_endings() -> None:
    attributes = (ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "*.svg text eol=lf" in attributes.splitlines()


def test_stylesheet_uses_theme_variables_not_hex_colours() -> None:
    css = (ROOT / "pmdash" / "styles.tcss").read_text(encoding="utf-8")
    values = re.findall(r":\s*([^;{}]+);", css)  # declaration values, not #id selectors
    assert values
    assert not [v for v in values if re.search(r"#[0-9a-fA-F]{3,8}\b", v)]
