"""Backups of the SQLite database through SQLite's online backup API.

The backup API copies a consistent snapshot page by page while Slusha keeps running (WAL
readers and the writer are not stopped), unlike copying the file, which can catch the main
file and the write-ahead log at different moments. PostgreSQL is backed up with its own tools
(``pg_dump``); see the operators' docs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from slusha.errors import ConfigError, InputError
from slusha.store.db import Database

PAGES_PER_STEP = 4096


def sqlite_path(db: Database) -> Path:
    """The file of a SQLite database; ``ConfigError`` for other databases."""
    if not db.is_sqlite:
        raise ConfigError(
            "slusha db backup and restore are for SQLite; back PostgreSQL up with pg_dump "
            "(see docs/operations.md)"
        )
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise ConfigError("an in-memory SQLite database cannot be backed up")
    return Path(path)


def backup_sqlite(
    db: Database, target: Path, *, progress: Callable[[int, int], None] | None = None
) -> int:
    """Copy the live database to ``target`` (a new file); returns its size in bytes."""
    source_path = sqlite_path(db)
    if target.exists():
        raise InputError(f"{target} exists already: choose a new file name")
    if target.resolve() == source_path.resolve():
        raise InputError("the backup must be another file than the database")
    _copy(str(source_path), target, progress=progress)
    return target.stat().st_size


def check_backup(path: Path) -> str:
    """Refuse a file that is not an intact Slusha database; returns its schema revision."""
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (status,) = conn.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path} is not a SQLite database ({exc})") from None
    if status != "ok":
        raise InputError(f"{path} is damaged (integrity check: {status})")
    if revision is None or "posts" not in tables:
        raise InputError(f"{path} is a SQLite database, but not a Slusha one")
    return str(revision)


def restore_sqlite(
    db: Database, backup: Path, *, progress: Callable[[int, int], None] | None = None
) -> str:
    """Replace the database's contents with ``backup`` (checked first); returns its revision.

    The copy goes through the backup API into the open database, under SQLite's own locks, so
    the main file and its write-ahead log stay consistent.
    """
    target_path = sqlite_path(db)
    revision = check_backup(backup)
    db.dispose()
    _copy(f"file:{backup}?mode=ro", target_path, progress=progress)
    return revision


def _copy(source_uri: str, target: Path, *, progress: Callable[[int, int], None] | None) -> None:
    """SQLite's online backup from ``source_uri`` (a path or a ``file:`` URI) into ``target``."""
    source = sqlite3.connect(source_uri, uri=source_uri.startswith("file:"))
    dest = sqlite3.connect(target)
    try:
        source.backup(dest, pages=PAGES_PER_STEP, progress=_progress(progress))
    finally:
        dest.close()
        source.close()


def _progress(
    callback: Callable[[int, int], None] | None,
) -> Callable[[int, int, int], None] | None:
    if callback is None:
        return None

    def report(_status: int, remaining: int, total: int) -> None:
        callback(total - remaining, total)

    return report
