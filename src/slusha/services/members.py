"""Team members: list, give a role, remove."""

from __future__ import annotations

from typing import Any

from slusha.clock import Clock
from slusha.errors import InputError, NotFound
from slusha.services.access import Principal, require
from slusha.store import members as store_members
from slusha.store import users as store_users
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import TEAM_ROLES, Team


def _team(session: Any, principal: Principal, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    return team


def list_teams(db: Database, *, principal: Principal) -> list[dict[str, Any]]:
    """Every team with its member count and the member's own role there."""
    require(principal, "teams.read")
    with db.read() as tx:
        return [
            {"id": team.id, "name": team.name, "slug": team.slug, "members": count,
             "my_role": principal.roles.get(team.id)}
            for team, count in store_members.teams_with_counts(tx.session)
        ]  # fmt: skip


def list_members(db: Database, *, principal: Principal, team_id: int) -> dict[str, Any]:
    """A team and its members; only its members (and admins) may read them."""
    with db.read() as tx:
        team = _team(tx.session, principal, team_id)
        if not principal.is_member(team_id):
            raise NotFound(f"no team with id {team_id}")
        require(principal, "members.read", team_id)
        members = [
            {"user_id": user.id, "username": user.username, "display_name": user.display_name,
             "role": role}
            for user, role in store_members.members_of(tx.session, team_id=team_id)
        ]  # fmt: skip
        return {"id": team.id, "name": team.name, "slug": team.slug, "members": members}


def set_member(
    db: Database, *, principal: Principal, team_id: int, username: str, role: str, clock: Clock
) -> dict[str, Any]:
    """Give ``username`` a role in the team (a manager or admin of the team does this)."""
    if role not in TEAM_ROLES:
        raise InputError(f"unknown role {role!r} (one of: {', '.join(TEAM_ROLES)})")
    now = clock.now()
    with db.transaction() as tx:
        _team(tx.session, principal, team_id)
        if not principal.is_member(team_id):
            raise NotFound(f"no team with id {team_id}")
        require(principal, "members.write", team_id)
        if role == "admin" and not principal.is_admin and principal.roles.get(team_id) != "admin":
            raise InputError("only an admin can make someone an admin", code="forbidden_role")
        user = store_users.get_user_by_name(tx.session, username=username)
        if user is None:
            raise NotFound(f"no member named {username!r}")
        store_users.set_membership(tx.session, user_id=user.id, team_id=team_id, role=role)
        record_action(
            tx.session, at=now, actor=principal.username, actor_id=principal.user_id,
            action="member.set_role", target_type="team", target_id=team_id,
            details={"user": user.username, "role": role},
        )  # fmt: skip
    return list_members(db, principal=principal, team_id=team_id)


def remove_member(
    db: Database, *, principal: Principal, team_id: int, user_id: int, clock: Clock
) -> dict[str, Any]:
    """Take a member out of the team."""
    now = clock.now()
    with db.transaction() as tx:
        _team(tx.session, principal, team_id)
        if not principal.is_member(team_id):
            raise NotFound(f"no team with id {team_id}")
        require(principal, "members.write", team_id)
        if not store_members.remove_membership(tx.session, team_id=team_id, user_id=user_id):
            raise NotFound(f"member {user_id} is not in this team")
        record_action(
            tx.session, at=now, actor=principal.username, actor_id=principal.user_id,
            action="member.remove", target_type="team", target_id=team_id,
            details={"user_id": user_id},
        )  # fmt: skip
    return list_members(db, principal=principal, team_id=team_id)


def add_team(db: Database, *, principal: Principal, name: str, clock: Clock) -> dict[str, Any]:
    """Create a team (organisation admins only)."""
    from slusha.services.teams import create_team

    require(principal, "teams.create")
    team = create_team(db, name=name, clock=clock, actor=principal.username)
    return {"id": team.id, "name": team.name, "slug": team.slug, "members": 0, "my_role": None}
