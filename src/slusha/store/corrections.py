"""Corrections of a post's sentiment or language, applied to its mentions and rollups."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from slusha.store.rollups import add_counts, take_one
from slusha.store.schema import Mention, Post, SentimentCorrection


def _move_rollups(
    session: Session, *, post: Post, mentions: list[Mention], field: str, new_value: str
) -> None:
    """Move each mention's count from its old rollup buckets (hour and day) to the corrected."""
    moved: Counter[tuple[object, ...]] = Counter()
    for m in mentions:
        old = {"lang": m.lang or "", "sentiment": m.sentiment or ""}
        new = {**old, field: new_value}
        if old == new:
            continue
        key = (post.created_at, m.topic_id, m.team_id, m.network)
        take_one(session, (*key, old["lang"], old["sentiment"]))
        moved[(*key, new["lang"], new["sentiment"])] += 1
    add_counts(session, moved)


def apply_correction(
    session: Session,
    *,
    post: Post,
    field: str,
    new_value: str,
    user_id: int | None,
    now: datetime,
) -> SentimentCorrection:
    """Record the correction and apply it to the post, its mentions and the rollups."""
    old_value = getattr(post, field)
    mentions = list(session.scalars(select(Mention).where(Mention.post_id == post.id)))
    _move_rollups(session, post=post, mentions=mentions, field=field, new_value=new_value)
    setattr(post, field, new_value)
    post.updated_at = now
    values: dict[str, object] = {field: new_value, "updated_at": now}
    session.execute(update(Mention).where(Mention.post_id == post.id).values(**values))
    row = SentimentCorrection(
        post_id=post.id,
        user_id=user_id,
        field=field,
        old_value=old_value,
        new_value=new_value,
        at=now,
    )
    session.add(row)
    session.flush()
    return row


def list_corrections(session: Session, *, post_id: int) -> list[SentimentCorrection]:
    """A post's corrections, oldest first."""
    stmt = (
        select(SentimentCorrection)
        .where(SentimentCorrection.post_id == post_id)
        .order_by(SentimentCorrection.id)
    )
    return list(session.scalars(stmt))


def latest_sentiment_labels(
    session: Session, *, since: datetime | None = None, team_ids: tuple[int, ...] | None = None
) -> list[tuple[str, str | None, str]]:
    """``(text, lang, label)`` of every post whose sentiment a member corrected.

    Only the newest sentiment correction of each post counts (a member may change their mind);
    ``since`` keeps posts corrected at or after it; ``team_ids`` keeps posts with a mention in
    one of those teams (None: every post). Oldest correction first, so exports are stable.
    """
    newest = (
        select(
            SentimentCorrection.post_id,
            func.max(SentimentCorrection.id).label("last_id"),
        )
        .where(SentimentCorrection.field == "sentiment")
        .group_by(SentimentCorrection.post_id)
        .subquery()
    )
    stmt = (
        select(Post.text, Post.lang, SentimentCorrection.new_value)
        .join(newest, newest.c.post_id == Post.id)
        .join(SentimentCorrection, SentimentCorrection.id == newest.c.last_id)
        .order_by(SentimentCorrection.id)
    )
    if since is not None:
        stmt = stmt.where(SentimentCorrection.at >= since)
    if team_ids is not None:
        in_teams = select(Mention.post_id).where(Mention.team_id.in_(team_ids))
        stmt = stmt.where(Post.id.in_(in_teams))
    return [(text, lang, label) for text, lang, label in session.execute(stmt)]
