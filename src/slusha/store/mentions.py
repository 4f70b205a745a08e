"""Reading mentions for lists and streams: keyset paging on (posted_at, id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from slusha.store.schema import Mention, Post, Team, Topic


@dataclass(frozen=True, slots=True)
class MentionFilter:
    """What a list of mentions is narrowed to; ``None`` means any."""

    topic_ids: tuple[int, ...] | None = None
    team_ids: tuple[int, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    sentiment: str | None = None
    lang: str | None = None
    network: str | None = None
    status: str | None = None


def _filtered(stmt: Any, f: MentionFilter) -> Any:
    if f.topic_ids is not None:
        stmt = stmt.where(Mention.topic_id.in_(f.topic_ids))
    if f.team_ids is not None:
        stmt = stmt.where(Mention.team_id.in_(f.team_ids))
    if f.since is not None:
        stmt = stmt.where(Mention.posted_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Mention.posted_at < f.until)
    if f.sentiment is not None:
        stmt = stmt.where(Mention.sentiment == f.sentiment)
    if f.lang is not None:
        stmt = stmt.where(Mention.lang == f.lang)
    if f.network is not None:
        stmt = stmt.where(Mention.network == f.network)
    if f.status is not None:
        stmt = stmt.where(Mention.status == f.status)
    return stmt


def list_mentions(
    session: Session,
    *,
    filters: MentionFilter,
    limit: int = 50,
    before: tuple[datetime, int] | None = None,
) -> list[tuple[Mention, Post, Topic, Team]]:
    """Newest first; ``before`` is the (posted_at, id) of the last row of the previous page."""
    stmt: Any = (
        select(Mention, Post, Topic, Team)
        .join(Post, Post.id == Mention.post_id)
        .join(Topic, Topic.id == Mention.topic_id)
        .join(Team, Team.id == Mention.team_id)
        .where(Post.is_deleted.is_(False))
    )
    stmt = _filtered(stmt, filters)
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
