"""The audit log: every member action that changes data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from slusha.store.schema import AuditEntry


def record_action(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int | None = None,
    actor_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit-log row in the caller's transaction."""
    entry = AuditEntry(
        at=at,
        actor=actor,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details or {},
    )
    session.add(entry)
    return entry


def list_actions(session: Session, *, limit: int = 100) -> list[AuditEntry]:
    """The newest audit-log rows first."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    return list(session.scalars(stmt))
