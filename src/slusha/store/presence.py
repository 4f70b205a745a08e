"""Presence rows: who is looking at or replying to a mention, until they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from slusha.store.schema import MentionPresence, User


def upsert(
    session: Session, *, mention_id: int, user_id: int, activity: str, expires_at: datetime
) -> None:
    """Record or refresh one member's presence on a mention."""
    row = session.scalars(
        select(MentionPresence).where(
            MentionPresence.mention_id == mention_id, MentionPresence.user_id == user_id
        )
    ).first()
    if row is None:
        session.add(
            MentionPresence(
                mention_id=mention_id, user_id=user_id, activity=activity, expires_at=expires_at
            )
        )
    else:
        row.activity = activity
        row.expires_at = expires_at
    session.flush()


def remove(session: Session, *, mention_id: int, user_id: int) -> None:
    """Forget one member's presence."""
    session.execute(
        delete(MentionPresence).where(
            MentionPresence.mention_id == mention_id, MentionPresence.user_id == user_id
        )
    )


def active(session: Session, *, mention_id: int, now: datetime) -> list[tuple[int, str, str]]:
    """(user id, username, activity) of the members present now."""
    stmt = (
        select(MentionPresence.user_id, User.username, MentionPresence.activity)
        .join(User, User.id == MentionPresence.user_id)
        .where(MentionPresence.mention_id == mention_id, MentionPresence.expires_at > now)
        .order_by(User.username)
    )
    return [(int(u), str(n), str(a)) for u, n, a in session.execute(stmt).all()]


def expire(session: Session, *, now: datetime) -> int:
    """Delete rows that expired; returns how many."""
    result = session.execute(delete(MentionPresence).where(MentionPresence.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
