"""Run the Alembic migrations that ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from slusha.store.db import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(db: Database) -> Config:
    """An Alembic config pointing at the packaged migrations and at ``db``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    config.attributes["engine"] = db.engine
    return config


def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring the schema up to ``revision``."""
    command.upgrade(alembic_config(db), revision)


def downgrade(db: Database, revision: str) -> None:
    """Take the schema down to ``revision``."""
    command.downgrade(alembic_config(db), revision)


def current_revisions(db: Database) -> set[str]:
    """The revisions the database is at (empty when it was never migrated)."""
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None; several heads are joined with '+'."""
    heads = current_revisions(db)
    return "+".join(sorted(heads)) if heads else None


def head_revision(db: Database) -> str | None:
    """The newest revision(s) that ship with this version, joined with '+'."""
    heads = ScriptDirectory.from_config(alembic_config(db)).get_heads()
    return "+".join(sorted(heads)) if heads else None


def is_up_to_date(db: Database) -> bool:
    """True when the database schema is at the newest revision."""
    return current_revision(db) == head_revision(db)
