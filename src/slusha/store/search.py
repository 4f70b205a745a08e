"""Full-text search over stored posts: FTS5 on SQLite, tsvector on PostgreSQL, one function."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

from slusha.store.schema import Post

_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(words: str) -> list[str]:
    """The words of a search box input (punctuation and operators are not syntax here)."""
    return _WORD.findall(words)


def search_post_ids(session: Session, *, words: str, limit: int = 50) -> list[int]:
    """Ids of posts containing every word, newest first. Deleted posts are left out."""
    terms = search_terms(words)
    if not terms:
        return []
    if session.get_bind().dialect.name == "postgresql":
        stmt = text(
            "SELECT id FROM posts WHERE search_vector @@ plainto_tsquery('simple', :q) "
            "AND NOT is_deleted ORDER BY created_at DESC, id DESC LIMIT :limit"
        )
        rows = session.execute(stmt, {"q": " ".join(terms), "limit": limit})
    else:
        # Each word quoted, so FTS5 reads user input as terms and never as its own syntax.
        match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        stmt = text(
            "SELECT posts.id FROM posts_fts JOIN posts ON posts.id = posts_fts.rowid "
            "WHERE posts_fts MATCH :q AND posts.is_deleted = 0 "
            "ORDER BY posts.created_at DESC, posts.id DESC LIMIT :limit"
        )
        rows = session.execute(stmt, {"q": match, "limit": limit})
    return [row[0] for row in rows]


def search_posts(session: Session, *, words: str, limit: int = 50) -> list[Post]:
    """The matching posts themselves, newest first."""
    ids = search_post_ids(session, words=words, limit=limit)
    if not ids:
        return []
    posts = {p.id: p for p in session.query(Post).filter(Post.id.in_(ids))}
    return [posts[i] for i in ids if i in posts]


def optimize_index(session: Session) -> None:
    """Merge the search index into one segment (SQLite FTS5 ``optimize``).

    Worth running after a bulk import: a freshly bulk-filled FTS5 index has many segments, and
    each check of a common word against a post seeks in every one of them (about 2.5 times
    slower at a million posts). PostgreSQL's GIN index needs nothing here.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO posts_fts(posts_fts) VALUES ('optimize')"))
