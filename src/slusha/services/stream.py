"""The mention stream and mention detail as a member sees them, and one-click corrections."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slusha.clock import Clock
from slusha.domain.post import NETWORKS
from slusha.errors import InputError, NotFound
from slusha.services.access import Principal, require
from slusha.store import corrections as store_corrections
from slusha.store import stream as store_stream
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.mentions import MentionFilter
from slusha.store.schema import SENTIMENTS, Mention, Post, Team, Topic
from slusha.store.search import search_terms

MAX_PAGE = 100
LANG_CODES = frozenset(
    [
        "af",
        "ar",
        "bg",
        "bn",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fr",
        "ga",
        "gu",
        "he",
        "hi",
        "hr",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "ka",
        "kk",
        "ko",
        "la",
        "lg",
        "lt",
        "lv",
        "mi",
        "mk",
        "mn",
        "mr",
        "ms",
        "nb",
        "nl",
        "nn",
        "pa",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "sn",
        "so",
        "sq",
        "sr",
        "st",
        "sv",
        "sw",
        "ta",
        "te",
        "th",
        "tl",
        "tn",
        "tr",
        "ts",
        "uk",
        "ur",
        "vi",
        "xh",
        "yo",
        "zh",
        "zu",
    ]
)


@dataclass(frozen=True, slots=True)
class StreamQuery:
    """Stream filters by id, as the web app receives them."""

    team_id: int | None = None
    topic_id: int | None = None
    network: str | None = None
    lang: str | None = None
    sentiment: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class StreamPage:
    """One page of mentions and the cursor of the next one (None at the end)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(posted_at: datetime, mention_id: int) -> str:
    """An opaque cursor for keyset paging on (posted_at, id)."""
    raw = f"{posted_at.isoformat()}|{mention_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (posted_at, id) in a cursor; ``InputError`` when it was not made here."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, int(ident)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InputError("the cursor is not valid", code="bad_cursor") from None


def mention_item(mention: Mention, post: Post, topic: Topic, team: Team) -> dict[str, Any]:
    """One mention as the pages and the API show it (text is untrusted: escape it)."""
    return {
        "id": mention.id,
        "post_id": post.id,
        "topic": {"id": topic.id, "name": topic.name},
        "team": {"id": team.id, "name": team.name},
        "network": post.network,
        "external_id": post.external_id,
        "title": post.title,
        "text": post.text,
        "url": post.url,
        "author": {
            "handle": post.author_handle,
            "name": post.author_name,
            "url": post.author_url,
            "followers": post.author_followers,
        },
        "created_at": post.created_at,
        "lang": mention.lang,
        "sentiment": mention.sentiment,
        "status": mention.status,
        "priority": mention.priority,
    }


def check_filters(query: StreamQuery) -> None:
    """Refuse values that can match nothing, with a reason."""
    if query.sentiment is not None and query.sentiment not in SENTIMENTS:
        raise InputError(f"unknown sentiment {query.sentiment!r}", code="bad_filter")
    if query.network is not None and query.network not in NETWORKS:
        raise InputError(f"unknown network {query.network!r}", code="bad_filter")
    if not 1 <= query.limit <= MAX_PAGE:
        raise InputError(f"limit is 1 to {MAX_PAGE}", code="bad_filter")


def list_stream(
    db: Database, *, principal: Principal, query: StreamQuery, after_id: int | None = None
) -> StreamPage:
    """A page of the mentions the member may see, newest first."""
    require(principal, "mentions.read")
    check_filters(query)
    before = decode_cursor(query.cursor) if query.cursor else None
    filters = MentionFilter(
        topic_ids=(query.topic_id,) if query.topic_id is not None else None,
        team_ids=(query.team_id,) if query.team_id is not None else None,
        since=query.since,
        until=query.until,
        sentiment=query.sentiment,
        lang=query.lang.lower() if query.lang else None,
        network=query.network,
    )
    terms = search_terms(query.q) if query.q else None
    with db.read() as tx:
        rows = store_stream.list_visible(
            tx.session, visibility=principal.visibility, filters=filters, terms=terms,
            limit=query.limit + 1, before=before, after_id=after_id,
        )  # fmt: skip
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = encode_cursor(rows[-1][0].posted_at, rows[-1][0].id) if has_more and rows else None
    return StreamPage(items=[mention_item(*row) for row in rows], next_cursor=cursor)


def newest_mention_id(db: Database) -> int:
    """Where a polling live stream starts."""
    with db.read() as tx:
        return store_stream.newest_mention_id(tx.session)


def visible_mention(db: Database, *, principal: Principal, mention_id: int) -> dict[str, Any]:
    """One mention by id, or ``NotFound`` (also when the member may not see it)."""
    require(principal, "mentions.read")
    with db.read() as tx:
        row = store_stream.get_visible(
            tx.session, mention_id=mention_id, visibility=principal.visibility
        )
        if row is None:
            raise NotFound(f"no mention with id {mention_id}")
        return mention_item(*row)


def mention_detail(db: Database, *, principal: Principal, mention_id: int) -> dict[str, Any]:
    """A mention with its post's HTML, every visible topic it matched and its corrections."""
    require(principal, "mentions.read")
    with db.read() as tx:
        row = store_stream.get_visible(
            tx.session, mention_id=mention_id, visibility=principal.visibility
        )
        if row is None:
            raise NotFound(f"no mention with id {mention_id}")
        mention, post, _topic, team = row
        item = mention_item(*row)
        item["html"] = post.html
        item["thread"] = post.thread
        item["reply_to"] = post.reply_to
        item["kind"] = post.kind
        item["sentiment_score"] = mention.sentiment_score
        item["matched"] = [
            {"mention_id": m.id, "topic": {"id": t.id, "name": t.name},
             "team": {"id": tm.id, "name": tm.name}}
            for m, _p, t, tm in store_stream.post_mentions(
                tx.session, post_id=post.id, visibility=principal.visibility
            )
        ]  # fmt: skip
        item["corrections"] = [
            {"field": c.field, "old_value": c.old_value, "new_value": c.new_value, "at": c.at}
            for c in store_corrections.list_corrections(tx.session, post_id=post.id)
        ]
        item["can_correct"] = _can_correct(principal, team.id)
        return item


def _can_correct(principal: Principal, team_id: int) -> bool:
    from slusha.services.access import can

    return can(principal, "mentions.correct", team_id)


def correct_mention(
    db: Database,
    *,
    principal: Principal,
    mention_id: int,
    field: str,
    value: str,
    clock: Clock,
) -> dict[str, Any]:
    """Set the sentiment or language of a mention's post; recorded and audited."""
    if field == "sentiment":
        if value not in SENTIMENTS:
            raise InputError(f"sentiment is one of: {', '.join(SENTIMENTS)}", code="bad_value")
    elif field == "lang":
        value = value.strip().lower()
        if value not in LANG_CODES:
            raise InputError("language is a two-letter ISO 639-1 code", code="bad_value")
    else:
        raise InputError("only sentiment or lang can be corrected", code="bad_field")
    now = clock.now()
    with db.transaction() as tx:
        row = store_stream.get_visible(
            tx.session, mention_id=mention_id, visibility=principal.visibility
        )
        if row is None:
            raise NotFound(f"no mention with id {mention_id}")
        mention, post, _topic, team = row
        require(principal, "mentions.correct", team.id)
        old = getattr(post, field)
        if old != value:
            store_corrections.apply_correction(
                tx.session, post=post, field=field, new_value=value,
                user_id=principal.user_id, now=now,
            )  # fmt: skip
            record_action(
                tx.session, at=now, actor=principal.username, actor_id=principal.user_id,
                action=f"mention.correct_{field}", target_type="mention", target_id=mention.id,
                details={"post_id": post.id, "old": old, "new": value},
            )  # fmt: skip
    return mention_detail(db, principal=principal, mention_id=mention_id)
