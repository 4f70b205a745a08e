"""Run the real ``slusha`` command group in process, against a real database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from slusha.cli.main import _register, cli
from slusha.store.db import Database


@pytest.fixture
def slusha(db: Database, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Invoke ``slusha ARGS`` with SLUSHA_DATABASE_URL pointing at the test database."""
    for name in list(__import__("os").environ):
        if name.startswith("SLUSHA_") and not name.startswith("SLUSHA_TEST"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SLUSHA_DATABASE_URL", db.url.replace("+psycopg", ""))
    _register()

    def run(*args: str, input: str | bytes | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return run


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)
