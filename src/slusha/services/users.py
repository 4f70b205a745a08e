"""Members: create with a generated password, list, verify passwords."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from slusha.clock import Clock
from slusha.errors import Conflict, InputError
from slusha.services.teams import find_team
from slusha.store import users as store_users
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import TEAM_ROLES, User

USERNAME_RE = re.compile(r"^[\w.@+-]{2,150}$")
_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


def generate_password() -> str:
    """A random password to print once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """Argon2id hash."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    db: Database,
    *,
    username: str,
    clock: Clock,
    role: str = "admin",
    team: str | None = None,
    password: str | None = None,
    actor: str = "cli",
) -> tuple[User, str]:
    """Add a member; returns the user and the password (generated when not given).

    Role ``admin`` without a team makes an organisation admin; any other role needs a team.
    """
    if not USERNAME_RE.match(username):
        raise InputError("a username is 2-150 letters, digits or . @ + - _ (no spaces)")
    if role not in TEAM_ROLES:
        raise InputError(f"unknown role {role!r} (one of: {', '.join(TEAM_ROLES)})")
    if team is None and role != "admin":
        raise InputError(f"role {role!r} needs a team: add --team TEAM")
    team_row = find_team(db, name=team) if team is not None else None
    password = password or generate_password()
    now = clock.now()
    with db.transaction() as tx:
        if store_users.get_user_by_name(tx.session, username=username) is not None:
            raise Conflict(f"a member named {username!r} exists already")
        user = store_users.add_user(
            tx.session,
            username=username,
            password_hash=hash_password(password),
            is_admin=role == "admin" and team_row is None,
            now=now,
        )
        if team_row is not None:
            store_users.set_membership(tx.session, user_id=user.id, team_id=team_row.id, role=role)
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action="user.create",
            target_type="user",
            target_id=user.id,
            details={"username": username, "role": role, "team": team},
        )
    return user, password


def list_users(db: Database) -> list[tuple[User, list[tuple[str, str]]]]:
    """Members with their (team, role) pairs."""
    with db.read() as tx:
        return store_users.list_users(tx.session)
