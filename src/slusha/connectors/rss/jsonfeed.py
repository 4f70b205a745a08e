"""JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/) to posts. PURE.

feedparser 6 reads XML feeds only, so JSON Feed gets this small reader of its own.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slusha.domain.post import Author, Post, PostFormatError, parse_datetime
from slusha.errors import PermanentError
from slusha.plugins.html import html_to_text, sanitize_html


def _authors(obj: dict[str, Any]) -> list[Any]:
    listed = obj.get("authors")
    if isinstance(listed, list) and listed:
        return listed
    single = obj.get("author")
    return [single] if isinstance(single, dict) else []


def _author(item: dict[str, Any], feed: dict[str, Any]) -> Author | None:
    # Version 1.1 has "authors" (a list); 1.0 had a single "author" object.
    authors = _authors(item) or _authors(feed)
    first = authors[0] if authors and isinstance(authors[0], dict) else None
    if first is None:
        return None
    name = first.get("name")
    url = first.get("url")
    return Author(
        name=name if isinstance(name, str) else None,
        url=url if isinstance(url, str) else None,
    )


def _when(item: dict[str, Any], fetched_at: datetime) -> datetime:
    for key in ("date_published", "date_modified"):
        value = item.get(key)
        if isinstance(value, str):
            try:
                return parse_datetime(value, key=key)
            except PostFormatError:
                continue
    return fetched_at


def parse_json_feed(
    data: bytes, *, feed_url: str, fetched_at: datetime, make_id: Any
) -> tuple[str | None, list[Post]]:
    """(title, posts) of a JSON Feed; ``make_id(item_id_or_url)`` qualifies feed-local ids."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PermanentError(f"{feed_url} is not valid JSON ({exc})", code="parse") from None
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or "jsonfeed.org" not in version:
        raise PermanentError(f"{feed_url} is JSON but not a JSON Feed", code="parse")
    title = doc.get("title") if isinstance(doc.get("title"), str) else None
    lang = doc.get("language") if isinstance(doc.get("language"), str) else None
    posts = []
    for item in doc.get("items") or []:
        if not isinstance(item, dict):
            continue
        raw_id = item.get("id") or item.get("url")
        if raw_id is None:
            continue
        html = item.get("content_html") if isinstance(item.get("content_html"), str) else None
        text = item.get("content_text") if isinstance(item.get("content_text"), str) else None
        text = text or html_to_text(html) or (item.get("summary") or "")
        item_title = item.get("title") if isinstance(item.get("title"), str) else None
        url = item.get("url") if isinstance(item.get("url"), str) else None
        tags = [t for t in item.get("tags") or [] if isinstance(t, str)]
        extra: dict[str, Any] = {"feed_url": feed_url}
        if title:
            extra["feed_title"] = title
        if tags:
            extra["tags"] = tags
        item_lang = item.get("language") if isinstance(item.get("language"), str) else lang
        posts.append(
            Post(
                network="rss",
                id=make_id(str(raw_id)),
                text=str(text) or item_title or "",
                created_at=_when(item, fetched_at),
                url=url if url and url.startswith(("http://", "https://")) else None,
                title=item_title,
                html=sanitize_html(html),
                author=_author(item, doc),
                lang=item_lang.split("-")[0].lower() if item_lang else None,
                kind="article",
                extra=extra,
            )
        )
    return title, posts
