"""Who may see and work which mentions in the inbox (the same ``Principal`` as the web app).

| action           | admin | manager | responder | viewer | reviewer | scope                       |
| ---------------- | ----- | ------- | --------- | ------ | -------- | --------------------------- |
| inbox.read       | yes   | yes     | yes       | yes    | yes      | own teams + shared topics   |
| inbox.work       | yes   | yes     | yes       | no     | no       | the mention's team          |
| inbox.reply      | yes   | yes     | yes       | no     | no       | the mention's team          |
| inbox.configure  | yes   | yes     | no        | no     | no       | that team (SLA, replies)    |
| routing.write    | -     | -       | -         | -      | -        | organisation admin only     |

A private topic's mentions are seen only by members of the mention's team; acting on a mention
always needs a working role in its team, even when the topic is shared.
"""

from __future__ import annotations

from slusha.errors import Forbidden, NotFound
from slusha.services.access import EVERY_ROLE, Principal
from slusha.store import sessions as store_sessions
from slusha.store import users as store_users
from slusha.store.db import Database

WORKERS = frozenset({"admin", "manager", "responder"})
INBOX_POLICY: dict[str, frozenset[str]] = {
    "inbox.read": EVERY_ROLE,
    "inbox.work": WORKERS,
    "inbox.reply": WORKERS,
    "inbox.configure": frozenset({"admin", "manager"}),
    "routing.write": frozenset(),
}


def operator(name: str = "cli") -> Principal:
    """The person at the command line or the system itself: allowed everything."""
    return Principal(user_id=0, username=name, is_admin=True)


def actor_id(principal: Principal) -> int | None:
    """The user id to record (None for the operator or the system)."""
    return principal.user_id or None


def can_inbox(principal: Principal, action: str, team_id: int | None = None) -> bool:
    """True when ``principal`` may do ``action`` (on ``team_id``'s mentions when given)."""
    allowed = INBOX_POLICY[action]
    if principal.scope != "write" and action != "inbox.read":
        return False
    if principal.is_admin:
        return True
    if team_id is None:
        return any(role in allowed for role in principal.roles.values())
    return principal.roles.get(team_id) in allowed


def require_inbox(principal: Principal, action: str, team_id: int | None = None) -> None:
    """Raise ``Forbidden`` unless ``principal`` may do ``action``."""
    if not can_inbox(principal, action, team_id):
        raise Forbidden(f"your role does not allow {action} here", code="forbidden")


def can_see(principal: Principal, *, team_id: int, is_private: bool) -> bool:
    """True when the member may see a mention of ``team_id`` (private topics: members only)."""
    return principal.is_admin or team_id in principal.roles or not is_private


def require_visible(principal: Principal, *, mention_id: int, team_id: int, private: bool) -> None:
    """Raise ``NotFound`` (not Forbidden: its existence is private too) when not visible."""
    if not can_see(principal, team_id=team_id, is_private=private):
        raise NotFound(f"no mention {mention_id}")


def principal_by_name(db: Database, *, username: str) -> Principal:
    """The member with their roles, by username (for the CLI's ``--user``)."""
    with db.transaction() as tx:
        user = store_users.get_user_by_name(tx.session, username=username)
        if user is None or not user.is_active:
            raise NotFound(f"no active member named {username!r} (see 'slusha users list')")
        return Principal(
            user_id=user.id,
            username=user.username,
            is_admin=user.is_admin,
            roles=store_sessions.roles_of(tx.session, user_id=user.id),
        )
