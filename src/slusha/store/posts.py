"""Posts and mentions: the batched, idempotent save of the pipeline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from slusha.domain.post import Author
from slusha.domain.post import Post as DomainPost
from slusha.store.bulk import insert_many, insert_returning, unprepared
from slusha.store.rollups import add_ingest_counts, add_rollups
from slusha.store.schema import Mention, Post, PostDeletion

KEY_CHUNK = 400  # row-value IN lists stay well under SQLite's variable limit


@dataclass(slots=True)
class Routed:
    """One (topic, team) a post goes to, with the routing decision."""

    topic_id: int
    team_id: int
    priority: str = "normal"
    status: str = "new"
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class PostRecord:
    """A post on its way into the store, with what the pipeline learned about it."""

    post: DomainPost
    lang: str | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None
    routes: list[Routed] = field(default_factory=list)
    source_id: int | None = None


@dataclass(slots=True)
class NewMention:
    """A mention created by this save (the outbox turns it into an event)."""

    id: int
    post_id: int
    topic_id: int
    team_id: int
    network: str
    external_id: str
    sentiment: str | None
    lang: str | None


@dataclass(slots=True)
class SaveResult:
    """What one save did."""

    new_posts: int = 0
    updated_posts: int = 0
    new_mentions: list[NewMention] = field(default_factory=list)
    post_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    new_keys: set[tuple[str, str]] = field(default_factory=set)  # (network, id) inserted now


POST_COLUMNS = (
    "network",
    "external_id",
    "text",
    "title",
    "html",
    "url",
    "created_at",
    "author_handle",
    "author_name",
    "author_followers",
    "author_url",
    "author_id",
    "lang",
    "lang_given",
    "reply_to",
    "thread",
    "kind",
    "metrics",
    "extra",
    "sentiment",
    "sentiment_score",
    "is_deleted",
    "source_id",
    "ingested_at",
    "updated_at",
)


def post_values(record: PostRecord, now: datetime) -> tuple[Any, ...]:
    """A record's row of the posts table, in ``POST_COLUMNS`` order."""
    post = record.post
    author = post.author or _NO_AUTHOR
    return (
        post.network,
        post.id,
        post.text,
        post.title,
        post.html,
        post.url,
        post.created_at,
        author.handle,
        author.name,
        author.followers,
        author.url,
        author.id,
        record.lang,
        post.lang,
        post.reply_to,
        post.thread,
        post.kind,
        post.metrics,
        post.extra,
        record.sentiment,
        record.sentiment_score,
        False,
        record.source_id,
        now,
        now,
    )


def insert_posts(
    session: Session, *, records: Sequence[PostRecord], now: datetime
) -> list[tuple[int, str, str]]:
    """Insert the records' posts that are not stored yet; returns (id, network, id) of each."""
    rows = insert_returning(
        session.connection(),
        Post.__table__,  # type: ignore[arg-type]
        POST_COLUMNS,
        [post_values(r, now) for r in records],
        conflict=("network", "external_id"),
        returning=("id", "network", "external_id"),
    )
    return [(int(pid), network, ext) for pid, network, ext in rows]


_NO_AUTHOR = Author()


def existing_post_ids(
    session: Session, *, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Ids of the stored posts among ``(network, external_id)`` keys.

    Plain driver SQL, one query per network and chunk: this runs for every post the pipeline
    sees, and building the equivalent row-value ``IN`` through SQLAlchemy cost more than the
    query itself.
    """
    found: dict[tuple[str, str], int] = {}
    if not keys:
        return found
    by_network: dict[str, list[str]] = {}
    for network, external_id in keys:
        by_network.setdefault(network, []).append(external_id)
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    select_ids = f"SELECT id, external_id FROM {Post.__tablename__} WHERE network = ?"
    chunk_size = 10 * KEY_CHUNK if postgres else KEY_CHUNK  # one array parameter there
    for network, external_ids in by_network.items():
        for start in range(0, len(external_ids), chunk_size):
            chunk = external_ids[start : start + chunk_size]
            if postgres:
                # One unique-index probe per key, whatever the table's statistics say: with
                # "= ANY(array)" a freshly filled table (not analysed yet) was scanned per
                # network instead, 4x slower at 50,000 posts and worse as it grew.
                sql = (
                    "SELECT p.id, p.external_id FROM unnest(%s::text[]) AS k(external_id) "
                    f"CROSS JOIN LATERAL (SELECT id, external_id FROM {Post.__tablename__} "
                    "WHERE network = %s AND external_id = k.external_id LIMIT 1) AS p"
                )
                rows = unprepared(connection, sql, (chunk, network))
            else:
                marks = ",".join("?" * len(chunk))
                sql = select_ids + f" AND external_id IN ({marks})"
                rows = list(connection.exec_driver_sql(sql, (network, *chunk)).fetchall())
            for post_id, external_id in rows:
                found[(network, external_id)] = post_id
    return found


MENTION_COLUMNS = (
    "post_id",
    "topic_id",
    "team_id",
    "routed_team_id",
    "network",
    "posted_at",
    "status",
    "priority",
    "sentiment",
    "sentiment_score",
    "lang",
    "created_at",
    "updated_at",
)


def save_posts(
    session: Session,
    *,
    records: Sequence[PostRecord],
    now: datetime,
    day: str,
    known: dict[tuple[str, str], int] | None = None,
) -> SaveResult:
    """Insert new posts, update known ones (metrics, edits), add mentions; idempotent.

    ``records`` must hold each (network, id) once. Rollups and ingest counters are
    updated in the same transaction, so dashboards never disagree with the rows. ``known``
    is the caller's ``existing_post_ids`` of (at least) these records' keys, when it has it.
    """
    result = SaveResult()
    if not records:
        return result
    if known is None:
        known = existing_post_ids(session, keys=[(r.post.network, r.post.id) for r in records])
    else:
        known = dict(known)
    fresh = [r for r in records if (r.post.network, r.post.id) not in known]
    stale = [r for r in records if (r.post.network, r.post.id) in known]
    if fresh:
        rows = insert_posts(session, records=fresh, now=now)
        inserted = {(network, ext): pid for pid, network, ext in rows}
        result.new_posts = len(inserted)
        result.new_keys = set(inserted)
        raced = [r for r in fresh if (r.post.network, r.post.id) not in inserted]
        if raced:  # another worker inserted them between our read and our write
            known.update(
                existing_post_ids(session, keys=[(r.post.network, r.post.id) for r in raced])
            )
            stale += raced
        known.update(inserted)
    if stale:
        update_posts(session, records=stale, ids=known, now=now)
        result.updated_posts = len(stale)
    result.post_ids = known
    result.new_mentions = _add_mentions(session, records=records, ids=known, now=now)
    counts: Counter[tuple[str, str]] = Counter()
    for record in records:
        outcome = "matched" if record.routes else "unmatched"
        counts[(record.post.network, outcome)] += 1
    for record in stale:
        counts[(record.post.network, "duplicate")] += 1
    add_ingest_counts(session, day=day, counts=counts)
    add_rollups(session, mentions=result.new_mentions, records=records, ids=known)
    return result


def update_posts(
    session: Session,
    *,
    records: Sequence[PostRecord],
    ids: dict[tuple[str, str], int],
    now: datetime,
) -> None:
    """Apply edits and new metrics to stored posts (a re-ingested post is never duplicated)."""
    params = []
    for record in records:
        post = record.post
        params.append(
            {
                "b_id": ids[(post.network, post.id)],
                "b_text": post.text,
                "b_title": post.title,
                "b_html": post.html,
                "b_metrics": post.metrics,
                "b_updated_at": now,
            }
        )
    stmt = (
        update(Post)
        .where(Post.id == bindparam("b_id"))
        .values(
            text=bindparam("b_text"),
            title=bindparam("b_title"),
            html=bindparam("b_html"),
            metrics=bindparam("b_metrics", type_=Post.__table__.c.metrics.type),
            updated_at=bindparam("b_updated_at", type_=Post.__table__.c.updated_at.type),
        )
    )
    session.connection().execute(stmt, params)


def _add_mentions(
    session: Session,
    *,
    records: Sequence[PostRecord],
    ids: dict[tuple[str, str], int],
    now: datetime,
) -> list[NewMention]:
    rows = []
    for record in records:
        post = record.post
        post_id = ids.get((post.network, post.id))
        if post_id is None:
            continue
        for route in record.routes:
            rows.append(
                (
                    post_id,
                    route.topic_id,
                    route.team_id,
                    route.team_id,
                    post.network,
                    post.created_at,
                    route.status,
                    route.priority,
                    record.sentiment,
                    record.sentiment_score,
                    record.lang,
                    now,
                    now,
                )
            )
    if not rows:
        return []
    inserted = insert_returning(
        session.connection(),
        Mention.__table__,  # type: ignore[arg-type]
        MENTION_COLUMNS,
        rows,
        conflict=("post_id", "topic_id", "routed_team_id"),
        returning=("id", "post_id", "topic_id", "team_id"),
    )
    by_post = {
        ids[(r.post.network, r.post.id)]: r for r in records if (r.post.network, r.post.id) in ids
    }
    created = []
    for mention_id, post_id, topic_id, team_id in sorted(inserted):
        record = by_post[post_id]
        created.append(
            NewMention(
                id=mention_id,
                post_id=post_id,
                topic_id=topic_id,
                team_id=team_id,
                network=record.post.network,
                external_id=record.post.id,
                sentiment=record.sentiment,
                lang=record.lang,
            )
        )
    return created


DELETIONS_KEPT = timedelta(days=1)


def mark_deleted(
    session: Session, *, network: str, external_ids: Sequence[str], now: datetime
) -> int:
    """Mark posts deleted at the source; they stay for the audit trail but leave every list.

    The deletion is also remembered for a day (``post_deletions``), so that a post stored
    after its deletion (another worker's batch) is stored as deleted.
    """
    if not external_ids:
        return 0
    ids = list(dict.fromkeys(external_ids))
    stmt = (
        update(Post)
        .where(Post.network == network, Post.external_id.in_(ids))
        .values(is_deleted=True, updated_at=now)
    )
    count = int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
    insert_many(
        session.connection(),
        PostDeletion.__table__,  # type: ignore[arg-type]
        ("network", "external_id", "deleted_at"),
        [(network, external_id, now) for external_id in ids],
        conflict=("network", "external_id"),
    )
    session.execute(delete(PostDeletion).where(PostDeletion.deleted_at < now - DELETIONS_KEPT))
    return count


def deleted_before_stored(
    session: Session, *, keys: Iterable[tuple[str, str]], now: datetime
) -> int:
    """Mark deleted those of ``keys`` (just stored) whose deletion arrived first."""
    by_network: dict[str, list[str]] = {}
    for network, external_id in keys:
        by_network.setdefault(network, []).append(external_id)
    count = 0
    for network, ids in by_network.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found = list(
                session.scalars(
                    select(PostDeletion.external_id).where(
                        PostDeletion.network == network, PostDeletion.external_id.in_(chunk)
                    )
                )
            )
            if found:
                count += int(
                    session.execute(  # type: ignore[attr-defined]
                        update(Post)
                        .where(Post.network == network, Post.external_id.in_(found))
                        .values(is_deleted=True, updated_at=now)
                    ).rowcount
                    or 0
                )
    return count


def to_domain(row: Post) -> DomainPost:
    """A stored post back in the post format (as it was received, plus what was learned)."""
    author = None
    if any(
        (row.author_handle, row.author_name, row.author_followers, row.author_url, row.author_id)
    ):
        author = Author(
            handle=row.author_handle,
            name=row.author_name,
            followers=row.author_followers,
            url=row.author_url,
            id=row.author_id,
        )
    return DomainPost(
        network=row.network,
        id=row.external_id,
        text=row.text,
        created_at=row.created_at,
        url=row.url,
        title=row.title,
        html=row.html,
        author=author,
        lang=row.lang,
        reply_to=row.reply_to,
        thread=row.thread,
        kind=row.kind,
        metrics=dict(row.metrics or {}),
        extra=dict(row.extra or {}),
    )


def recent_posts(session: Session, *, limit: int) -> list[DomainPost]:
    """The newest stored posts (not deleted), newest first."""
    stmt = (
        select(Post)
        .where(Post.is_deleted.is_(False))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return [to_domain(row) for row in session.scalars(stmt)]
