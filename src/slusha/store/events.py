"""The outbox: events written with the change, published after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from slusha.store.bulk import insert_returning
from slusha.store.schema import Event


def add_events(
    session: Session, *, events: Sequence[tuple[str, dict[str, Any]]], now: datetime
) -> list[int]:
    """Write events in the caller's transaction; returns their ids."""
    if not events:
        return []
    rows = [(kind, payload, now) for kind, payload in events]
    inserted = insert_returning(
        session.connection(),
        Event.__table__,  # type: ignore[arg-type]
        ("kind", "payload", "created_at"),
        rows,
        returning=("id",),
    )
    return sorted(int(row[0]) for row in inserted)


def unpublished_events(session: Session, *, limit: int = 1000) -> list[Event]:
    """Events not yet on the bus, oldest first."""
    stmt = select(Event).where(Event.published_at.is_(None)).order_by(Event.id).limit(limit)
    return list(session.scalars(stmt))


def events_by_id(session: Session, *, ids: Sequence[int]) -> list[Event]:
    """The given events, oldest first."""
    if not ids:
        return []
    return list(session.scalars(select(Event).where(Event.id.in_(list(ids))).order_by(Event.id)))


def mark_published(session: Session, *, ids: Sequence[int], now: datetime) -> None:
    """Record that these events reached the bus."""
    if ids:
        session.execute(update(Event).where(Event.id.in_(list(ids))).values(published_at=now))


def mark_all_published(session: Session, *, now: datetime) -> int:
    """Mark every pending event published without publishing it (history that is not news)."""
    result = session.execute(
        update(Event).where(Event.published_at.is_(None)).values(published_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def count_unpublished(session: Session) -> int:
    """Events written and not yet on the bus."""
    stmt = select(func.count(Event.id)).where(Event.published_at.is_(None))
    return int(session.scalar(stmt) or 0)
