"""Dialect-specific INSERT ... ON CONFLICT, behind one function."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session | str, table: Table) -> Any:
    """An ``insert`` construct that supports ``on_conflict_*`` on this session's backend.

    ``session`` may also be a dialect name, for statements built once and reused.
    """
    dialect = session if isinstance(session, str) else session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
