"""Who may do what: the one authorisation policy of the web app, the API and the CLI.

Roles are per team (``memberships``); an organisation admin (``users.is_admin``) may do
everything. ``POLICY`` says which team roles allow each action; actions on a team's things
(topics, members, mention corrections, the team dashboard) need the role *in that team*,
organisation-wide actions (sources) need it in any team.

| action            | admin | manager | responder | viewer | reviewer | scope                    |
| ----------------- | ----- | ------- | --------- | ------ | -------- | ------------------------ |
| mentions.read     | yes   | yes     | yes       | yes    | yes      | own teams + shared topics |
| mentions.correct  | yes   | yes     | yes       | no     | no       | the mention's team       |
| topics.read       | yes   | yes     | yes       | yes    | yes      | own teams + shared topics |
| topics.write      | yes   | yes     | no        | no     | no       | the topic's team         |
| sources.read      | yes   | yes     | yes       | yes    | yes      | any team                 |
| sources.write     | yes   | yes     | no        | no     | no       | any team                 |
| teams.read        | yes   | yes     | yes       | yes    | yes      | any team                 |
| teams.create      | -     | -       | -         | -      | -        | organisation admin only  |
| members.read      | yes   | yes     | yes       | yes    | yes      | that team                |
| members.write     | yes   | yes     | no        | no     | no       | that team                |
| dashboards.read   | yes   | yes     | yes       | yes    | yes      | that team / shared data  |
| corrections.export| yes   | yes     | no        | no     | no       | posts of their teams     |
| deliveries.write  | -     | -       | -         | -      | -        | organisation admin only  |

A read-only API token (scope ``read``) allows only the ``*.read`` actions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slusha.errors import Forbidden
from slusha.store.schema import TEAM_ROLES
from slusha.store.stream import Visibility

EVERY_ROLE = frozenset(TEAM_ROLES)
EDITORS = frozenset({"admin", "manager"})

POLICY: dict[str, frozenset[str]] = {
    "mentions.read": EVERY_ROLE,
    "mentions.correct": frozenset({"admin", "manager", "responder"}),
    "topics.read": EVERY_ROLE,
    "topics.write": EDITORS,
    "sources.read": EVERY_ROLE,
    "sources.write": EDITORS,
    "teams.read": EVERY_ROLE,
    "teams.create": frozenset(),
    "members.read": EVERY_ROLE,
    "members.write": EDITORS,
    "dashboards.read": EVERY_ROLE,
    "corrections.export": EDITORS,
    "deliveries.write": frozenset(),  # sending failed alerts again: organisation admins
}
READ_ACTIONS = frozenset(a for a in POLICY if a.endswith(".read"))
TOKEN_SCOPES = ("read", "write")


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in member (by session or API token) with their roles per team."""

    user_id: int
    username: str
    is_admin: bool
    roles: dict[int, str] = field(default_factory=dict)
    locale: str | None = None
    scope: str = "write"

    @property
    def visibility(self) -> Visibility:
        """What this member's mention and topic lists contain."""
        return Visibility(None if self.is_admin else tuple(sorted(self.roles)))

    def is_member(self, team_id: int) -> bool:
        """True when the member has a role in ``team_id`` (or is an organisation admin)."""
        return self.is_admin or team_id in self.roles


def can(principal: Principal, action: str, team_id: int | None = None) -> bool:
    """True when ``principal`` may do ``action`` (on ``team_id``'s things when given)."""
    allowed = POLICY[action]
    if principal.scope != "write" and action not in READ_ACTIONS:
        return False
    if principal.is_admin:
        return True
    if team_id is None:
        return any(role in allowed for role in principal.roles.values())
    return principal.roles.get(team_id) in allowed


def require(principal: Principal, action: str, team_id: int | None = None) -> None:
    """Raise ``Forbidden`` unless ``principal`` may do ``action``."""
    if not can(principal, action, team_id):
        raise Forbidden(f"your role does not allow {action}", code="forbidden")
