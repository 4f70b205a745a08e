"""Docs are part of the product: a setting or a command without documentation fails here."""

from __future__ import annotations

from pathlib import Path

import click

from slusha.cli.main import _register, cli
from slusha.config import Settings

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "slusha") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            names.extend(_commands(command, full))
        else:
            names.append(full)
    return names


def test_every_setting_is_documented() -> None:
    text = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in Settings.model_fields
        if f"`{name}`" not in text or f"`SLUSHA_{name.upper()}`" not in text
    ]
    assert missing == []


def test_every_cli_command_is_documented() -> None:
    _register()
    text = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "docs").rglob("*.md"))
    missing = [c for c in _commands(cli) if f"`{c}" not in text]
    assert missing == []


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_command() -> None:
    blocks = [line.strip() for line in README.splitlines() if line.startswith("    ")]
    demo, tests = blocks[0], blocks[1]
    assert demo.endswith("slusha demo") and "pip install -e ." in demo
    assert "pytest" in tests
    assert tests in (REPO / ".ci" / "run").read_text(encoding="utf-8")
