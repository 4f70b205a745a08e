"""Hot-path inserts in plain driver SQL, for the rows the pipeline writes with every batch.

SQLAlchemy's executemany runs every value of every row through its bind processors and
re-renders multi-row statements batch by batch: in ``bench/ingest.py`` that was more than half
the cost of saving a batch. Here a statement is rendered once per table, shape and dialect;
only the columns that need it are converted (UTC datetimes, JSON), with the same stored
forms SQLAlchemy writes, so ORM reads see exactly what an ORM insert would have left.

- ``insert_returning``: multi-row ``INSERT ... VALUES (...), (...) [ON CONFLICT DO NOTHING]
  RETURNING``, in chunks of equal size (the driver's statement cache then parses each shape
  once).
- ``insert_many``: a one-row statement run as the driver's executemany (a C loop in sqlite3, a
  pipeline in psycopg), optionally ``ON CONFLICT DO UPDATE SET n = n + excluded.n``.
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


@cache
def _plan(
    table: Table,
    columns: tuple[str, ...],
    dialect: str,
    conflict: tuple[str, ...],
    add: str | None,
    returning: tuple[str, ...],
) -> tuple[str, str, str, list[tuple[int, Converter]], int]:
    """(statement head, one row's placeholders, tail, converters, rows per statement)."""
    mark = "?" if dialect == "sqlite" else "%s"
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    if dialect == "postgresql":
        # A JSON text parameter is typed json explicitly (psycopg sends str as unknown, but
        # a cast says what is meant and holds inside multi-row VALUES too).
        json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
        one = "(" + ", ".join("%s::json" if c in json_columns else "%s" for c in columns) + ")"
    names = ", ".join(f'"{name}"' for name in columns)
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
    head = f"INSERT INTO {table.name} ({names}) VALUES "
    per_statement = max(1, min(MAX_ROWS, MAX_VARIABLES // len(columns)))
    return head, one, tail, _converters(table, columns, dialect), per_statement


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
    dialect = connection.dialect.name
    head, one, tail, converters, per_statement = _plan(
        table, tuple(columns), dialect, tuple(conflict), None, tuple(returning)
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
    """Insert ``rows`` with the driver's executemany.

    ``conflict`` alone skips clashing rows; with ``add`` a clash adds the new row's ``add``
    column to the stored one (counters and rollups).
    """
    if not rows:
        return
    dialect = connection.dialect.name
    head, one, tail, converters, _per = _plan(
        table, tuple(columns), dialect, tuple(conflict), add, ()
    )
    connection.exec_driver_sql(_statement(head, one, tail, 1), _convert(rows, converters))
