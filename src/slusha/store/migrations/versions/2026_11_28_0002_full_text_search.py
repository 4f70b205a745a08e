"""full-text search over posts: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    # External-content FTS5 table: the text lives once, in posts; triggers keep the index in step.
    """CREATE VIRTUAL TABLE posts_fts USING fts5(
        title, text, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN
        INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER posts_fts_au AFTER UPDATE OF title, text ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS posts_fts_au",
    "DROP TRIGGER IF EXISTS posts_fts_ad",
    "DROP TRIGGER IF EXISTS posts_fts_ai",
    "DROP TABLE IF EXISTS posts_fts",
]
# 'simple' keeps every language searchable (no English-only stemming of Macedonian words).
POSTGRES_UP = [
    """ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(text, ''))
    ) STORED""",
    "CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_posts_search_vector",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
