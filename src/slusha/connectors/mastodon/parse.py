"""Mastodon payloads (Status entities, streaming events) to posts. PURE.

A status id is local to the instance that served it; the ActivityPub ``uri`` is the same on
every instance, so it is the post id, and the local id is kept in ``extra`` for replies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slusha.domain.post import Author, Post, PostFormatError, parse_datetime
from slusha.errors import PermanentError
from slusha.plugins.html import html_to_text, sanitize_html

NETWORK = "mastodon"


def _handle(account: dict[str, Any], instance_host: str) -> str | None:
    acct = account.get("acct")
    if not isinstance(acct, str) or not acct:
        return None
    # Local accounts come without a domain; qualify them so handles are unique network-wide.
    return "@" + (acct if "@" in acct else f"{acct}@{instance_host}")


def _author(account: Any, instance_host: str) -> Author | None:
    if not isinstance(account, dict):
        return None
    followers = account.get("followers_count")
    return Author(
        handle=_handle(account, instance_host),
        name=account.get("display_name") or account.get("username") or None,
        followers=followers if isinstance(followers, int) and followers >= 0 else None,
        url=account.get("url") if isinstance(account.get("url"), str) else None,
        id=account.get("uri") or account.get("url") or None,
    )


def status_to_post(status: Any, *, instance_url: str) -> Post:
    """One Status entity (docs.joinmastodon.org/entities/Status) as a post."""
    if not isinstance(status, dict) or not status.get("id") or not status.get("created_at"):
        raise PermanentError("a Mastodon status without id or created_at", code="parse")
    host = urlsplit(instance_url).hostname or "unknown"
    reblog = status.get("reblog")
    shown: dict[str, Any] = reblog if isinstance(reblog, dict) else status
    content = shown.get("content") or ""
    text = html_to_text(content)
    spoiler = shown.get("spoiler_text") or None
    if not text and spoiler:
        text = spoiler
    try:
        created_at = parse_datetime(status["created_at"])
    except PostFormatError as exc:
        raise PermanentError(f"a Mastodon status has a bad date: {exc}", code="parse") from None
    extra: dict[str, Any] = {"instance": host, "local_id": str(status["id"])}
    if status.get("in_reply_to_id"):
        extra["in_reply_to_local_id"] = str(status["in_reply_to_id"])
    if status.get("edited_at"):
        extra["edited_at"] = status["edited_at"]
    if shown is not status:
        extra["reblog_of"] = shown.get("uri")
    tags = [t.get("name") for t in shown.get("tags") or [] if isinstance(t, dict)]
    if tags:
        extra["tags"] = tags
    if status.get("visibility"):
        extra["visibility"] = status["visibility"]
    kind = "share" if shown is not status else ("reply" if status.get("in_reply_to_id") else "post")
    metrics = {
        key: value
        for key, value in (
            ("likes", status.get("favourites_count")),
            ("shares", status.get("reblogs_count")),
            ("replies", status.get("replies_count")),
        )
        if isinstance(value, int) and value >= 0
    }
    lang = shown.get("language")
    return Post(
        network=NETWORK,
        id=str(status.get("uri") or f"{instance_url.rstrip('/')}/statuses/{status['id']}"),
        text=text,
        created_at=created_at,
        url=status.get("url") or status.get("uri"),
        title=spoiler,
        html=sanitize_html(content) if content else None,
        author=_author(status.get("account"), host),
        lang=lang.split("-")[0].lower() if isinstance(lang, str) and lang else None,
        kind=kind,
        metrics=metrics,
        extra=extra,
    )


def statuses_to_posts(statuses: Iterable[Any], *, instance_url: str) -> list[Post]:
    """Posts for a list of statuses, skipping (not failing on) malformed ones."""
    posts = []
    for status in statuses:
        try:
            posts.append(status_to_post(status, instance_url=instance_url))
        except PermanentError:
            continue
    return posts


@dataclass
class SseEvent:
    """One Server-Sent Event (WHATWG HTML §9.2)."""

    event: str
    data: str


class SseDecoder:
    """Turns lines of a ``text/event-stream`` into events; comments (heartbeats) are ignored."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> SseEvent | None:
        """Consume one line; return an event when a blank line completes one."""
        if line == "":
            if not self._data:
                self._event = ""
                return None
            event = SseEvent(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None


@dataclass
class StreamChange:
    """What a streaming event means for the posts: a new or edited post, or a deletion."""

    post: Post | None = None
    deleted_local_id: str | None = None


def stream_event_change(event: SseEvent, *, instance_url: str) -> StreamChange | None:
    """Interpret ``update``, ``status.update`` and ``delete`` events; others are ignored."""
    if event.event in ("update", "status.update"):
        try:
            payload = json.loads(event.data)
        except ValueError:
            raise PermanentError("the Mastodon stream sent malformed JSON", code="parse") from None
        return StreamChange(post=status_to_post(payload, instance_url=instance_url))
    if event.event == "delete":
        return StreamChange(deleted_local_id=event.data.strip())
    return None
