"""Outgoing replies and saved replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from slusha.store.schema import ReplyRecord, SavedReply, Source


def get_by_key(session: Session, *, key: str) -> ReplyRecord | None:
    """The reply stored under an idempotency key."""
    return session.scalars(select(ReplyRecord).where(ReplyRecord.idempotency_key == key)).first()


def add_reply(session: Session, *, values: dict[str, Any], now: datetime) -> ReplyRecord:
    """Store a pending reply (before the first attempt to publish it)."""
    reply = ReplyRecord(status="pending", attempts=0, created_at=now, updated_at=now, **values)
    session.add(reply)
    session.flush()
    return reply


def pending_replies(
    session: Session, *, now: datetime | None = None, limit: int = 100
) -> list[ReplyRecord]:
    """Replies whose publication was interrupted and that are due again (all of them without
    ``now``), oldest first."""
    stmt = select(ReplyRecord).where(ReplyRecord.status == "pending")
    if now is not None:
        stmt = stmt.where(
            or_(ReplyRecord.next_attempt_at.is_(None), ReplyRecord.next_attempt_at <= now)
        )
    return list(session.scalars(stmt.order_by(ReplyRecord.id).limit(limit)))


def list_replies(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[ReplyRecord]:
    """Replies, most recently changed first (``status``: pending, sent or failed)."""
    stmt = select(ReplyRecord).order_by(ReplyRecord.updated_at.desc(), ReplyRecord.id.desc())
    if status is not None:
        stmt = stmt.where(ReplyRecord.status == status)
    return list(session.scalars(stmt.limit(limit)))


def count_replies(session: Session) -> dict[str, int]:
    """How many replies there are of each status."""
    rows = session.execute(select(ReplyRecord.status, func.count()).group_by(ReplyRecord.status))
    return {status: int(count) for status, count in rows}


def send_again(session: Session, *, reply_ids: Sequence[int] | None, now: datetime) -> int:
    """Put failed replies back to pending with a fresh count of attempts (all failed ones when
    ``reply_ids`` is None); the same idempotency key goes with them."""
    stmt = update(ReplyRecord).where(ReplyRecord.status == "failed")
    if reply_ids is not None:
        stmt = stmt.where(ReplyRecord.id.in_(list(reply_ids)))
    values = {"status": "pending", "attempts": 0, "next_attempt_at": None, "updated_at": now}
    result = session.execute(stmt.values(**values))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def reply_sources(session: Session, *, kind: str) -> list[Source]:
    """Enabled sources of a connector kind, oldest first (the account replies go out from)."""
    stmt = select(Source).where(Source.kind == kind, Source.enabled.is_(True)).order_by(Source.id)
    return list(session.scalars(stmt))


def saved_replies(session: Session, *, team_id: int) -> list[SavedReply]:
    """A team's saved replies by name."""
    stmt = select(SavedReply).where(SavedReply.team_id == team_id).order_by(SavedReply.name)
    return list(session.scalars(stmt))


def get_saved_reply(session: Session, *, team_id: int, name: str) -> SavedReply | None:
    """One saved reply of a team, by name."""
    stmt = select(SavedReply).where(SavedReply.team_id == team_id, SavedReply.name == name)
    return session.scalars(stmt).first()


def upsert_saved_reply(
    session: Session, *, team_id: int, name: str, text: str, actor: str, now: datetime
) -> SavedReply:
    """Create or replace a saved reply."""
    saved = get_saved_reply(session, team_id=team_id, name=name)
    if saved is None:
        saved = SavedReply(
            team_id=team_id, name=name, text=text, created_by=actor, created_at=now, updated_at=now
        )
        session.add(saved)
    else:
        saved.text = text
        saved.updated_at = now
    session.flush()
    return saved
