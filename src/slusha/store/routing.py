"""Routing rules of the organisation, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slusha.store.schema import RoutingRuleRecord


def list_rules(session: Session, *, enabled_only: bool = False) -> list[RoutingRuleRecord]:
    """Rules by position (then id)."""
    stmt = select(RoutingRuleRecord).order_by(RoutingRuleRecord.position, RoutingRuleRecord.id)
    if enabled_only:
        stmt = stmt.where(RoutingRuleRecord.enabled.is_(True))
    return list(session.scalars(stmt))


def get_rule(session: Session, *, name_or_id: str | int) -> RoutingRuleRecord | None:
    """A rule by id or by name (case-insensitive)."""
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        rule = session.get(RoutingRuleRecord, int(name_or_id))
        if rule is not None:
            return rule
    stmt = select(RoutingRuleRecord).where(
        func.lower(RoutingRuleRecord.name) == str(name_or_id).casefold()
    )
    return session.scalars(stmt).first()


def next_position(session: Session) -> int:
    """One after the last rule's position (rules are appended by default)."""
    last = session.execute(select(func.max(RoutingRuleRecord.position))).scalar()
    return int(last or 0) + 10


def add_rule(
    session: Session,
    *,
    name: str,
    query: str,
    conditions: dict[str, Any],
    actions: dict[str, Any],
    position: int,
    stop: bool,
    actor: str,
    now: datetime,
) -> RoutingRuleRecord:
    """Insert a rule (the caller validated query, conditions and actions)."""
    rule = RoutingRuleRecord(
        name=name,
        query=query,
        conditions=conditions,
        actions=actions,
        position=position,
        stop=stop,
        enabled=True,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    session.flush()
    return rule


def rules_version(session: Session) -> tuple[int, int, datetime | None]:
    """A cheap fingerprint (count, enabled count, newest change) that moves on every change."""
    count, enabled, newest = session.execute(
        select(
            func.count(RoutingRuleRecord.id),
            func.count(RoutingRuleRecord.id).filter(RoutingRuleRecord.enabled.is_(True)),
            func.max(RoutingRuleRecord.updated_at),
        )
    ).one()
    return int(count), int(enabled), newest
