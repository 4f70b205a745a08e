"""Teams: create and list."""

from __future__ import annotations

from slusha.clock import Clock
from slusha.errors import Conflict, InputError
from slusha.store import teams as store_teams
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import Team

MAX_NAME_LENGTH = 200


def create_team(db: Database, *, name: str, clock: Clock, actor: str = "cli") -> Team:
    """Add a team; names are unique regardless of case."""
    name = " ".join(name.split())
    if not name:
        raise InputError("a team needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(f"a team name is at most {MAX_NAME_LENGTH} characters")
    now = clock.now()
    with db.transaction() as tx:
        if store_teams.get_team_by_name(tx.session, name=name) is not None:
            raise Conflict(f"a team named {name!r} exists already")
        team = store_teams.add_team(tx.session, name=name, now=now)
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action="team.create",
            target_type="team",
            target_id=team.id,
            details={"name": name},
        )
    return team


def ensure_team(db: Database, *, name: str, clock: Clock, actor: str = "cli") -> Team:
    """The team with this name, created when missing."""
    with db.transaction() as tx:
        team = store_teams.get_team_by_name(tx.session, name=name)
    return team if team is not None else create_team(db, name=name, clock=clock, actor=actor)


def list_teams(db: Database) -> list[Team]:
    """All teams by name."""
    with db.read() as tx:
        return store_teams.list_teams(tx.session)


def find_team(db: Database, *, name: str) -> Team:
    """The team with this name, or ``InputError`` listing the teams there are."""
    with db.read() as tx:
        team = store_teams.get_team_by_name(tx.session, name=name)
        if team is None:
            names = [t.name for t in store_teams.list_teams(tx.session)]
            known = ", ".join(names) if names else "none yet: add one with 'slusha teams add NAME'"
            raise InputError(f"no team named {name!r} (teams: {known})")
        return team
