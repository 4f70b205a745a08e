"""Sources: configured connector instances, and the schedule kept in their rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from slusha.store.schema import Source


def add_source(
    session: Session,
    *,
    name: str,
    kind: str,
    config: dict[str, Any],
    secrets: str | None,
    interval_seconds: int | None,
    now: datetime,
    enabled: bool = True,
    language: str | None = None,
) -> Source:
    """Insert a source, due at once."""
    source = Source(
        name=name,
        kind=kind,
        config=config,
        secrets=secrets,
        cursor=None,
        enabled=enabled,
        interval_seconds=interval_seconds,
        language=language,
        next_check_at=now,
        error_streak=0,
        is_healthy=True,
        items_total=0,
        created_at=now,
        updated_at=now,
    )
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, *, name_or_id: str | int) -> Source | None:
    """A source by name, or by id when given an int or a string of digits that is not a name."""
    if isinstance(name_or_id, str):
        found = session.scalars(select(Source).where(Source.name == name_or_id)).first()
        if found is not None or not name_or_id.isdigit():
            return found
        name_or_id = int(name_or_id)
    return session.get(Source, name_or_id)


def list_sources(
    session: Session, *, kinds: Sequence[str] | None = None, enabled_only: bool = False
) -> list[Source]:
    """Sources by name, optionally of some kinds only or enabled only."""
    stmt = select(Source).order_by(Source.name)
    if kinds is not None:
        stmt = stmt.where(Source.kind.in_(list(kinds)))
    if enabled_only:
        stmt = stmt.where(Source.enabled.is_(True))
    return list(session.scalars(stmt))


def claim_due_sources(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease_seconds: float,
    kinds: Sequence[str] | None = None,
) -> list[Source]:
    """Enabled sources due by ``now``, oldest first, pushed ``lease_seconds`` ahead.

    The push is a lease: another scheduler process does not pick the same source, and a
    scheduler that dies mid-fetch leaves it due again when the lease runs out.
    """
    stmt = (
        select(Source)
        .where(
            Source.enabled.is_(True),
            or_(Source.next_check_at.is_(None), Source.next_check_at <= now),
        )
        .order_by(Source.next_check_at.is_not(None), Source.next_check_at, Source.id)
        .limit(limit)
    )
    if kinds is not None:
        stmt = stmt.where(Source.kind.in_(list(kinds)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    due = list(session.scalars(stmt))
    lease_until = now + timedelta(seconds=lease_seconds)
    for source in due:
        source.next_check_at = lease_until
    session.flush()
    return due


def release_claim(session: Session, *, source_id: int, now: datetime) -> None:
    """Make a claimed source due now (its poll was stopped before it finished)."""
    source = session.get(Source, source_id)
    if source is not None:
        source.next_check_at = now


def next_due_at(session: Session) -> datetime | None:
    """When the next enabled source is due (None when there is none)."""
    stmt = (
        select(Source.next_check_at)
        .where(Source.enabled.is_(True), Source.next_check_at.is_not(None))
        .order_by(Source.next_check_at)
        .limit(1)
    )
    return session.scalars(stmt).first()


def record_success(
    session: Session,
    *,
    source_id: int,
    now: datetime,
    cursor: dict[str, Any] | None,
    next_check_at: datetime | None,
    items: int,
    last_item_at: datetime | None,
) -> None:
    """Keep the new cursor and clear the error streak after a good check."""
    source = session.get(Source, source_id)
    if source is None:
        return
    source.cursor = cursor
    if next_check_at is not None:
        source.next_check_at = next_check_at
    source.last_checked_at = now
    source.last_ok_at = now
    source.error_streak = 0
    source.last_error_code = None
    source.last_error_message = None
    source.is_healthy = True
    source.items_total = (source.items_total or 0) + items
    is_newer = last_item_at is not None and (
        source.last_item_at is None or last_item_at > source.last_item_at
    )
    if items and is_newer:
        source.last_item_at = last_item_at
    source.updated_at = now


def record_failure(
    session: Session,
    *,
    source_id: int,
    now: datetime,
    code: str,
    message: str,
    next_check_at: datetime | None,
    unhealthy_after: int,
) -> int:
    """Count a failed check; returns the new error streak."""
    source = session.get(Source, source_id)
    if source is None:
        return 0
    source.error_streak = (source.error_streak or 0) + 1
    source.last_error_code = code[:50]
    source.last_error_message = message[:2000]
    source.last_checked_at = now
    if next_check_at is not None:
        source.next_check_at = next_check_at
    source.is_healthy = source.error_streak < unhealthy_after
    source.updated_at = now
    return source.error_streak


def set_enabled(session: Session, *, source_id: int, enabled: bool, now: datetime) -> None:
    """Enable or disable a source (an enabled one is due at once)."""
    source = session.get(Source, source_id)
    if source is None:
        return
    source.enabled = enabled
    if enabled:
        source.next_check_at = now
    source.updated_at = now


def set_language(session: Session, *, source_id: int, language: str | None, now: datetime) -> None:
    """Set or clear the language a source's posts are written in."""
    source = session.get(Source, source_id)
    if source is not None:
        source.language = language
        source.updated_at = now


def save_cursor(
    session: Session, *, source_id: int, cursor: dict[str, Any] | None, now: datetime
) -> None:
    """Keep a cursor without touching health (streams, after each delivered batch)."""
    source = session.get(Source, source_id)
    if source is not None:
        source.cursor = cursor
        source.updated_at = now


def count_failing_sources(session: Session) -> int:
    """Enabled sources whose last check failed."""
    stmt = select(func.count(Source.id)).where(Source.enabled.is_(True), Source.error_streak > 0)
    return int(session.scalar(stmt) or 0)
