"""Listing mentions and searching posts, with filters given by name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slusha.clock import Clock
from slusha.domain.post import NETWORKS, parse_datetime
from slusha.errors import InputError
from slusha.store import search as store_search
from slusha.store import teams as store_teams
from slusha.store import topics as store_topics
from slusha.store.db import Database
from slusha.store.mentions import MentionFilter, list_mentions
from slusha.store.schema import SENTIMENTS, Mention, Post, Team, Topic

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, *, clock: Clock) -> datetime:
    """``24h``, ``7d``, ``2w``, ``30m``, or an ISO date / date-time (UTC when no offset)."""
    value = value.strip()
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = relative.groups()
        return clock.now() - timedelta(**{_UNITS[unit]: int(amount)})
    if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        value += "T00:00:00+00:00"
    try:
        return parse_datetime(value, key="since")
    except InputError:
        raise InputError(
            f"--since {value!r} is not understood (use 24h, 7d, 2w, 2026-11-01 or an ISO date-time)"
        ) from None


@dataclass(frozen=True, slots=True)
class MentionQuery:
    """Filters as a user gives them (names, not ids)."""

    topic: str | None = None
    team: str | None = None
    since: str | None = None
    sentiment: str | None = None
    lang: str | None = None
    network: str | None = None
    status: str | None = None


def resolve_filter(db: Database, query: MentionQuery, *, clock: Clock) -> MentionFilter:
    """Turn names into ids, with an error that lists what exists when a name is unknown."""
    if query.sentiment is not None and query.sentiment not in SENTIMENTS:
        raise InputError(f"unknown sentiment {query.sentiment!r} (one of: {', '.join(SENTIMENTS)})")
    if query.network is not None and query.network not in NETWORKS:
        raise InputError(
            f"unknown network {query.network!r} (one of: {', '.join(sorted(NETWORKS))})"
        )
    topic_ids = team_ids = None
    with db.read() as tx:
        if query.topic is not None:
            topic = store_topics.get_topic(tx.session, name_or_id=query.topic)
            if topic is None:
                raise InputError(f"no topic named {query.topic!r} (see 'slusha topics list')")
            topic_ids = (topic.id,)
        if query.team is not None:
            team = store_teams.get_team_by_name(tx.session, name=query.team)
            if team is None:
                raise InputError(f"no team named {query.team!r} (see 'slusha teams list')")
            team_ids = (team.id,)
    return MentionFilter(
        topic_ids=topic_ids,
        team_ids=team_ids,
        since=parse_since(query.since, clock=clock) if query.since else None,
        sentiment=query.sentiment,
        lang=query.lang.lower() if query.lang else None,
        network=query.network,
        status=query.status,
    )


def mention_row(mention: Mention, post: Post, topic: Topic, team: Team) -> dict[str, Any]:
    """One mention as the CLI and API show it."""
    return {
        "mention_id": mention.id,
        "topic": topic.name,
        "team": team.name,
        "network": post.network,
        "id": post.external_id,
        "text": post.text,
        "title": post.title,
        "url": post.url,
        "author": post.author_handle,
        "created_at": post.created_at.isoformat(),
        "lang": mention.lang,
        "sentiment": mention.sentiment,
        "sentiment_score": mention.sentiment_score,
        "status": mention.status,
        "priority": mention.priority,
    }


def find_mentions(
    db: Database, query: MentionQuery, *, clock: Clock, limit: int = 50
) -> list[dict[str, Any]]:
    """Mentions matching the filters, newest first."""
    filters = resolve_filter(db, query, clock=clock)
    with db.read() as tx:
        rows = list_mentions(tx.session, filters=filters, limit=limit)
        return [mention_row(*row) for row in rows]


def search_posts(db: Database, *, words: str, limit: int = 50) -> list[dict[str, Any]]:
    """Stored posts containing every word, newest first."""
    if not store_search.search_terms(words):
        raise InputError("give at least one word to search for")
    with db.read() as tx:
        posts = store_search.search_posts(tx.session, words=words, limit=limit)
        return [
            {
                "network": p.network,
                "id": p.external_id,
                "created_at": p.created_at.isoformat(),
                "author": p.author_handle,
                "lang": p.lang,
                "sentiment": p.sentiment,
                "text": p.text,
                "url": p.url,
            }
            for p in posts
        ]
