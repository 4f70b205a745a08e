"""Fixtures of the web tests: the app over the real ``db`` fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from slusha.clock import FrozenClock
from slusha.store.db import Database
from tests.web.browser import require_chromium
from tests.web.support import World, build_world


@pytest.fixture
def world(db: Database, clock: FrozenClock, make_settings: Any) -> World:
    """The organisation of ``tests.web.support`` with four posts ingested."""
    return build_world(db, clock, make_settings(secret_key="test-secret-key"))


@pytest.fixture
def sqlite_world(world: World, db: Database) -> World:
    """The world, for browser tests (SQLite; skipped without Chromium)."""
    require_chromium()
    if db.dialect != "sqlite":
        pytest.skip("browser tests run on SQLite; the API and page tests cover PostgreSQL")
    return world
