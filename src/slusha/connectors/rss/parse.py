"""Feeds (RSS 0.9x/1.0/2.0, Atom, RDF, JSON Feed) to posts. PURE: bytes in, posts out.

feedparser does the format work. Before it sees the bytes, a document type declaration with an
internal subset is removed: entity declarations are how the "billion laughs" expansion and
external entities (XXE, reading local files or internal URLs) get in, and feeds do not need them.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser

from slusha.connectors.rss.jsonfeed import parse_json_feed
from slusha.domain.post import MAX_ID_LENGTH, Author, Post
from slusha.errors import PermanentError
from slusha.plugins.html import html_to_text, sanitize_html

NETWORK = "rss"
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)
# <!DOCTYPE name [ internal subset ]> -- the subset cannot contain "]>" legitimately except in
# comments or literals, which a feed has no reason to use.
_DOCTYPE_SUBSET = re.compile(r"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_ENTITY_DECL = re.compile(r"<!\s*ENTITY", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_FAMILIES = {
    b"\x00\x00\x00<": "utf-32-be",
    b"<\x00\x00\x00": "utf-32-le",
    b"\x00<\x00?": "utf-16-be",
    b"<\x00?\x00": "utf-16-le",
    b"\x4c\x6f\xa7\x94": "cp037",  # "<?xm" in EBCDIC
}
_CHARSET = re.compile(r"charset\s*=\s*([^\s;]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(r"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_XML_ENCODING_ATTR = re.compile(r"(^\s*<\?xml[^>]*?encoding\s*=\s*[\"'])[A-Za-z0-9._:-]+([\"'])")
_TAGS = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]+)*$")


@dataclass
class ParsedFeed:
    """A parsed feed: its posts, title, TTL hint and whether it was actually an HTML page."""

    posts: list[Post]
    title: str | None = None
    ttl_seconds: float | None = None
    is_html: bool = False
    feed_links: list[str] = field(default_factory=list)
    neutralised_entities: bool = False
    warning: str | None = None


def document_encoding(data: bytes, content_type: str | None = None) -> str:
    """The encoding an XML parser reads ``data`` in (RFC 7303 3.2: BOM, charset, declaration).

    Without a BOM the first bytes say which family the declaration is written in (XML 1.0
    appendix F: UTF-16/32 without a BOM, EBCDIC); the declaration is read in that family.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    charset = _CHARSET.search(content_type or "")
    if charset:
        return charset.group(1).strip("\"'").lower()
    family = _FAMILIES.get(data[:4], "utf-8")
    head = data[:1024].decode(family, errors="replace")
    declared = _XML_ENCODING.match(head)
    if declared:
        name = declared.group(1).lower()
        # A UTF-16/32 or EBCDIC document names its own variant; an ASCII-family one may name any.
        if family == "utf-8" or _codec(name) is not None:
            return name
    return family


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def neutralise_doctype(data: bytes, content_type: str | None = None) -> tuple[bytes, bool]:
    """The document as UTF-8 without a DOCTYPE internal subset; whether one was removed.

    The document is decoded in the encoding the parser would use (``document_encoding``)
    and checked there, so a declaration written in UTF-16, UTF-7 or EBCDIC is seen as such; it
    is handed on re-encoded as UTF-8 with its declaration saying so, so the parser reads
    exactly what was checked. Entity declarations anywhere else are refused.
    """
    name = document_encoding(data, content_type)
    try:
        text = data.decode(name, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff")
    text = _XML_ENCODING_ATTR.sub(r"\1utf-8\2", text, count=1)
    removed = False
    if _ENTITY_DECL.search(text):
        text, count = _DOCTYPE_SUBSET.subn("", text, count=1)
        removed = count > 0
        if _ENTITY_DECL.search(text):
            raise PermanentError(
                "the feed declares XML entities outside a document type declaration (refused: "
                "entity declarations enable entity-expansion and external-entity attacks)",
                code="parse",
            )
    return text.encode("utf-8", errors="replace"), removed


def looks_like_html(data: bytes, content_type: str | None) -> bool:
    """True when the bytes are a web page rather than a feed (to try feed discovery)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        return True
    start = data[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag not in ("link", "a"):
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            self.links.append((kind, values["href"]))


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Feed URLs announced by a page with ``<link rel="alternate" type="...">``, best first."""
    finder = _LinkFinder()
    try:
        finder.feed(html)
        finder.close()
    except Exception:
        return []
    base = urljoin(base_url, finder.base) if finder.base else base_url
    order = {kind: index for index, kind in enumerate(FEED_TYPES)}
    ranked = sorted(finder.links, key=lambda pair: order.get(pair[0], len(order)))
    seen: list[str] = []
    for _kind, href in ranked:
        url = urljoin(base, href.strip())
        if url.startswith(("http://", "https://")) and url not in seen:
            seen.append(url)
    return seen


def _timestamp(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def qualify_id(raw: str, feed_url: str) -> str:
    """A network-wide unique id: feed-local ids ("1", "post-7") are prefixed with the feed URL."""
    raw = raw.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", raw):
        raw = f"{feed_url}#{raw}"
    if len(raw) > MAX_ID_LENGTH:
        raw = "sha256:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()
    return raw


def _entry_id(entry: Any, feed_url: str) -> str:
    raw = entry.get("id") or entry.get("link") or ""
    if not isinstance(raw, str) or not raw.strip():
        basis = f"{entry.get('title', '')}\n{entry.get('summary', '')}"
        raw = "sha1:" + hashlib.sha1(basis.encode("utf-8", "replace")).hexdigest()
    return qualify_id(raw, feed_url)


def _lang(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not _TAGS.match(value):
        return None
    return value.split("-")[0].split("_")[0].lower()


def _content_html(entry: Any) -> str | None:
    for content in entry.get("content") or []:
        value = content.get("value") if isinstance(content, dict) else None
        if value:
            return str(value)
    summary = entry.get("summary")
    return str(summary) if summary else None


def _entry_post(entry: Any, *, feed: Any, feed_url: str, fetched_at: datetime) -> Post:
    html = _content_html(entry)
    text = html_to_text(html)
    title = html_to_text(entry.get("title")) or None
    author_name = entry.get("author") or None
    author_detail = entry.get("author_detail") or {}
    author = None
    if author_name or author_detail:
        author = Author(
            name=str(author_name) if author_name else None,
            url=author_detail.get("href") if isinstance(author_detail, dict) else None,
        )
    extra: dict[str, Any] = {"feed_url": feed_url}
    if feed.get("title"):
        extra["feed_title"] = html_to_text(feed.get("title"))
    tags = [t.get("term") for t in entry.get("tags") or [] if isinstance(t, dict) and t.get("term")]
    if tags:
        extra["tags"] = tags
    link = entry.get("link")
    return Post(
        network=NETWORK,
        id=_entry_id(entry, feed_url),
        text=text or title or "",
        created_at=_timestamp(entry, "published_parsed", "updated_parsed", "created_parsed")
        or fetched_at,
        url=link if isinstance(link, str) and link.startswith(("http://", "https://")) else None,
        title=title,
        html=sanitize_html(html) if html and html != text else None,
        author=author,
        lang=_lang(entry.get("language") or feed.get("language")),
        kind="article",
        extra=extra,
    )


def parse_feed(
    data: bytes,
    *,
    feed_url: str,
    fetched_at: datetime,
    content_type: str | None = None,
) -> ParsedFeed:
    """Parse a feed document into posts; raise a ``parse`` error when nothing usable is in it."""
    if looks_like_html(data, content_type):
        text = data.decode("utf-8", errors="replace")
        return ParsedFeed(posts=[], is_html=True, feed_links=discover_feeds(text, feed_url))
    if data.lstrip()[:1] == b"{":
        title, posts = parse_json_feed(
            data, feed_url=feed_url, fetched_at=fetched_at,
            make_id=lambda raw: qualify_id(raw, feed_url),
        )  # fmt: skip
        return ParsedFeed(posts=posts, title=title)
    safe, neutralised = neutralise_doctype(data, content_type)
    # The bytes are UTF-8 now, and the parser must read them as such (``text/xml`` without a
    # charset would otherwise mean US-ASCII).
    mime = (content_type or "application/xml").split(";")[0].strip() or "application/xml"
    headers = {"content-location": feed_url, "content-type": f"{mime}; charset=utf-8"}
    try:
        parsed = feedparser.parse(safe, response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser promises not to raise; defend against its bugs
        raise PermanentError(
            f"the feed at {feed_url} could not be parsed ({exc})", code="parse"
        ) from None
    feed = parsed.get("feed") or {}
    entries = parsed.get("entries") or []
    if not entries and not feed.get("title") and not parsed.get("version"):
        reason = parsed.get("bozo_exception")
        raise PermanentError(
            f"{feed_url} is not an RSS, Atom or JSON feed" + (f" ({reason})" if reason else ""),
            code="parse",
        )
    posts = []
    for entry in entries:
        try:
            posts.append(_entry_post(entry, feed=feed, feed_url=feed_url, fetched_at=fetched_at))
        except (TypeError, ValueError, AttributeError):
            continue  # one odd entry must not cost the rest of the feed
    ttl = feed.get("ttl")
    ttl_seconds = float(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None
    warning = None
    if parsed.get("bozo"):
        warning = f"feed is not well-formed ({parsed.get('bozo_exception')})"
    return ParsedFeed(
        posts=posts,
        title=html_to_text(feed.get("title")) or None,
        ttl_seconds=ttl_seconds,
        neutralised_entities=neutralised,
        warning=warning,
    )


def fingerprint(post: Post) -> str:
    """A short hash of what a reader sees, to notice edits between polls."""
    basis = f"{post.title}\n{post.text}\n{post.url}"
    return hashlib.sha1(basis.encode("utf-8", "replace")).hexdigest()[:16]
