"""``slusha db backup`` and ``restore``: SQLite copied while it runs, restores checked."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import write

ON_SQLITE = pytest.mark.parametrize("db", ["sqlite"], indirect=True)
LINE = '{"network":"x","id":"%s","text":"acme %s","created_at":"2026-11-27T09:15:00+00:00"}'


def _mentions(slusha) -> int:
    return len(json.loads(slusha("mentions", "list", "--format", "json").output))


@ON_SQLITE
def test_backup_then_restore_brings_the_data_back(slusha, tmp_path: Path) -> None:
    slusha("teams", "add", "Care")
    slusha("topics", "add", "Acme", "--team", "Care", "--query", "acme")
    slusha("import", write(tmp_path / "a.jsonl", "\n".join(LINE % (i, i) for i in range(5))))
    target = tmp_path / "backup.db"
    result = slusha("db", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert "written to" in result.output and target.stat().st_size > 0
    again = slusha("db", "backup", str(target))
    assert again.exit_code == 2 and "exists already" in again.output
    slusha("import", write(tmp_path / "b.jsonl", "\n".join(LINE % (i, i) for i in range(5, 9))))
    assert _mentions(slusha) == 9
    restored = slusha("db", "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output
    assert _mentions(slusha) == 5


@ON_SQLITE
def test_restore_refuses_what_is_not_a_slusha_backup(slusha, tmp_path: Path) -> None:
    missing = slusha("db", "restore", str(tmp_path / "nope.db"), "--yes")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    refused = slusha("db", "restore", str(other), "--yes")
    assert refused.exit_code == 2 and "not a Slusha one" in refused.output
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert "not a SQLite database" in slusha("db", "restore", str(junk), "--yes").output


@ON_SQLITE
def test_restore_asks_first(slusha, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    slusha("db", "backup", str(target))
    answered = slusha("db", "restore", str(target), input="n\n")
    assert answered.exit_code == 1 and "Aborted" in answered.output


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_postgresql_is_pointed_to_its_own_tools(slusha, tmp_path: Path) -> None:
    result = slusha("db", "backup", str(tmp_path / "b.db"))
    assert result.exit_code == 2 and "pg_dump" in result.output
