"""The schema comes only from migrations; they upgrade, match the models and downgrade."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from tests.support.databases import PostgresTemplate

from slusha.store import migrations
from slusha.store.db import Database
from slusha.store.schema import Base

# Objects the migrations add on purpose that the ORM models do not describe.
EXTRA_OBJECTS = {"posts_fts", "search_vector", "ix_posts_search_vector"}


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if name is None:
        return True
    return not (name in EXTRA_OBJECTS or name.startswith("posts_fts"))


def _drift(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _include}
        )
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_on_empty_sqlite_creates_every_table(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    assert migrations.current_revision(db) is None
    migrations.upgrade(db)
    assert migrations.is_up_to_date(db)
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "posts_fts" in tables


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_models_and_migrations_do_not_drift(db: Database) -> None:
    assert _drift(db) == []


def test_downgrade_and_upgrade_latest(db: Database) -> None:
    head = migrations.head_revision(db)
    migrations.downgrade(db, "-1")
    assert migrations.current_revision(db) != head
    migrations.upgrade(db)
    assert migrations.current_revision(db) == head
    assert _drift(db) == []


def test_full_downgrade_to_base_and_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    migrations.upgrade(db)
    migrations.downgrade(db, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(db)
    assert migrations.is_up_to_date(db)


def test_postgres_has_a_gin_index_for_search(postgres_template: PostgresTemplate) -> None:
    db = postgres_template.fresh()
    with db.engine.connect() as conn:
        indexdef = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_posts_search_vector'")
        ).scalar()
    db.dispose()
    assert indexdef is not None and "gin" in indexdef.lower()


def test_unreachable_database_says_what_to_do() -> None:
    from slusha.errors import TransientError

    db = Database("postgresql://nobody@127.0.0.1:1/nothing")
    with pytest.raises(TransientError) as info:
        db.check()
    assert "SLUSHA_DATABASE_URL" in str(info.value)
    assert info.value.code == "db_unreachable"


def test_two_writers_on_sqlite_wait_for_each_other_instead_of_failing(tmp_path: Path) -> None:
    import threading

    from slusha.clock import SystemClock
    from slusha.store.audit import record_action

    db = Database(f"sqlite:///{tmp_path / 'writers.db'}")
    migrations.upgrade(db)
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            for i in range(40):
                with db.transaction() as tx:
                    # Read first, then write: the pattern that fails under deferred BEGIN.
                    tx.session.execute(text("SELECT count(*) FROM audit_log")).scalar()
                    record_action(
                        tx.session,
                        at=SystemClock().now(),
                        actor=name,
                        action="x",
                        target_type="t",
                        target_id=i,
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.read() as tx:
        assert tx.session.execute(text("SELECT count(*) FROM audit_log")).scalar() == 160
    db.dispose()
