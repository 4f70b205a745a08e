"""Working the team inbox: list, status, assign, hand over, priority, tags, notes, bulk.

Every action checks who acts (``inbox_access``), writes the audit log and the mention's
history in the same transaction, and leaves an event in the outbox for live updates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slusha.clock import Clock
from slusha.domain.inbox import (
    MAX_NOTE_CHARS,
    OPEN_STATUSES,
    STATUSES,
    check_transition,
    mentioned_names,
)
from slusha.domain.routing import PRIORITIES, normalise_tag
from slusha.errors import Forbidden, InputError, NotFound, SlushaError
from slusha.services import sla
from slusha.services.access import Principal
from slusha.services.inbox_access import actor_id, can_inbox, require_inbox, require_visible
from slusha.services.mentions import mention_row
from slusha.store import events as store_events
from slusha.store import inbox as store_inbox
from slusha.store import members as store_members
from slusha.store import users as store_users
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.inbox import InboxFilter, Row
from slusha.store.schema import Mention, Post, Team, Topic, User

EVENT_ASSIGNED = "inbox.assigned"
EVENT_STATUS = "inbox.status"
EVENT_HANDOVER = "inbox.handover"
EVENT_UPDATED = "inbox.updated"
EVENT_MENTIONED = "inbox.mentioned"
EVENT_NOTE = "inbox.note"  # every note: other processes' open pages of the mention refresh
BULK_LIMIT = 500


@dataclass(slots=True)
class Work:
    """One action in progress: the locked row, who acts, when, and what to emit."""

    session: Any
    principal: Principal
    now: datetime
    mention: Mention
    post: Post
    topic: Topic
    team: Team
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def audit(self, action: str, details: dict[str, Any]) -> None:
        """Write the audit-log row of this action."""
        record_action(
            self.session,
            at=self.now,
            actor=self.principal.username,
            actor_id=actor_id(self.principal),
            action=action,
            target_type="mention",
            target_id=self.mention.id,
            details=details,
        )

    def history(self, field_name: str, old: object, new: object, note: str | None = None) -> None:
        """Record a change of the mention's work state."""
        store_inbox.add_history(
            self.session,
            mention_id=self.mention.id,
            at=self.now,
            actor=self.principal.username,
            actor_id=actor_id(self.principal),
            field=field_name,
            old=old,
            new=new,
            note=note,
        )

    def emit(self, kind: str, **payload: Any) -> None:
        """Queue an outbox event about this mention."""
        self.events.append(
            (
                kind,
                {
                    "mention_id": self.mention.id,
                    "team_id": self.mention.team_id,
                    "actor": self.principal.username,
                    **payload,
                },
            )
        )


def _load(session: Any, principal: Principal, mention_id: int, action: str) -> Row:
    row = store_inbox.get_row(session, mention_id=mention_id, for_update=action != "inbox.read")
    if row is None:
        raise NotFound(f"no mention {mention_id}")
    mention, _post, topic, _team = row
    require_visible(
        principal, mention_id=mention_id, team_id=mention.team_id, private=topic.is_private
    )
    require_inbox(principal, action, mention.team_id)
    return row


def act(
    db: Database,
    *,
    principal: Principal,
    mention_id: int,
    clock: Clock,
    change: Callable[[Work], None],
    action: str = "inbox.work",
) -> dict[str, Any]:
    """Run ``change`` on one mention in one transaction; return the mention as shown."""
    now = clock.now()
    with db.transaction() as tx:
        mention, post, topic, team = _load(tx.session, principal, mention_id, action)
        work = Work(tx.session, principal, now, mention, post, topic, team)
        change(work)
        mention.updated_at = now
        tx.session.flush()
        store_events.add_events(tx.session, events=work.events, now=now)
        team = tx.session.get(Team, mention.team_id) or team
        return _view(tx.session, mention, post, topic, team)


def _view(session: Any, mention: Mention, post: Post, topic: Topic, team: Team) -> dict[str, Any]:
    out = mention_row(mention, post, topic, team)
    out["tags"] = store_inbox.tags_of(session, mention_ids=[mention.id]).get(mention.id, [])
    out["assignee"] = _username(session, mention.assignee_id)
    out["team_id"] = mention.team_id
    return out


def _username(session: Any, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.username if user is not None else None


def _set_status(work: Work, status: str, note: str | None = None) -> None:
    old = work.mention.status
    check_transition(old, status)
    work.mention.status = status
    work.history("status", old, status, note)
    work.audit("mention.status", {"from": old, "to": status})
    work.emit(EVENT_STATUS, old=old, new=status)
    sla.on_status(
        work.session,
        mention=work.mention,
        old=old,
        new=status,
        user_id=actor_id(work.principal),
        at=work.now,
    )


def set_status(
    db: Database,
    *,
    principal: Principal,
    mention_id: int,
    status: str,
    clock: Clock,
    note: str | None = None,
) -> dict[str, Any]:
    """Move a mention along new -> open -> waiting -> resolved (or ignored, or reopen)."""
    return act(
        db,
        principal=principal,
        mention_id=mention_id,
        clock=clock,
        change=lambda w: _set_status(w, status, note),
    )


def _member(session: Any, *, username: str, team_id: int) -> User:
    user = store_users.get_user_by_name(session, username=username)
    if user is None or not user.is_active:
        raise InputError(f"no active member named {username!r}")
    roles = dict((u.id, r) for u, r in store_members.members_of(session, team_id=team_id))
    if not user.is_admin and roles.get(user.id) not in ("admin", "manager", "responder"):
        raise InputError(f"{user.username} cannot work this team's mentions (no working role)")
    return user


def _assign_user(work: Work, username: str | None) -> None:
    old = work.mention.assignee_id
    new_user = None
    if username:
        new_user = _member(work.session, username=username, team_id=work.mention.team_id)
    new = new_user.id if new_user else None
    if new == old:
        return
    work.mention.assignee_id = new
    if new is not None and work.mention.status == "new":
        work.mention.status = "open"
        work.history("status", "new", "open")
        sla.on_status(
            work.session,
            mention=work.mention,
            old="new",
            new="open",
            user_id=actor_id(work.principal),
            at=work.now,
        )
    work.history("assignee", _username(work.session, old), username)
    work.audit("mention.assign", {"from": _username(work.session, old), "to": username})
    work.emit(EVENT_ASSIGNED, assignee_id=new, assignee=new_user.username if new_user else None)
    sla.on_assigned(work.session, mention=work.mention, at=work.now)


def _hand_over(work: Work, team: str, note: str | None) -> None:
    target = store_inbox.team_by_name(work.session, name=team)
    old_team = work.mention.team_id
    if target.id == old_team:
        raise InputError(f"the mention is in {target.name} already", code="conflict")
    work.mention.team_id = target.id
    old_assignee = work.mention.assignee_id
    work.mention.assignee_id = None
    work.history("team", old_team, target.id, note)
    if old_assignee is not None:
        work.history("assignee", _username(work.session, old_assignee), None)
    if note:
        store_inbox.add_note(
            work.session,
            mention_id=work.mention.id,
            author=work.principal.username,
            author_id=actor_id(work.principal),
            text=note,
            mentioned_user_ids=[],
            now=work.now,
        )
    work.audit("mention.handover", {"from_team": old_team, "to_team": target.id, "note": note})
    work.emit(EVENT_HANDOVER, from_team_id=old_team, to_team_id=target.id, note=note)
    sla.on_team_changed(work.session, mention=work.mention)


def assign(
    db: Database,
    *,
    principal: Principal,
    mention_id: int,
    clock: Clock,
    user: str | None = None,
    team: str | None = None,
    note: str | None = None,
    unassign: bool = False,
) -> dict[str, Any]:
    """Assign to a member of the mention's team, or to a team (a handover with a note)."""
    if sum(bool(x) for x in (user, team, unassign)) != 1:
        raise InputError("assign to exactly one of: a member (--to), a team (--team), or nobody")

    def change(work: Work) -> None:
        if team:
            _hand_over(work, team, note)
        else:
            _assign_user(work, None if unassign else user)

    return act(db, principal=principal, mention_id=mention_id, clock=clock, change=change)


def hand_over(
    db: Database,
    *,
    principal: Principal,
    mention_id: int,
    team: str,
    clock: Clock,
    note: str | None = None,
) -> dict[str, Any]:
    """Give a mention to another team, with a note for them."""
    return assign(db, principal=principal, mention_id=mention_id, clock=clock, team=team, note=note)


def _set_priority(work: Work, priority: str) -> None:
    if priority not in PRIORITIES:
        raise InputError(f"unknown priority {priority!r} (one of: {', '.join(PRIORITIES)})")
    old = work.mention.priority
    if old == priority:
        return
    work.mention.priority = priority
    work.history("priority", old, priority)
    work.audit("mention.priority", {"from": old, "to": priority})
    work.emit(EVENT_UPDATED, priority=priority)


def set_priority(
    db: Database, *, principal: Principal, mention_id: int, priority: str, clock: Clock
) -> dict[str, Any]:
    """Set a mention's priority (low, normal, high, urgent)."""
    return act(
        db,
        principal=principal,
        mention_id=mention_id,
        clock=clock,
        change=lambda w: _set_priority(w, priority),
    )


def _tag(work: Work, add: Sequence[str], remove: Sequence[str]) -> None:
    added = [normalise_tag(t) for t in add]
    removed = [normalise_tag(t) for t in remove]
    store_inbox.add_tags(work.session, pairs=[(work.mention.id, t) for t in added])
    if removed:
        store_inbox.remove_tags(work.session, mention_id=work.mention.id, tags=removed)
    work.audit("mention.tags", {"added": added, "removed": removed})
    work.emit(EVENT_UPDATED, tags_added=added, tags_removed=removed)


def tag(
    db: Database,
    *,
    principal: Principal,
    mention_id: int,
    clock: Clock,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> dict[str, Any]:
    """Add and remove tags."""
    return act(
        db,
        principal=principal,
        mention_id=mention_id,
        clock=clock,
        change=lambda w: _tag(w, add, remove),
    )


def _note(work: Work, text: str) -> None:
    text = text.strip()
    if not text:
        raise InputError("a note needs some text")
    if len(text) > MAX_NOTE_CHARS:
        raise InputError(f"a note has at most {MAX_NOTE_CHARS} characters")
    notified: list[User] = []
    for name in mentioned_names(text):
        user = store_users.get_user_by_name(work.session, username=name)
        if user is not None and user.is_active and user.id != actor_id(work.principal):
            notified.append(user)
    note = store_inbox.add_note(
        work.session,
        mention_id=work.mention.id,
        author=work.principal.username,
        author_id=actor_id(work.principal),
        text=text,
        mentioned_user_ids=[u.id for u in notified],
        now=work.now,
    )
    work.audit("mention.note", {"note_id": note.id, "mentioned": [u.username for u in notified]})
    work.emit(EVENT_NOTE, note_id=note.id)
    for user in notified:
        work.emit(
            EVENT_MENTIONED,
            user_id=user.id,
            username=user.username,
            note_id=note.id,
            text=text[:280],
        )


def add_note(
    db: Database, *, principal: Principal, mention_id: int, text: str, clock: Clock
) -> dict[str, Any]:
    """An internal note: an ``inbox.note`` event, and for each ``@member`` ``inbox.mentioned``."""
    return act(
        db, principal=principal, mention_id=mention_id, clock=clock, change=lambda w: _note(w, text)
    )


@dataclass(slots=True)
class BulkResult:
    """What a bulk action did: ids done, and the reason for each one that was not."""

    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def bulk(
    db: Database,
    *,
    principal: Principal,
    mention_ids: Sequence[int],
    clock: Clock,
    status: str | None = None,
    assign_to: str | None = None,
    team: str | None = None,
    priority: str | None = None,
    add_tags: Sequence[str] = (),
    note: str | None = None,
    remove_tags: Sequence[str] = (),
) -> BulkResult:
    """Apply one set of changes to a selection; each mention succeeds or fails on its own.

    ``note`` goes with a hand-over to ``team`` (each mention gets it, as on its own page).
    """
    ids = list(dict.fromkeys(mention_ids))
    if len(ids) > BULK_LIMIT:
        raise InputError(f"select at most {BULK_LIMIT} mentions at once")
    if note and not team:
        raise InputError("a note goes with a hand-over: choose the team too")
    if note and len(note) > MAX_NOTE_CHARS:
        raise InputError(f"a note has at most {MAX_NOTE_CHARS} characters")

    def change(work: Work) -> None:
        if team:
            _hand_over(work, team, note or None)
        if assign_to:
            _assign_user(work, assign_to)
        if priority:
            _set_priority(work, priority)
        if add_tags or remove_tags:
            _tag(work, add_tags, remove_tags)
        if status and status != work.mention.status:
            _set_status(work, status)

    result = BulkResult()
    for mention_id in ids:
        try:
            act(db, principal=principal, mention_id=mention_id, clock=clock, change=change)
        except SlushaError as exc:
            result.failed[mention_id] = str(exc)
        else:
            result.done.append(mention_id)
    return result


def resolve_filter(
    db: Database,
    *,
    principal: Principal,
    team: str | None = None,
    mine: bool = False,
    status: str | None = None,
    priority: str | None = None,
    tag_name: str | None = None,
    unassigned: bool = False,
) -> InboxFilter:
    """Names into ids; ``status`` may be ``open`` (new, open, waiting) or ``all``."""
    statuses: tuple[str, ...] | None = OPEN_STATUSES
    if status == "all":
        statuses = None
    elif status == "active":
        statuses = OPEN_STATUSES
    elif status is not None:
        if status not in STATUSES:
            raise InputError(f"unknown status {status!r} (one of: {', '.join(STATUSES)}, all)")
        statuses = (status,)
    team_ids = None
    if team is not None:
        with db.read() as tx:
            team_ids = (store_inbox.team_by_name(tx.session, name=team).id,)
    if mine and not principal.user_id:
        raise InputError("--mine needs a member (--user)")
    return InboxFilter(
        team_ids=team_ids,
        assignee_id=principal.user_id if mine else None,
        unassigned=unassigned,
        statuses=statuses,
        priority=priority,
        tag=normalise_tag(tag_name) if tag_name else None,
    )


def list_inbox(
    db: Database,
    *,
    principal: Principal,
    filters: InboxFilter,
    limit: int = 50,
    before: tuple[datetime, int] | None = None,
) -> list[dict[str, Any]]:
    """A team inbox or the "mine" view, newest first, only what the member may see."""
    if not can_inbox(principal, "inbox.read"):
        raise Forbidden("your role does not allow inbox.read", code="forbidden")
    with db.read() as tx:
        rows = store_inbox.list_inbox(
            tx.session, filters=filters, visibility=principal.visibility, limit=limit, before=before
        )
        ids = [m.id for m, _p, _t, _tm in rows]
        tags = store_inbox.tags_of(tx.session, mention_ids=ids)
        users = {m.assignee_id for m, _p, _t, _tm in rows if m.assignee_id}
        names = {uid: _username(tx.session, uid) for uid in users}
        out = []
        for mention, post, topic, team in rows:
            view = mention_row(mention, post, topic, team)
            view["tags"] = tags.get(mention.id, [])
            view["assignee"] = names.get(mention.assignee_id) if mention.assignee_id else None
            view["team_id"] = mention.team_id
            view["posted_at"] = mention.posted_at.isoformat()
            out.append(view)
        return out


def get_mention(db: Database, *, principal: Principal, mention_id: int) -> dict[str, Any]:
    """One mention with its work: tags, notes, history, replies, conversation, timer."""
    from slusha.store import sla as store_sla

    with db.read() as tx:
        session = tx.session
        mention, post, topic, team = _load(session, principal, mention_id, "inbox.read")
        view = _view(session, mention, post, topic, team)
        view["notes"] = [
            {"author": n.author, "text": n.text, "at": n.created_at.isoformat()}
            for n in store_inbox.notes_of(session, mention_id=mention.id)
        ]
        view["history"] = [
            {
                "at": h.at.isoformat(),
                "actor": h.actor,
                "field": h.field,
                "from": h.old_value,
                "to": h.new_value,
                "note": h.note,
            }
            for h in store_inbox.history_of(session, mention_id=mention.id)
        ]
        view["conversation"] = conversation(session, post=post)
        timer = store_sla.get_timer(session, mention_id=mention.id)
        view["timer"] = _timer_view(timer)
        return view


def conversation(session: Any, *, post: Post) -> list[dict[str, Any]]:
    """The thread around a post, with the replies Slusha sent, in time order."""
    posts = store_inbox.thread_posts(session, post=post)
    root = post.thread or post.external_id
    mentions = store_inbox.conversation_mentions(session, network=post.network, root=root)
    replies = store_inbox.replies_of(session, mention_ids=[m.id for m in mentions] or [-1])
    items: list[dict[str, Any]] = [
        {
            "kind": "post",
            "id": p.external_id,
            "author": p.author_handle,
            "text": p.text,
            "at": p.created_at.isoformat(),
            "reply_to": p.reply_to,
        }
        for p in posts
    ]
    known = {p.external_id for p in posts}
    for reply in replies:
        if reply.external_id in known:
            continue  # our reply came back through the connector as a post
        items.append(
            {
                "kind": "reply",
                "id": reply.external_id,
                "author": reply.author,
                "text": reply.text,
                "at": (reply.sent_at or reply.created_at).isoformat(),
                "status": reply.status,
                "url": reply.url,
            }
        )
    return sorted(items, key=lambda item: item["at"])


def _timer_view(timer: Any) -> dict[str, Any] | None:
    if timer is None:
        return None

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "started_at": iso(timer.started_at),
        "first_response_due_at": iso(timer.first_response_due_at),
        "resolution_due_at": iso(timer.resolution_due_at),
        "first_response_at": iso(timer.first_response_at),
        "resolved_at": iso(timer.resolved_at),
        "first_response_seconds": timer.first_response_seconds,
        "resolution_seconds": timer.resolution_seconds,
        "is_running": timer.resolved_at is None,
        "breached": [b for b in timer.breached.split(",") if b],
    }
