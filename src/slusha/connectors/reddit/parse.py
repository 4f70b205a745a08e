"""Reddit ``Listing`` JSON (t3 submissions, t1 comments) to posts. PURE."""

from __future__ import annotations

import html as html_lib
from datetime import UTC, datetime
from typing import Any

from slusha.domain.post import Author, Post
from slusha.errors import PermanentError
from slusha.plugins.html import html_to_text, sanitize_html

NETWORK = "reddit"
SITE = "https://www.reddit.com"
DELETED_MARKERS = frozenset({"[deleted]", "[removed]"})


def listing_children(data: Any) -> list[dict[str, Any]]:
    """The ``data`` objects of a Listing's children (or of several Listings, as /comments gives)."""
    if isinstance(data, list):
        out: list[dict[str, Any]] = []
        for item in data:
            out += listing_children(item)
        return out
    if not isinstance(data, dict) or data.get("kind") != "Listing":
        raise PermanentError("the Reddit answer is not a Listing", code="parse")
    children = (data.get("data") or {}).get("children") or []
    found = []
    for child in children:
        if isinstance(child, dict) and child.get("kind") in ("t1", "t3"):
            item = dict(child.get("data") or {})
            item["_kind"] = child["kind"]
            found.append(item)
            replies = item.get("replies")
            if isinstance(replies, dict):
                found += listing_children(replies)
    return found


def is_deleted(item: dict[str, Any]) -> bool:
    """True for a thing its author deleted or a moderator removed."""
    body = item.get("body") if item.get("_kind") == "t1" else item.get("selftext")
    return item.get("author") in DELETED_MARKERS and (
        body in DELETED_MARKERS or item.get("removed_by_category") is not None or body == ""
    )


def thing_to_post(item: dict[str, Any]) -> Post:
    """One submission or comment as a post (``id`` is the fullname, e.g. ``t3_abc``)."""
    kind = item.get("_kind") or ("t1" if "body" in item else "t3")
    name = item.get("name") or (f"{kind}_{item['id']}" if item.get("id") else None)
    created = item.get("created_utc")
    if not name or not isinstance(created, int | float):
        raise PermanentError("a Reddit thing without name or created_utc", code="parse")
    author_name = item.get("author")
    author = None
    if isinstance(author_name, str) and author_name not in DELETED_MARKERS:
        author = Author(
            handle=f"u/{author_name}",
            name=author_name,
            url=f"{SITE}/user/{author_name}",
            id=item.get("author_fullname"),
        )
    permalink = item.get("permalink")
    url = SITE + permalink if isinstance(permalink, str) and permalink.startswith("/") else None
    extra: dict[str, Any] = {"subreddit": item.get("subreddit")}
    if item.get("edited"):
        extra["edited"] = item["edited"]
    score = item.get("score")
    metrics: dict[str, int] = {}
    if isinstance(score, int) and score >= 0:
        metrics["likes"] = score
    if kind == "t1":
        body_html = item.get("body_html")
        html = html_lib.unescape(body_html) if isinstance(body_html, str) else None
        return Post(
            network=NETWORK,
            id=name,
            text=str(item.get("body") or ""),
            created_at=datetime.fromtimestamp(float(created), tz=UTC),
            url=url,
            html=sanitize_html(html),
            author=author,
            reply_to=item.get("parent_id"),
            thread=item.get("link_id"),
            kind="comment",
            metrics=metrics,
            extra=extra,
        )
    title = str(item.get("title") or "")
    selftext = str(item.get("selftext") or "")
    self_html = item.get("selftext_html")
    html = html_lib.unescape(self_html) if isinstance(self_html, str) else None
    link = item.get("url")
    if isinstance(link, str) and not item.get("is_self"):
        extra["link"] = link
    comments = item.get("num_comments")
    if isinstance(comments, int) and comments >= 0:
        metrics["replies"] = comments
    text = title if not selftext else f"{title}\n\n{selftext}"
    return Post(
        network=NETWORK,
        id=name,
        text=text or html_to_text(html),
        created_at=datetime.fromtimestamp(float(created), tz=UTC),
        url=url,
        title=title or None,
        html=sanitize_html(html),
        author=author,
        thread=name,
        kind="post",
        metrics=metrics,
        extra=extra,
    )
