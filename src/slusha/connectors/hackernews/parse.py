"""Hacker News payloads (Algolia search hits, Firebase items) to posts. PURE.

Both APIs give the same item ids, so ``id`` is the HN item id either way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slusha.domain.post import Author, Post, PostFormatError, parse_datetime
from slusha.errors import PermanentError
from slusha.plugins.html import html_to_text, sanitize_html

NETWORK = "hackernews"
SITE = "https://news.ycombinator.com"


def _author(name: Any) -> Author | None:
    if not isinstance(name, str) or not name:
        return None
    return Author(handle=name, name=name, url=f"{SITE}/user?id={name}", id=name)


def hit_to_post(hit: dict[str, Any]) -> Post:
    """One Algolia hit (``/api/v1/search_by_date``) as a post."""
    object_id = hit.get("objectID")
    if not object_id:
        raise PermanentError("an Algolia hit without objectID", code="parse")
    tags = hit.get("_tags") or []
    is_comment = "comment" in tags or hit.get("comment_text") is not None
    body_html = hit.get("comment_text") if is_comment else hit.get("story_text")
    created: datetime
    if isinstance(hit.get("created_at_i"), int):
        created = datetime.fromtimestamp(hit["created_at_i"], tz=UTC)
    else:
        try:
            created = parse_datetime(hit.get("created_at"))
        except PostFormatError as exc:
            raise PermanentError(f"an Algolia hit has a bad date ({exc})", code="parse") from None
    title = hit.get("title") or (None if is_comment else "")
    text = html_to_text(body_html) if body_html else ""
    metrics = {}
    if isinstance(hit.get("points"), int) and hit["points"] >= 0:
        metrics["likes"] = hit["points"]
    if isinstance(hit.get("num_comments"), int) and hit["num_comments"] >= 0:
        metrics["replies"] = hit["num_comments"]
    extra: dict[str, Any] = {}
    if hit.get("url"):
        extra["link"] = hit["url"]
    if is_comment and hit.get("story_title"):
        extra["story_title"] = hit["story_title"]
    story_id = hit.get("story_id")
    parent = hit.get("parent_id")
    return Post(
        network=NETWORK,
        id=str(object_id),
        text=text or str(title or ""),
        created_at=created,
        url=f"{SITE}/item?id={object_id}",
        title=title or None,
        html=sanitize_html(body_html) if body_html else None,
        author=_author(hit.get("author")),
        reply_to=str(parent) if is_comment and parent else None,
        thread=str(story_id) if story_id else str(object_id),
        kind="comment" if is_comment else "post",
        metrics=metrics,
        extra=extra,
    )


def item_to_post(item: dict[str, Any]) -> Post | None:
    """One Firebase item (``/v0/item/<id>.json``) as a post; None for deleted or dead items."""
    if not isinstance(item, dict) or item.get("id") is None:
        raise PermanentError("a Hacker News item without id", code="parse")
    if item.get("deleted") or item.get("dead"):
        return None
    kind = item.get("type")
    if kind not in ("story", "comment", "job", "poll", "pollopt"):
        return None
    body_html = item.get("text")
    title = item.get("title")
    text = html_to_text(body_html) if body_html else ""
    metrics = {}
    if isinstance(item.get("score"), int) and item["score"] >= 0:
        metrics["likes"] = item["score"]
    if isinstance(item.get("descendants"), int) and item["descendants"] >= 0:
        metrics["replies"] = item["descendants"]
    extra: dict[str, Any] = {"type": kind}
    if item.get("url"):
        extra["link"] = item["url"]
    created = item.get("time")
    if not isinstance(created, int):
        raise PermanentError(f"Hacker News item {item['id']} has no time", code="parse")
    parent = item.get("parent")
    return Post(
        network=NETWORK,
        id=str(item["id"]),
        text=text or str(title or ""),
        created_at=datetime.fromtimestamp(created, tz=UTC),
        url=f"{SITE}/item?id={item['id']}",
        title=title or None,
        html=sanitize_html(body_html) if body_html else None,
        author=_author(item.get("by")),
        reply_to=str(parent) if kind in ("comment", "pollopt") and parent else None,
        kind="comment" if kind == "comment" else "post",
        metrics=metrics,
        extra=extra,
    )


def is_gone(item: Any) -> bool:
    """True when the Firebase API says the item was deleted or killed (or no longer exists)."""
    return item is None or (
        isinstance(item, dict) and bool(item.get("deleted") or item.get("dead"))
    )
