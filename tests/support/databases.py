"""Real test databases: a migrated SQLite file per test, a migrated PostgreSQL database per run."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from slusha.store import migrations
from slusha.store.db import Database

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    """The server the tests may create databases on."""
    return os.environ.get("SLUSHA_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_required() -> bool:
    """CI sets SLUSHA_REQUIRE_POSTGRES=1 (or CI=true): a missing server is then a failure."""
    return os.environ.get("SLUSHA_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(
            postgres_admin_url().replace("postgresql://", "postgresql+psycopg://", 1),
            connect_args={"connect_timeout": 3},
        )
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {postgres_admin_url()} is not reachable: {type(exc).__name__}"
    return None


class PostgresTemplate:
    """One fresh database per test run, migrated once; tests truncate it between them."""

    def __init__(self) -> None:
        self.name = f"slusha_test_{uuid.uuid4().hex[:10]}"
        admin = postgres_admin_url().replace("postgresql://", "postgresql+psycopg://", 1)
        self._admin = create_engine(admin, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        base, _, _ = postgres_admin_url().rpartition("/")
        self.url = f"{base}/{self.name}"
        db = Database(self.url)
        migrations.upgrade(db)
        with db.engine.connect() as conn:
            self.tables = [
                row[0]
                for row in conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            ]
        db.dispose()

    def fresh(self) -> Database:
        """The database, emptied."""
        db = Database(self.url)
        with db.engine.begin() as conn:
            if self.tables:
                conn.execute(
                    text(
                        "TRUNCATE "
                        + ", ".join(f'"{t}"' for t in self.tables)
                        + " RESTART IDENTITY CASCADE"
                    )
                )
        return db

    def drop(self) -> None:
        """Remove the test database."""
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()


class SqliteTemplate:
    """A migrated SQLite file copied for each test (migrating once is much faster)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        db = Database(f"sqlite:///{self.path}")
        migrations.upgrade(db)
        db.dispose()
        # Fold the WAL into the file so that copying the one file copies the whole database.
        with contextlib.closing(sqlite3.connect(self.path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def fresh(self, directory: Path) -> Database:
        """A copy of the migrated file in ``directory``."""
        target = directory / "slusha.db"
        shutil.copyfile(self.path, target)
        return Database(f"sqlite:///{target}")
