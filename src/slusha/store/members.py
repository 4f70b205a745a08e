"""Memberships read per team."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from slusha.store.schema import Membership, Team, User


def teams_with_counts(session: Session) -> list[tuple[Team, int]]:
    """Every team with its number of members, by name."""
    counts = (
        select(Membership.team_id, func.count(Membership.id).label("n"))
        .group_by(Membership.team_id)
        .subquery()
    )
    stmt = (
        select(Team, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.team_id == Team.id)
        .order_by(Team.name)
    )
    return [(team, int(n)) for team, n in session.execute(stmt).all()]


def members_of(session: Session, *, team_id: int) -> list[tuple[User, str]]:
    """A team's members with their roles, by username."""
    stmt = (
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id)
        .order_by(User.username)
    )
    return [(user, str(role)) for user, role in session.execute(stmt).all()]


def remove_membership(session: Session, *, team_id: int, user_id: int) -> bool:
    """Delete one membership; False when there was none."""
    result = session.execute(
        delete(Membership).where(Membership.team_id == team_id, Membership.user_id == user_id)
    )
    return bool(getattr(result, "rowcount", 0))
