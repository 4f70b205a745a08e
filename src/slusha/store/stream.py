"""The mention stream as members see it: visibility, filters, full-text search, keyset paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session

from slusha.store.mentions import MentionFilter, _filtered
from slusha.store.schema import Mention, Post, Team, Topic

Row = tuple[Mention, Post, Topic, Team]


@dataclass(frozen=True, slots=True)
class Visibility:
    """Whose mentions a member sees: ``team_ids`` plus every topic that is not private.

    ``team_ids=None`` sees everything (an organisation admin).
    """

    team_ids: tuple[int, ...] | None


def visible_clause(visibility: Visibility, *, team_col: Any, private_col: Any) -> Any:
    """A WHERE condition that keeps what ``visibility`` allows."""
    if visibility.team_ids is None:
        return literal_column("1") == literal_column("1")
    return or_(team_col.in_(visibility.team_ids or (-1,)), private_col.is_(False))


FTS_PROBE = 2_000
"""Matches above which SQLite search walks the stream and checks each post instead."""


def _search_clause(session: Session, terms: list[str]) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return literal_column("posts.search_vector").op("@@")(
            func.plainto_tsquery("simple", " ".join(terms))
        )
    # Each word quoted, so FTS5 reads user input as terms and never as its own syntax.
    match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    # Rare words: the few matching posts drive the query. Common words (hundreds of thousands
    # of matches at a million posts): collecting them all is what is slow, so the stream is read
    # newest first and each candidate is checked by rowid (FTS5 seeks in its doclists) until the
    # page is full.
    probe = text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :fts_q LIMIT :n")
    ids = list(session.scalars(probe, {"fts_q": match, "n": FTS_PROBE + 1}))
    if len(ids) <= FTS_PROBE:
        return Post.id.in_(ids)
    return (
        select(literal_column("1"))
        .select_from(table("posts_fts"))
        .where(text("posts_fts MATCH :fts_q").bindparams(fts_q=match))
        .where(literal_column("posts_fts.rowid") == Post.id)
        .exists()
    )


def list_visible(
    session: Session,
    *,
    visibility: Visibility,
    filters: MentionFilter,
    terms: list[str] | None = None,
    limit: int = 50,
    before: tuple[datetime, int] | None = None,
    after_id: int | None = None,
) -> list[Row]:
    """Newest first; ``before`` is the (posted_at, id) of the last row of the previous page."""
    stmt: Any = (
        select(Mention, Post, Topic, Team)
        .join(Post, Post.id == Mention.post_id)
        .join(Topic, Topic.id == Mention.topic_id)
        .join(Team, Team.id == Mention.team_id)
        .where(Post.is_deleted.is_(False))
        .where(visible_clause(visibility, team_col=Mention.team_id, private_col=Topic.is_private))
    )
    stmt = _filtered(stmt, filters)
    if terms:
        stmt = stmt.where(_search_clause(session, terms))
    if after_id is not None:
        stmt = stmt.where(Mention.id > after_id)
    if before is not None:
        posted_at, mention_id = before
        stmt = stmt.where(
            or_(
                Mention.posted_at < posted_at,
                and_(Mention.posted_at == posted_at, Mention.id < mention_id),
            )
        )
    stmt = stmt.order_by(Mention.posted_at.desc(), Mention.id.desc()).limit(limit)
    return [(m, p, t, tm) for m, p, t, tm in session.execute(stmt).all()]


def get_visible(session: Session, *, mention_id: int, visibility: Visibility) -> Row | None:
    """One mention, when the member may see it."""
    stmt = (
        select(Mention, Post, Topic, Team)
        .join(Post, Post.id == Mention.post_id)
        .join(Topic, Topic.id == Mention.topic_id)
        .join(Team, Team.id == Mention.team_id)
        .where(Mention.id == mention_id)
        .where(visible_clause(visibility, team_col=Mention.team_id, private_col=Topic.is_private))
    )
    row = session.execute(stmt).first()
    return (row[0], row[1], row[2], row[3]) if row else None


def post_mentions(session: Session, *, post_id: int, visibility: Visibility) -> list[Row]:
    """Every visible mention of one post: all the topics it matched."""
    stmt = (
        select(Mention, Post, Topic, Team)
        .join(Post, Post.id == Mention.post_id)
        .join(Topic, Topic.id == Mention.topic_id)
        .join(Team, Team.id == Mention.team_id)
        .where(Mention.post_id == post_id)
        .where(visible_clause(visibility, team_col=Mention.team_id, private_col=Topic.is_private))
        .order_by(Topic.name)
    )
    return [(m, p, t, tm) for m, p, t, tm in session.execute(stmt).all()]


def newest_mention_id(session: Session) -> int:
    """The highest mention id (0 when there is none): where a polling stream starts."""
    return int(session.execute(select(func.max(Mention.id))).scalar() or 0)
