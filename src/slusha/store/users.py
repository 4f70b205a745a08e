"""Members and their roles per team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slusha.store.schema import Membership, Team, User


def get_user_by_name(session: Session, *, username: str) -> User | None:
    """The member with this username (case-insensitive)."""
    stmt = select(User).where(func.lower(User.username) == username.casefold())
    return session.scalars(stmt).first()


def add_user(
    session: Session,
    *,
    username: str,
    password_hash: str,
    now: datetime,
    is_admin: bool = False,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    """Insert a member."""
    user = User(
        username=username,
        password_hash=password_hash,
        is_admin=is_admin,
        is_active=True,
        display_name=display_name,
        email=email,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def set_membership(session: Session, *, user_id: int, team_id: int, role: str) -> Membership:
    """Give a member a role in a team (replacing the previous role there)."""
    existing = session.scalars(
        select(Membership).where(Membership.user_id == user_id, Membership.team_id == team_id)
    ).first()
    if existing is not None:
        existing.role = role
        return existing
    membership = Membership(user_id=user_id, team_id=team_id, role=role)
    session.add(membership)
    session.flush()
    return membership


def list_users(session: Session) -> list[tuple[User, list[tuple[str, str]]]]:
    """Every member with their (team name, role) pairs."""
    users = list(session.scalars(select(User).order_by(User.username)))
    rows = session.execute(
        select(Membership.user_id, Team.name, Membership.role).join(
            Team, Team.id == Membership.team_id
        )
    ).all()
    roles: dict[int, list[tuple[str, str]]] = {}
    for user_id, team_name, role in rows:
        roles.setdefault(user_id, []).append((team_name, role))
    return [(user, sorted(roles.get(user.id, []))) for user in users]
