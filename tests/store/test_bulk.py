"""The driver-level inserts of the hot path store exactly what the ORM would (both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import ProgrammingError
from tests.support.databases import PostgresTemplate

from slusha.store.bulk import MAX_ROWS, insert_many, insert_returning, unprepared
from slusha.store.db import Database
from slusha.store.posts import existing_post_ids
from slusha.store.schema import Event, IngestCounter

MOMENT = datetime(2026, 11, 28, 9, 30, 5, tzinfo=UTC)  # whole seconds: the strictest form
SKOPJE = timezone(timedelta(hours=1))


def _raw_created(db: Database) -> list[object]:
    with db.read() as tx:
        return [r[0] for r in tx.session.execute(text("SELECT created_at FROM events ORDER BY id"))]


def test_datetimes_and_json_are_stored_as_the_orm_stores_them(db: Database) -> None:
    payload = {"text": "ќе дојдам 🙂", "n": [1, 2.5, None], "big": 2**70}
    with db.transaction() as tx:
        tx.session.execute(insert(Event), [{"kind": "orm", "payload": payload,
                                            "created_at": MOMENT}])  # fmt: skip
        ids = insert_returning(
            tx.session.connection(),
            Event.__table__,  # type: ignore[arg-type]
            ("kind", "payload", "created_at"),
            [("bulk", payload, MOMENT.astimezone(SKOPJE))],  # the same instant, another zone
            returning=("id",),
        )
    assert len(ids) == 1
    orm_raw, bulk_raw = _raw_created(db)
    assert orm_raw == bulk_raw  # on SQLite the same text, so string range queries agree
    with db.read() as tx:
        rows = tx.session.scalars(select(Event).order_by(Event.id)).all()
        assert [r.payload for r in rows] == [payload, payload]
        assert [r.created_at for r in rows] == [MOMENT, MOMENT]
        assert [r.created_at.tzinfo for r in rows] == [UTC, UTC]
        # Range queries built by SQLAlchemy find the row at the exact boundary.
        found = tx.session.scalars(
            select(Event.kind).where(Event.created_at >= MOMENT, Event.created_at <= MOMENT)
        ).all()
        assert sorted(found) == ["bulk", "orm"]


def test_a_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="naive datetime"), db.transaction() as tx:
        insert_returning(
            tx.session.connection(),
            Event.__table__,  # type: ignore[arg-type]
            ("kind", "payload", "created_at"),
            [("bulk", {}, datetime(2026, 11, 28, 9, 30))],
            returning=("id",),
        )
    with db.read() as tx:
        assert tx.session.scalars(select(Event)).all() == []


def test_many_rows_are_split_into_statements_and_all_return(db: Database) -> None:
    rows = [("bulk", {"i": i}, MOMENT) for i in range(2 * MAX_ROWS + 7)]
    with db.transaction() as tx:
        ids = insert_returning(
            tx.session.connection(),
            Event.__table__,  # type: ignore[arg-type]
            ("kind", "payload", "created_at"),
            rows,
            returning=("id",),
        )
    assert len({i for (i,) in ids}) == len(rows)
    with db.read() as tx:
        stored = tx.session.scalars(select(Event.payload).order_by(Event.id)).all()
    assert [p["i"] for p in stored] == list(range(len(rows)))


def test_conflicting_rows_are_skipped_or_added_up(db: Database) -> None:
    columns = ("day", "network", "outcome", "count")
    with db.transaction() as tx:
        connection = tx.session.connection()
        table = IngestCounter.__table__
        key = ("day", "network", "outcome")
        insert_many(connection, table, columns, [("2026-11-28", "x", "matched", 2)],  # type: ignore[arg-type]
                    conflict=key, add="count")  # fmt: skip
        insert_many(connection, table, columns,  # type: ignore[arg-type]
                    [("2026-11-28", "x", "matched", 3), ("2026-11-28", "x", "unmatched", 1)],
                    conflict=key, add="count")  # fmt: skip
        insert_many(connection, table, columns, [("2026-11-28", "x", "matched", 100)],  # type: ignore[arg-type]
                    conflict=key)  # fmt: skip
        again = [("2026-11-28", "x", "matched", 9), ("2026-11-29", "x", "matched", 4)]
        new = insert_returning(connection, table, columns, again,  # type: ignore[arg-type]
                               conflict=key, returning=("day",))  # fmt: skip
    assert new == [("2026-11-29",)]
    with db.read() as tx:
        counts = {(r.day, r.outcome): r.count for r in tx.session.scalars(select(IngestCounter))}
    assert counts == {
        ("2026-11-28", "matched"): 5,
        ("2026-11-28", "unmatched"): 1,
        ("2026-11-29", "matched"): 4,
    }


@pytest.fixture
def pg(postgres_template: PostgresTemplate) -> Iterator[Database]:
    """PostgreSQL only: prepared statements and generic plans are its own."""
    database = postgres_template.fresh()
    yield database
    database.dispose()


def test_stored_post_look_ups_are_never_prepared_on_postgresql(pg: Database) -> None:
    """A prepared look-up keeps the plan made while the table was empty (a full scan per key)."""
    db = pg
    keys = [("x", f"p{i}") for i in range(30)]
    with db.transaction() as tx:
        for _ in range(8):  # psycopg prepares a statement from its fifth run on
            assert existing_post_ids(tx.session, keys=keys) == {}
        prepared = tx.session.execute(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%LATERAL%'")
        ).scalar_one()
    assert prepared == 0


def test_driver_errors_of_unprepared_queries_read_as_sqlalchemy_errors(pg: Database) -> None:
    db = pg
    with pytest.raises(ProgrammingError, match="no_such_table"), db.transaction() as tx:
        unprepared(tx.session.connection(), "SELECT * FROM no_such_table WHERE id = %s", (1,))
    with db.transaction() as tx:
        rows = unprepared(tx.session.connection(), "SELECT %s::int + 1", (41,))
    assert rows == [(42,)]
