"""The team inbox: mentions with their work state, tags, notes, history and conversations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_
from sqlalchemy.orm import Session

from slusha.errors import InputError
from slusha.store import teams as store_teams
from slusha.store.bulk import insert_many
from slusha.store.schema import (
    Mention,
    MentionHistory,
    MentionNote,
    MentionTag,
    Post,
    ReplyRecord,
    Team,
    Topic,
)
from slusha.store.stream import Visibility, visible_clause

Row = tuple[Mention, Post, Topic, Team]


def team_by_name(session: Session, *, name: str) -> Team:
    """The team with this name or slug, or ``InputError`` listing the teams."""
    team = store_teams.get_team_by_name(session, name=name)
    if team is None:
        known = ", ".join(t.name for t in store_teams.list_teams(session)) or "none"
        raise InputError(f"no team named {name!r} (teams: {known})")
    return team


def all_teams(session: Session) -> list[Team]:
    """Every team by name."""
    return store_teams.list_teams(session)


def get_row(session: Session, *, mention_id: int, for_update: bool = False) -> Row | None:
    """One mention with its post, topic and team (locked for update on PostgreSQL)."""
    stmt: Any = (
        select(Mention, Post, Topic, Team)
        .join(Post, Post.id == Mention.post_id)
        .join(Topic, Topic.id == Mention.topic_id)
        .join(Team, Team.id == Mention.team_id)
        .where(Mention.id == mention_id)
    )
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Mention)
    row = session.execute(stmt).first()
    return (row[0], row[1], row[2], row[3]) if row else None


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """What an inbox list shows; ``None`` means any."""

    team_ids: tuple[int, ...] | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    statuses: tuple[str, ...] | None = None
    priority: str | None = None
    tag: str | None = None
    topic_ids: tuple[int, ...] | None = None


def list_inbox(
    session: Session,
    *,
    filters: InboxFilter,
    visibility: Visibility,
    limit: int = 50,
    before: tuple[datetime, int] | None = None,
) -> list[Row]:
    """Newest first; keyset paging on (posted_at, id), served by the team/assignee indexes."""
    stmt: Any = (
        select(Mention, Post, Topic, Team)
        .join(Post, Post.id == Mention.post_id)
        .join(Topic, Topic.id == Mention.topic_id)
        .join(Team, Team.id == Mention.team_id)
        .where(Post.is_deleted.is_(False))
        .where(visible_clause(visibility, team_col=Mention.team_id, private_col=Topic.is_private))
    )
    f = filters
    if f.team_ids is not None:
        stmt = stmt.where(Mention.team_id.in_(f.team_ids or (-1,)))
    if f.assignee_id is not None:
        stmt = stmt.where(Mention.assignee_id == f.assignee_id)
    if f.unassigned:
        stmt = stmt.where(Mention.assignee_id.is_(None))
    if f.statuses is not None:
        stmt = stmt.where(Mention.status.in_(f.statuses))
    if f.priority is not None:
        stmt = stmt.where(Mention.priority == f.priority)
    if f.topic_ids is not None:
        stmt = stmt.where(Mention.topic_id.in_(f.topic_ids or (-1,)))
    if f.tag is not None:
        tagged = select(MentionTag.mention_id).where(MentionTag.tag == f.tag)
        stmt = stmt.where(Mention.id.in_(tagged))
    if before is not None:
        posted_at, mention_id = before
        stmt = stmt.where(
            or_(
                Mention.posted_at < posted_at,
                and_(Mention.posted_at == posted_at, Mention.id < mention_id),
            )
        )
    stmt = stmt.order_by(Mention.posted_at.desc(), Mention.id.desc()).limit(limit)
    return [(m, p, t, tm) for m, p, t, tm in session.execute(stmt).all()]


def tags_of(session: Session, *, mention_ids: Sequence[int]) -> dict[int, list[str]]:
    """Tags per mention, sorted."""
    out: dict[int, list[str]] = {}
    if not mention_ids:
        return out
    stmt = select(MentionTag.mention_id, MentionTag.tag).where(
        MentionTag.mention_id.in_(list(mention_ids))
    )
    for mention_id, tag in session.execute(stmt):
        out.setdefault(mention_id, []).append(tag)
    return {k: sorted(v) for k, v in out.items()}


def work_state(session: Session, *, mention_id: int) -> tuple[Any, ...] | None:
    """What the mention's page shows of its work, in one row: it differs whenever the page
    would (status, assignee, team, priority, tags, notes, history, replies). None if gone."""

    def of(model: Any, column: Any) -> Any:
        return select(column).where(model.mention_id == Mention.id).scalar_subquery()

    stmt = select(
        Mention.status,
        Mention.assignee_id,
        Mention.team_id,
        Mention.priority,
        Mention.updated_at,
        of(MentionNote, func.count(MentionNote.id)),
        of(MentionNote, func.max(MentionNote.id)),
        of(MentionHistory, func.count(MentionHistory.id)),
        of(MentionHistory, func.max(MentionHistory.id)),
        of(ReplyRecord, func.count(ReplyRecord.id)),
        of(ReplyRecord, func.sum(ReplyRecord.attempts)),
        of(ReplyRecord, func.max(ReplyRecord.updated_at)),
        of(ReplyRecord, func.count(ReplyRecord.sent_at)),
    ).where(Mention.id == mention_id)
    row = session.execute(stmt).first()
    if row is None:
        return None
    return (*row, *tags_of(session, mention_ids=[mention_id]).get(mention_id, []))


def add_tags(session: Session, *, pairs: Sequence[tuple[int, str]]) -> int:
    """Add (mention, tag) pairs that are not there yet; returns how many were new."""
    if not pairs:
        return 0
    wanted = list(dict.fromkeys(pairs))
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(wanted), 400):
        chunk = wanted[start : start + 400]
        stmt = select(MentionTag.mention_id, MentionTag.tag).where(
            tuple_(MentionTag.mention_id, MentionTag.tag).in_(chunk)
        )
        existing.update((m, t) for m, t in session.execute(stmt))
    fresh = [(m, t) for m, t in wanted if (m, t) not in existing]
    insert_many(session.connection(), MentionTag.__table__, ("mention_id", "tag"), fresh)  # type: ignore[arg-type]
    return len(fresh)


def remove_tags(session: Session, *, mention_id: int, tags: Sequence[str]) -> int:
    """Remove tags from a mention; returns how many were there."""
    result = session.execute(
        delete(MentionTag).where(MentionTag.mention_id == mention_id, MentionTag.tag.in_(tags))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def add_history(
    session: Session,
    *,
    mention_id: int,
    at: datetime,
    actor: str,
    actor_id: int | None,
    field: str,
    old: object,
    new: object,
    note: str | None = None,
) -> None:
    """Record one change of a mention's work state."""
    session.add(
        MentionHistory(
            mention_id=mention_id,
            at=at,
            actor=actor,
            actor_id=actor_id,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            note=note,
        )
    )


def history_of(session: Session, *, mention_id: int) -> list[MentionHistory]:
    """A mention's changes, oldest first."""
    stmt = (
        select(MentionHistory)
        .where(MentionHistory.mention_id == mention_id)
        .order_by(MentionHistory.at, MentionHistory.id)
    )
    return list(session.scalars(stmt))


def add_note(
    session: Session,
    *,
    mention_id: int,
    author: str,
    author_id: int | None,
    text: str,
    mentioned_user_ids: list[int],
    now: datetime,
) -> MentionNote:
    """Add an internal note."""
    note = MentionNote(
        mention_id=mention_id,
        author=author,
        author_id=author_id,
        text=text,
        mentioned_user_ids=mentioned_user_ids,
        created_at=now,
    )
    session.add(note)
    session.flush()
    return note


def notes_of(session: Session, *, mention_id: int) -> list[MentionNote]:
    """A mention's notes, oldest first."""
    stmt = (
        select(MentionNote)
        .where(MentionNote.mention_id == mention_id)
        .order_by(MentionNote.created_at, MentionNote.id)
    )
    return list(session.scalars(stmt))


def thread_posts(session: Session, *, post: Post, limit: int = 200) -> list[Post]:
    """The conversation of a post: its root, every post in the same thread, and its parent."""
    root = post.thread or post.external_id
    keys = {root, post.external_id}
    if post.reply_to:
        keys.add(post.reply_to)
    stmt = (
        select(Post)
        .where(
            Post.network == post.network,
            or_(Post.thread == root, Post.external_id.in_(sorted(keys))),
            Post.is_deleted.is_(False),
        )
        .order_by(Post.created_at, Post.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def replies_of(session: Session, *, mention_ids: Sequence[int]) -> list[ReplyRecord]:
    """Replies sent (or being sent) for these mentions, oldest first."""
    if not mention_ids:
        return []
    stmt = (
        select(ReplyRecord)
        .where(ReplyRecord.mention_id.in_(list(mention_ids)))
        .order_by(ReplyRecord.created_at, ReplyRecord.id)
    )
    return list(session.scalars(stmt))


def conversation_mentions(session: Session, *, network: str, root: str) -> list[Mention]:
    """Mentions of the posts in one thread (a conversation groups them)."""
    stmt = (
        select(Mention)
        .join(Post, Post.id == Mention.post_id)
        .where(Post.network == network, or_(Post.thread == root, Post.external_id == root))
        .order_by(Mention.id)
    )
    return list(session.scalars(stmt))


def reopen_candidates(
    session: Session, *, network: str, keys: Sequence[str]
) -> list[tuple[Mention, str, str | None, str | None]]:
    """Resolved or waiting mentions whose post (or our reply to it) has an id in ``keys``.

    Each comes with the key it was found by and its post's author (handle, id).
    """
    if not keys:
        return []
    out: list[tuple[Mention, str, str | None, str | None]] = []
    waiting = Mention.status.in_(("resolved", "waiting"))
    for start in range(0, len(keys), 400):
        chunk = list(keys[start : start + 400])
        by_post = (
            select(Mention, Post.external_id, Post.author_handle, Post.author_id)
            .join(Post, Post.id == Mention.post_id)
            .where(Post.network == network, Post.external_id.in_(chunk), waiting)
        )
        by_reply = (
            select(Mention, ReplyRecord.external_id, Post.author_handle, Post.author_id)
            .join(ReplyRecord, ReplyRecord.mention_id == Mention.id)
            .join(Post, Post.id == Mention.post_id)
            .where(ReplyRecord.network == network, ReplyRecord.external_id.in_(chunk), waiting)
        )
        for stmt in (by_post, by_reply):
            out.extend((m, str(k), h, a) for m, k, h, a in session.execute(stmt).all())
    return out


def counts_by_status(session: Session, *, team_id: int) -> dict[str, int]:
    """How many of a team's mentions are in each status."""
    stmt = (
        select(Mention.status, func.count(Mention.id))
        .where(Mention.team_id == team_id)
        .group_by(Mention.status)
    )
    return {str(s): int(n) for s, n in session.execute(stmt).all()}


def keep_posts(session: Session, *, records: Sequence[Any], now: datetime) -> None:
    """Store posts that matched no topic but belong to a conversation (they reopened it)."""
    from slusha.store.posts import insert_posts

    if records:
        insert_posts(session, records=records, now=now)


def usernames(session: Session, *, user_ids: Sequence[int]) -> dict[int, str]:
    """Usernames by id."""
    from slusha.store.schema import User

    if not user_ids:
        return {}
    stmt = select(User.id, User.username).where(User.id.in_(sorted(set(user_ids))))
    return {int(i): str(n) for i, n in session.execute(stmt).all()}
