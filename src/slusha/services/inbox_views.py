"""What the inbox pages show beside the API's answers: who can be assigned, the reply outcomes,
saved replies filled in for one mention, and the SLA clocks as "due in" / "overdue".

Every read checks access exactly as ``inbox`` does (it calls ``inbox.get_mention``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slusha.clock import Clock
from slusha.domain.inbox import render_saved_reply
from slusha.errors import Forbidden, InputError, NotFound
from slusha.services import inbox, presence
from slusha.services.access import Principal
from slusha.services.inbox_access import WORKERS, can_inbox
from slusha.store import inbox as store_inbox
from slusha.store import members as store_members
from slusha.store import replies as store_replies
from slusha.store import sla as store_sla
from slusha.store.db import Database
from slusha.store.schema import Team

SOON_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One SLA deadline as shown: when it is due, when it was met, and its state."""

    name: str  # first_response | resolution
    due_at: datetime | None
    done_at: datetime | None
    state: str  # met | missed | breached | soon | running | none
    minutes: int  # minutes left (running, soon) or over (breached)


def team_of(db: Database, *, team_id: int) -> dict[str, Any]:
    """A team's id and name, or ``NotFound``."""
    with db.read() as tx:
        team = tx.session.get(Team, team_id)
        if team is None:
            raise NotFound(f"no team with id {team_id}")
        return {"id": team.id, "name": team.name}


def team_names(db: Database) -> list[str]:
    """Every team's name (hand-over targets)."""
    with db.read() as tx:
        return [t.name for t in store_inbox.all_teams(tx.session)]


def workers(db: Database, *, team_id: int) -> list[str]:
    """Usernames of the team's members who may work its mentions (assignees)."""
    with db.read() as tx:
        return [
            user.username
            for user, role in store_members.members_of(tx.session, team_id=team_id)
            if role in WORKERS and user.is_active
        ]


def user_id_of(db: Database, *, username: str) -> int | None:
    """A member's id by username (the assignee filter)."""
    from slusha.store import users as store_users

    with db.read() as tx:
        user = store_users.get_user_by_name(tx.session, username=username)
        return user.id if user is not None else None


def work_version(db: Database, *, mention_id: int) -> str:
    """A short token that changes whenever the mention's work does (its page's live stream
    sends ``work`` when it changes). Callers check access first; the token tells nothing."""
    with db.read() as tx:
        state = store_inbox.work_state(tx.session, mention_id=mention_id)
    return hashlib.sha256(repr(state).encode()).hexdigest()[:16]


def _clock(name: str, due: datetime | None, done: datetime | None, now: datetime) -> SlaClock:
    if due is None:
        return SlaClock(name, None, done, "none", 0)
    if done is not None:
        return SlaClock(name, due, done, "met" if done <= due else "missed", 0)
    left = (due - now).total_seconds()
    if left < 0:
        return SlaClock(name, due, None, "breached", int(-left // 60))
    return SlaClock(name, due, None, "soon" if left <= SOON_SECONDS else "running", int(left // 60))


def workbench(
    db: Database, *, principal: Principal, mention_id: int, clock: Clock
) -> dict[str, Any] | None:
    """The mention's work for its page; None when the member has no inbox role in its team.

    ``NotFound`` when the mention is private to another team (as the API answers).
    """
    # Read first: a change made while the view is read makes the page's stream send ``work``.
    version = work_version(db, mention_id=mention_id)
    try:
        view = inbox.get_mention(db, principal=principal, mention_id=mention_id)
    except Forbidden:
        return None
    team_id = int(view["team_id"])
    view["version"] = version
    view["checkin_seconds"] = int(presence.CHECKIN_SECONDS)
    now = clock.now()
    with db.read() as tx:
        session = tx.session
        view["replies"] = [
            {
                "status": r.status,
                "text": r.text,
                "author": r.author,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "url": r.url,
                "at": r.sent_at or r.updated_at,
                "key": r.idempotency_key,
            }
            for r in store_inbox.replies_of(session, mention_ids=[mention_id])
        ]
        saved = []
        row = store_inbox.get_row(session, mention_id=mention_id)
        assert row is not None
        _mention, post, topic, team = row
        values = {
            "author": post.author_name or post.author_handle,
            "topic": topic.name,
            "team": team.name,
            "agent": principal.username,
        }
        for item in store_replies.saved_replies(session, team_id=team_id):
            try:
                saved.append({"name": item.name, "text": render_saved_reply(item.text, values)})
            except InputError:
                continue
        view["saved_replies"] = saved
        timer = store_sla.get_timer(session, mention_id=mention_id)
        clocks = (
            [
                _clock("first_response", timer.first_response_due_at, timer.first_response_at, now),
                _clock("resolution", timer.resolution_due_at, timer.resolved_at, now),
            ]
            if timer is not None
            else []
        )
        view["clocks"] = [c for c in clocks if c.state != "none"]
    view["workers"] = workers(db, team_id=team_id)
    view["teams"] = [name for name in team_names(db) if name != view["team"]]
    view["can_work"] = can_inbox(principal, "inbox.work", team_id)
    view["can_reply"] = can_inbox(principal, "inbox.reply", team_id)
    return view
