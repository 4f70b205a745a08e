"""Shared fixtures: real databases (SQLite and PostgreSQL, schema from the migrations), settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from slusha.clock import FrozenClock
from slusha.config import Settings, load_settings
from slusha.store.db import Database
from tests.support.databases import (
    PostgresTemplate,
    SqliteTemplate,
    postgres_reachable,
    postgres_required,
)

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SLUSHA_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip cleanly when it is absent."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate]:
    reason = postgres_reachable()
    if reason is not None:
        if postgres_required():
            pytest.fail(f"{reason} (required: SLUSHA_REQUIRE_POSTGRES=1 or CI=true)")
        pytest.skip(reason)
    template = PostgresTemplate()
    yield template
    template.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        database = request.getfixturevalue("sqlite_template").fresh(tmp_path)
    else:
        database = request.getfixturevalue("postgres_template").fresh()
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    """A clock that only moves when the test says so."""
    return FrozenClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))


@pytest.fixture
def make_settings(tmp_path: Path) -> Any:
    """Build settings without reading the real environment."""

    def make(**values: Any) -> Settings:
        values.setdefault("database_url", f"sqlite:///{tmp_path / 'slusha.db'}")
        return load_settings(environ={}, **values)

    return make
