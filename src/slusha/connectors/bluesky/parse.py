"""Bluesky payloads (Jetstream v1 events, PostView objects) to posts. PURE.

The post id is the record's AT URI (``at://<did>/app.bsky.feed.post/<rkey>``); its CID is kept in
``extra`` because a reply must reference both.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slusha.domain.post import Author, Post, PostFormatError, parse_datetime
from slusha.errors import PermanentError

NETWORK = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"


def post_uri(did: str, rkey: str) -> str:
    """The AT URI of a post record."""
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def web_url(did: str, rkey: str, handle: str | None = None) -> str:
    """The bsky.app link of a post."""
    return f"https://bsky.app/profile/{handle or did}/post/{rkey}"


def _created(record: dict[str, Any], fallback: datetime) -> datetime:
    value = record.get("createdAt")
    if isinstance(value, str):
        try:
            return parse_datetime(value, key="createdAt")
        except PostFormatError:
            pass
    return fallback


def record_to_post(
    record: Any,
    *,
    did: str,
    rkey: str,
    cid: str | None,
    fallback_time: datetime,
    author: Author | None = None,
    handle: str | None = None,
    metrics: dict[str, int] | None = None,
) -> Post:
    """An ``app.bsky.feed.post`` record as a post."""
    if not isinstance(record, dict):
        raise PermanentError("a Bluesky post without a record", code="parse")
    text = record.get("text")
    if not isinstance(text, str):
        raise PermanentError("a Bluesky post record without text", code="parse")
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
    extra: dict[str, Any] = {"did": did}
    if cid:
        extra["cid"] = cid
    reply_to = thread = None
    if reply:
        parent = reply.get("parent") or {}
        root = reply.get("root") or {}
        reply_to = parent.get("uri")
        thread = root.get("uri")
        extra["root_cid"] = root.get("cid")
    langs = record.get("langs")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
    embed = record.get("embed")
    if isinstance(embed, dict) and embed.get("$type"):
        extra["embed"] = embed["$type"]
    return Post(
        network=NETWORK,
        id=post_uri(did, rkey),
        text=text,
        created_at=_created(record, fallback_time),
        url=web_url(did, rkey, handle),
        author=author or Author(id=did, handle=handle),
        lang=lang.split("-")[0].lower() if lang else None,
        reply_to=reply_to,
        thread=thread or (None if reply else post_uri(did, rkey)),
        kind="reply" if reply else "post",
        metrics=metrics or {},
        extra=extra,
    )


@dataclass
class JetstreamChange:
    """One Jetstream event's meaning: a new or edited post, or a deleted one, at ``time_us``."""

    time_us: int
    post: Post | None = None
    deleted_id: str | None = None


def jetstream_event(line: str | bytes) -> JetstreamChange | None:
    """Interpret one Jetstream v1 message; None for events that are not about posts."""
    try:
        event = json.loads(line)
    except ValueError:
        raise PermanentError("Jetstream sent malformed JSON", code="parse") from None
    if not isinstance(event, dict) or not isinstance(event.get("time_us"), int):
        raise PermanentError("a Jetstream event without time_us", code="parse")
    time_us = event["time_us"]
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return JetstreamChange(time_us=time_us)
    if commit.get("collection") != POST_COLLECTION:
        return JetstreamChange(time_us=time_us)
    did, rkey = event.get("did"), commit.get("rkey")
    if not isinstance(did, str) or not isinstance(rkey, str):
        raise PermanentError("a Jetstream commit without did or rkey", code="parse")
    operation = commit.get("operation")
    if operation == "delete":
        return JetstreamChange(time_us=time_us, deleted_id=post_uri(did, rkey))
    if operation in ("create", "update"):
        when = datetime.fromtimestamp(time_us / 1_000_000, tz=UTC)
        post = record_to_post(commit.get("record"), did=did, rkey=rkey, cid=commit.get("cid"),
                              fallback_time=when)  # fmt: skip
        if operation == "update":
            post.extra["edited"] = True
        return JetstreamChange(time_us=time_us, post=post)
    return JetstreamChange(time_us=time_us)


def post_view_to_post(view: Any, *, fetched_at: datetime) -> Post:
    """A ``app.bsky.feed.defs#postView`` (searchPosts, getPostThread) as a post."""
    if not isinstance(view, dict) or not isinstance(view.get("uri"), str):
        raise PermanentError("a Bluesky post view without uri", code="parse")
    uri = view["uri"]
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != POST_COLLECTION:
        raise PermanentError(f"{uri} is not a post URI", code="parse")
    did, _, rkey = parts
    author_view = view.get("author") or {}
    handle = author_view.get("handle") if isinstance(author_view.get("handle"), str) else None
    followers = author_view.get("followersCount")
    author = Author(
        id=did,
        handle=handle,
        name=author_view.get("displayName") or None,
        followers=followers if isinstance(followers, int) and followers >= 0 else None,
        url=f"https://bsky.app/profile/{handle or did}",
    )
    metrics = {
        name: view[key]
        for key, name in (("likeCount", "likes"), ("repostCount", "shares"),
                          ("replyCount", "replies"))
        if isinstance(view.get(key), int) and view[key] >= 0
    }  # fmt: skip
    indexed = view.get("indexedAt")
    fallback = fetched_at
    if isinstance(indexed, str):
        with contextlib.suppress(PostFormatError):
            fallback = parse_datetime(indexed, key="indexedAt")
    return record_to_post(view.get("record"), did=did, rkey=rkey, cid=view.get("cid"),
                          fallback_time=fallback, author=author, handle=handle,
                          metrics=metrics)  # fmt: skip
