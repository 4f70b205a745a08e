"""Hot-path inserts in plain driver SQL, for the rows the pipeline writes with every batch.

SQLAlchemy's executemany runs every value of every row through its bind processors and
re-renders multi-row statements batch by batch: in ``bench/ingest.py`` that was more than half
the cost of saving a batch. Here a statement is rendered once per table, shape and dialect;
only the columns that need it are converted (UTC datetimes, JSON), with the same stored
forms SQLAlchemy writes, so ORM reads see exactly what an ORM insert would have left.

- ``insert_returning``: ``INSERT ... [ON CONFLICT DO NOTHING] RETURNING``;
- ``insert_many``: the same without RETURNING, optionally ``ON CONFLICT DO UPDATE SET
  n = n + excluded.n``.

On SQLite, ``insert_returning`` sends multi-row ``VALUES`` lists in chunks of equal size (the
driver's statement cache parses each shape once) and ``insert_many`` one row's statement as
sqlite3's executemany (a C loop). On PostgreSQL both send one statement with a typed array
per column, turned into rows by ``unnest``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from itertools import chain
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Table

from slusha.store.schema import UTCDateTime

MAX_VARIABLES = 30_000  # under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
MAX_ROWS = 500  # rows per multi-row statement: longer ones cost more to parse than they save

Converter = Callable[[Any], Any]


def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME form ("2026-11-01 09:30:00.000000"): range queries compare
    # these strings with bound values it formats the same way.
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _postgres_datetime(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits, for one
        return json.dumps(value)


def _converters(table: Table, columns: Sequence[str], dialect: str) -> list[tuple[int, Converter]]:
    out: list[tuple[int, Converter]] = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, UTCDateTime):
            out.append((index, _sqlite_datetime if dialect == "sqlite" else _postgres_datetime))
        elif isinstance(column_type, JSON):
            out.append((index, _json_text))
    return out


def _tail(
    table: Table, conflict: tuple[str, ...], add: str | None, returning: tuple[str, ...]
) -> str:
    tail = ""
    if conflict:
        target = ", ".join(f'"{name}"' for name in conflict)
        if add is None:
            tail = f" ON CONFLICT ({target}) DO NOTHING"
        else:
            added = f'{table.name}."{add}" + excluded."{add}"'
            tail = f' ON CONFLICT ({target}) DO UPDATE SET "{add}" = {added}'
    if returning:
        tail += " RETURNING " + ", ".join(f'"{name}"' for name in returning)
    return tail


@cache
def _sqlite_plan(
    table: Table,
    columns: tuple[str, ...],
    conflict: tuple[str, ...],
    add: str | None,
    returning: tuple[str, ...],
) -> tuple[str, str, str, list[tuple[int, Converter]], int]:
    """(statement head, one row's placeholders, tail, converters, rows per statement)."""
    names = ", ".join(f'"{name}"' for name in columns)
    head = f"INSERT INTO {table.name} ({names}) VALUES "
    one = "(" + ", ".join(["?"] * len(columns)) + ")"
    per_statement = max(1, min(MAX_ROWS, MAX_VARIABLES // len(columns)))
    tail = _tail(table, conflict, add, returning)
    return head, one, tail, _converters(table, columns, "sqlite"), per_statement


@cache
def _postgres_plan(
    table: Table,
    columns: tuple[str, ...],
    conflict: tuple[str, ...],
    add: str | None,
    returning: tuple[str, ...],
) -> tuple[str, list[tuple[int, Converter]]]:
    """One statement for any number of rows: a typed array per column, ``unnest`` to rows.

    The statement text never changes with the row count, so psycopg converts it once and
    PostgreSQL prepares it once; a multi-row VALUES list of thousands of parameters was
    converted again on every call.
    """
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    names = ", ".join(f'"{name}"' for name in columns)
    arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns)
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"
    return sql + _tail(table, conflict, add, returning), _converters(table, columns, "postgresql")


def _postgres_insert(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str],
    add: str | None,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    sql, converters = _postgres_plan(table, tuple(columns), tuple(conflict), add, tuple(returning))
    values = _convert(rows, converters)
    arrays = tuple(list(column) for column in zip(*values, strict=True))
    result = connection.exec_driver_sql(sql, arrays)
    return list(result.fetchall()) if returning else []


def _convert(
    rows: Sequence[Sequence[Any]], converters: list[tuple[int, Converter]]
) -> list[tuple[Any, ...]]:
    if not converters:
        return [tuple(row) for row in rows]
    out = []
    done: dict[tuple[int, Any], Any] = {}  # a batch repeats its "now" in every row
    for row in rows:
        values = list(row)
        for index, convert in converters:
            value = values[index]
            if value is None:
                continue
            if isinstance(value, datetime):
                key = (index, value)
                converted = done.get(key)
                if converted is None:
                    converted = done[key] = convert(value)
                values[index] = converted
            else:
                values[index] = convert(value)
        out.append(tuple(values))
    return out


def insert_returning(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str],
    conflict: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in ``columns`` order) and return ``returning`` of each new row.

    With ``conflict``, rows that clash on those columns are skipped (and return nothing).
    """
    if not rows:
        return []
    if connection.dialect.name == "postgresql":
        return _postgres_insert(
            connection, table, columns, rows, conflict=conflict, add=None, returning=returning
        )
    head, one, tail, converters, per_statement = _sqlite_plan(
        table, tuple(columns), tuple(conflict), None, tuple(returning)
    )
    values = _convert(rows, converters)
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        sql = _statement(head, one, tail, len(chunk))
        params = tuple(chain.from_iterable(chunk))
        out.extend(connection.exec_driver_sql(sql, params).fetchall())
    return out


@cache
def _statement(head: str, one: str, tail: str, count: int) -> str:
    return head + ", ".join([one] * count) + tail


def insert_many(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    add: str | None = None,
) -> None:
    """Insert ``rows``.

    ``conflict`` alone skips clashing rows; with ``add`` a clash adds the new row's ``add``
    column to the stored one (counters and rollups). With ``add``, no two rows may share
    their ``conflict`` columns (PostgreSQL updates a row once per statement).
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _postgres_insert(connection, table, columns, rows, conflict=conflict, add=add, returning=())
        return
    head, one, tail, converters, _per = _sqlite_plan(
        table, tuple(columns), tuple(conflict), add, ()
    )
    # The driver's executemany: sqlite3 binds each row to one prepared statement in C.
    connection.exec_driver_sql(_statement(head, one, tail, 1), _convert(rows, converters))


def unprepared(connection: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run a PostgreSQL query planned afresh each time (never as a prepared statement).

    psycopg prepares a statement from its fifth run on, and PostgreSQL may then keep one
    generic plan for the connection's life. A look-up first planned while its table was empty
    kept scanning the whole table for every key as the table grew: ingest four times slower in
    ``bench/ingest.py``. Planning costs well under a millisecond.
    """
    from sqlalchemy.exc import DBAPIError

    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor: Any = raw.cursor()  # psycopg's: execute takes ``prepare``
    try:
        cursor.execute(sql, params, prepare=False)
        return list(cursor.fetchall())
    except connection.dialect.loaded_dbapi.Error as exc:
        # The same exception types as a statement run through SQLAlchemy (the callers'
        # retry logic looks for OperationalError).
        raise DBAPIError.instance(sql, params, exc, connection.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
