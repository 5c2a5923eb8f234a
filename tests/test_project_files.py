"""The project's own promises about itself: CI runs the README's test command, pins hold."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
    assert "--require-hashes -r requirements/test.lock" in commands[1]
    assert "--require-hashes -r requirements/pmdash.lock" in commands[0]


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


def lock_pins(name: str) -> dict[str, str]:
    """Package name -> pinned version, from a hashed lock made by `requirements/refresh`."""
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\;]+)", text, re.M)
    assert pins, f"{name} pins nothing"
    return {canonicalize_name(pkg): version for pkg, version in pins}


def declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    build = (ROOT / "requirements" / "build.in").read_text(encoding="utf-8").splitlines()
    lines = [*lines, *(b for b in build if b.strip() and not b.startswith("#"))]
    return [Requirement(line) for line in lines]


def test_locks_agree_with_pyproject() -> None:
    for lock, extra in (("pmdash.lock", None), ("test.lock", "test")):
        pins = lock_pins(lock)
        wanted = declared(None) + ([] if extra is None else declared(extra))
        for req in wanted:
            name = canonicalize_name(req.name)
            assert name in pins, f"{req} is not in requirements/{lock}: run requirements/refresh"
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"requirements/{lock} pins {name}=={pins[name]}, outside {req}: "
                "run requirements/refresh"
            )


def test_app_lock_pins_what_the_suite_tested() -> None:
    app, test = lock_pins("pmdash.lock"), lock_pins("test.lock")
    assert {name: test.get(name) for name in app} == app


def test_every_locked_package_is_hashed() -> None:
    for lock in ("pmdash.lock", "test.lock"):
        text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
        for block in blocks:
            if block.startswith("#"):
                continue
            assert "--hash=sha256:" in block, f"{block.splitlines()[0]} has no hash in {lock}"


def test_app_tail_cli_and_the_registry_name_no_feed() -> None:
    """Adding a feed is modules plus one registration (a module in pmdash/specs/): the App,
    ``tail`` and the command line iterate over the registry, which loads every module there,
    so none of them imports a feed's own modules or compares anything with a feed id."""
    import ast

    from pmdash.registry import FEEDS

    feed_words = {feed_id.replace("-", "_") for feed_id in FEEDS} | set(FEEDS)
    for name in ("app.py", "tail.py", "cli.py", "registry.py"):
        tree = ast.parse((ROOT / "pmdash" / name).read_text(encoding="utf-8"))
        in_fstrings = {
            id(node) for joined in ast.walk(tree) if isinstance(joined, ast.JoinedStr)
            for node in ast.walk(joined)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = set(node.module.split(".")[1:])
                assert not parts & feed_words, f"{name} imports {node.module}"
            if isinstance(node, ast.Constant) and id(node) not in in_fstrings:
                assert node.value not in FEEDS, f"{name} names the feed {node.value!r}"
