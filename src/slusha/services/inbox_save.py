"""What the save stage does for the inbox, in the batch's transaction.

New mentions get the tags routing gave them and a response-time timer; a post by the author of
a resolved (or waiting) conversation that replies into it reopens that conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slusha.domain.post import Post
from slusha.services import sla
from slusha.store import inbox as store_inbox
from slusha.store.audit import record_action
from slusha.store.posts import PostRecord, SaveResult

EVENT_REOPENED = "inbox.reopened"
REOPEN_NOTE = "the author wrote again in the conversation"


def after_save(
    session: Any,
    *,
    records: Sequence[PostRecord],
    saved: SaveResult,
    now: datetime,
    new_unmatched: Sequence[Post] = (),
) -> list[tuple[str, dict[str, Any]]]:
    """Tags and timers for the new mentions, reopened conversations; returns outbox events.

    Only posts seen for the first time reopen anything (``new_unmatched``: new posts that
    matched no topic, such as an author's "still broken" without the brand name).
    """
    by_key = {(r.post.network, r.post.id): r for r in records}
    pairs: list[tuple[int, str]] = []
    timed: list[tuple[int, int]] = []
    for mention in saved.new_mentions:
        record = by_key.get((mention.network, mention.external_id))
        route = None
        if record is not None:
            route = next(
                (
                    r
                    for r in record.routes
                    if r.topic_id == mention.topic_id and r.team_id == mention.team_id
                ),
                None,
            )
        if route is not None:
            pairs.extend((mention.id, tag) for tag in route.tags)
        if route is None or route.status != "ignored":
            timed.append((mention.id, mention.team_id))
    store_inbox.add_tags(session, pairs=pairs)
    sla.start_timers(session, mentions=timed, now=now)
    fresh = [r.post for r in records if (r.post.network, r.post.id) in saved.new_keys]
    events = reopen_conversations(session, posts=[*fresh, *new_unmatched], now=now)
    writers = {e[1]["post_id"] for e in events}
    # A reopening post that matched no topic is kept, so it shows in the thread and a
    # re-fetch of it is recognised as known (and reopens nothing twice).
    keep = [PostRecord(post=p) for p in new_unmatched if p.id in writers]
    store_inbox.keep_posts(session, records=keep, now=now)
    return events


def reopen_conversations(
    session: Any, *, posts: Sequence[Post], now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """Reopen resolved or waiting mentions whose author replied into their thread."""
    wanted: dict[str, dict[str, list[Post]]] = {}
    for post in posts:
        reply_to, thread = post.reply_to, post.thread
        if reply_to is None and thread is None:  # most posts: this runs for every new one
            continue
        if post.author is None or not (post.author.handle or post.author.id):
            continue
        for key in {reply_to, thread} - {None, post.id}:
            assert key is not None
            wanted.setdefault(post.network, {}).setdefault(key, []).append(post)
    events: list[tuple[str, dict[str, Any]]] = []
    reopened: set[int] = set()
    for network, by_key in wanted.items():
        candidates = store_inbox.reopen_candidates(session, network=network, keys=sorted(by_key))
        for mention, key, handle, author_id in candidates:
            if mention.id in reopened:
                continue
            writer = next(
                (p for p in by_key.get(key, []) if _same_author(p, handle, author_id)), None
            )
            if writer is None:
                continue
            reopened.add(mention.id)
            old = mention.status
            mention.status = "open"
            mention.updated_at = now
            store_inbox.add_history(
                session,
                mention_id=mention.id,
                at=now,
                actor="system",
                actor_id=None,
                field="status",
                old=old,
                new="open",
                note=REOPEN_NOTE,
            )
            record_action(
                session,
                at=now,
                actor="system",
                action="mention.reopen",
                target_type="mention",
                target_id=mention.id,
                details={"from": old, "by_post": writer.id},
            )
            sla.on_status(session, mention=mention, old=old, new="open", user_id=None, at=now)
            events.append(
                (
                    EVENT_REOPENED,
                    {
                        "mention_id": mention.id,
                        "team_id": mention.team_id,
                        "from": old,
                        "post_id": writer.id,
                    },
                )
            )
    return events


def _same_author(post: Post, handle: str | None, author_id: str | None) -> bool:
    author = post.author
    if author is None:
        return False
    if author_id and author.id:
        return author.id == author_id
    return bool(handle) and author.handle == handle
