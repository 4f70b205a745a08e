"""Recording posts: the save stage's transaction, with the outbox events it produces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slusha.clock import Clock
from slusha.domain.post import Post
from slusha.services import inbox_save
from slusha.store import events as store_events
from slusha.store import posts as store_posts
from slusha.store.db import Database
from slusha.store.posts import NewMention, PostRecord
from slusha.store.rollups import add_ingest_counts

EVENT_MENTION_CREATED = "mention.created"
SNIPPET_CHARS = 280


@dataclass(slots=True)
class BatchOutcome:
    """What one recorded batch did, for summaries and metrics."""

    new_posts: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    deleted: int = 0
    new_mentions: list[NewMention] = field(default_factory=list)
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    """(id, kind, payload) of the outbox events written: published after commit as they are."""

    @property
    def event_ids(self) -> list[int]:
        """The ids of ``events``."""
        return [event_id for event_id, _kind, _payload in self.events]


def mention_event(mention: NewMention, record: PostRecord) -> dict[str, Any]:
    """The ``mention.created`` payload: enough to show it live without another query."""
    post = record.post
    return {
        "mention_id": mention.id,
        "post_id": mention.post_id,
        "topic_id": mention.topic_id,
        "team_id": mention.team_id,
        "network": post.network,
        "id": post.id,
        "text": post.text[:SNIPPET_CHARS],
        "url": post.url,
        "author": post.author.handle if post.author else None,
        "followers": post.author.followers if post.author else None,
        "created_at": post.created_at.isoformat(),
        "lang": record.lang,
        "sentiment": record.sentiment,
    }


def record_batch(
    db: Database,
    *,
    records: Sequence[PostRecord],
    unmatched: Sequence[Post] = (),
    rejected: Counter[str] | None = None,
    deletions: Sequence[tuple[str, Sequence[str]]] = (),
    clock: Clock,
) -> BatchOutcome:
    """Save a batch in one transaction: posts, mentions, rollups, counters and events.

    ``unmatched`` posts are not stored, but one that is stored already (it matched before)
    still gets its edits and metrics. ``rejected`` counts invalid inputs per network.
    ``deletions`` ((network, ids) deleted at the source) apply after the batch's posts, so a
    post created and deleted in one batch ends up deleted.
    """
    now = clock.now()
    day = now.date().isoformat()
    outcome = BatchOutcome(matched=sum(1 for r in records if r.routes))
    outcome.unmatched = len(records) - outcome.matched + len(unmatched)
    with db.transaction() as tx:
        session = tx.session
        # One look-up for the whole batch: which posts, matched or not, are stored already.
        unmatched_keys = [(p.network, p.id) for p in unmatched]
        keys = [(r.post.network, r.post.id) for r in records] + unmatched_keys
        known = store_posts.existing_post_ids(session, keys=keys)
        saved = store_posts.save_posts(session, records=records, now=now, day=day, known=known)
        outcome.new_posts = saved.new_posts
        outcome.duplicates = saved.updated_posts
        if saved.new_keys:
            outcome.deleted += store_posts.deleted_before_stored(
                session, keys=saved.new_keys, now=now
            )
        for network, external_ids in deletions:
            outcome.deleted += store_posts.mark_deleted(
                session, network=network, external_ids=external_ids, now=now
            )
        new_unmatched: list[Post] = []
        if unmatched:
            edits: list[PostRecord] = []
            counts: Counter[tuple[str, str]] = Counter()
            for post, key in zip(unmatched, unmatched_keys, strict=True):
                if key in known:
                    edits.append(PostRecord(post=post))
                    counts[(post.network, "duplicate")] += 1
                else:
                    new_unmatched.append(post)
                    counts[(post.network, "unmatched")] += 1
            if edits:
                store_posts.update_posts(session, records=edits, ids=known, now=now)
                outcome.duplicates += len(edits)
            add_ingest_counts(session, day=day, counts=counts)
        if rejected:
            add_ingest_counts(
                session, day=day, counts=Counter({(n, "rejected"): c for n, c in rejected.items()})
            )
        by_key = {(r.post.network, r.post.id): r for r in records}
        events = [
            (EVENT_MENTION_CREATED, mention_event(m, by_key[(m.network, m.external_id)]))
            for m in saved.new_mentions
        ]
        events += inbox_save.after_save(
            session, records=records, saved=saved, now=now, new_unmatched=new_unmatched
        )
        event_ids = store_events.add_events(session, events=events, now=now)
        # One statement numbers its rows in order, so the sorted ids pair with the events.
        outcome.events = [
            (event_id, kind, payload)
            for event_id, (kind, payload) in zip(event_ids, events, strict=True)
        ]
        outcome.new_mentions = saved.new_mentions
    return outcome


def recent_posts(db: Database, *, limit: int = 1000) -> list[Post]:
    """The newest stored posts in the post format (for ``query test --stored`` and the editor)."""
    with db.read() as tx:
        return store_posts.recent_posts(tx.session, limit=limit)
