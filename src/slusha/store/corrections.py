"""Corrections of a post's sentiment or language, applied to its mentions and rollups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from slusha.store.schema import Mention, MentionRollup, Post, SentimentCorrection
from slusha.store.upsert import insert_for


def _move_rollups(
    session: Session, *, post: Post, mentions: list[Mention], field: str, new_value: str
) -> None:
    """Move each mention's count from its old rollup bucket to the corrected one."""
    hour = post.created_at.replace(minute=0, second=0, microsecond=0)
    table = MentionRollup.__table__
    for m in mentions:
        old = {"lang": m.lang or "", "sentiment": m.sentiment or ""}
        new = dict(old)
        new[field] = new_value
        if old == new:
            continue
        key = {"hour": hour, "topic_id": m.topic_id, "team_id": m.team_id, "network": m.network}
        session.execute(
            update(MentionRollup)
            .where(*(getattr(MentionRollup, k) == v for k, v in {**key, **old}.items()))
            .where(MentionRollup.count > 0)
            .values(count=MentionRollup.count - 1)
        )
        stmt = insert_for(session, table)  # type: ignore[arg-type]
        stmt = stmt.on_conflict_do_update(
            index_elements=["hour", "topic_id", "team_id", "network", "lang", "sentiment"],
            set_={"count": table.c.count + 1},
        )
        session.execute(stmt, [{**key, **new, "count": 1}])


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
