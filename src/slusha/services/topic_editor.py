"""The topic editor: visible topics, checking a query as it is typed, testing it, editing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slusha.clock import Clock
from slusha.errors import Conflict, InputError, NotFound
from slusha.query import QuerySyntaxError, compile_query
from slusha.services.access import Principal, require
from slusha.services.topics import create_topic, validate_query
from slusha.store import stream as store_stream
from slusha.store import topics as store_topics
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.mentions import MentionFilter
from slusha.store.schema import TOPIC_KINDS, Team, Topic

MAX_QUERY_LENGTH = 4000
TEST_SCAN = 2000
TEST_SHOW = 20


@dataclass(frozen=True, slots=True)
class QueryCheck:
    """The verdict on a query: ``error`` and ``position`` (a 0-based character) when invalid."""

    valid: bool
    error: str | None = None
    position: int | None = None


def check_query(query: str) -> QueryCheck:
    """Parse the query and say where it is wrong."""
    if len(query) > MAX_QUERY_LENGTH:
        return QueryCheck(False, f"a query is at most {MAX_QUERY_LENGTH} characters", 0)
    try:
        compile_query(query)
    except QuerySyntaxError as exc:
        return QueryCheck(False, exc.message, max(0, min(exc.position, len(query))))
    return QueryCheck(True)


def topic_item(topic: Topic, team: Team) -> dict[str, Any]:
    """A topic as pages and the API show it."""
    return {
        "id": topic.id,
        "name": topic.name,
        "kind": topic.kind,
        "query": topic.query,
        "team": {"id": team.id, "name": team.name},
        "enabled": topic.enabled,
        "is_private": topic.is_private,
        "created_at": topic.created_at,
        "updated_at": topic.updated_at,
    }


def _check_name(name: str) -> None:
    """Names are 1-200 characters and not only digits (the CLI reads digits as an id)."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise InputError("a topic name is 1 to 200 characters", code="bad_name")
    if name.isdigit():
        raise InputError("a topic name cannot be only digits", code="bad_name")


def _name_taken(session: Any, name: str, *, except_id: int | None = None) -> bool:
    """Whether another topic has this name, ignoring case in every script (SQLite's lower()
    folds only ASCII, so the lookup by name is not enough)."""
    wanted = name.casefold()
    return any(
        t.name.casefold() == wanted and t.id != except_id
        for t, _team in store_topics.list_topics(session)
    )


def _visible(principal: Principal, topic: Topic) -> bool:
    return principal.is_member(topic.team_id) or not topic.is_private


def list_visible_topics(db: Database, *, principal: Principal) -> list[dict[str, Any]]:
    """Topics of the member's teams and every shared topic."""
    require(principal, "topics.read")
    with db.read() as tx:
        return [
            topic_item(t, tm)
            for t, tm in store_topics.list_topics(tx.session)
            if _visible(principal, t)
        ]


def get_visible_topic(db: Database, *, principal: Principal, topic_id: int) -> dict[str, Any]:
    """One topic, or ``NotFound`` (also for another team's private topic)."""
    require(principal, "topics.read")
    with db.read() as tx:
        topic = tx.session.get(Topic, topic_id)
        if topic is None or not _visible(principal, topic):
            raise NotFound(f"no topic with id {topic_id}")
        team = tx.session.get(Team, topic.team_id)
        assert team is not None
        return topic_item(topic, team)


def add_topic(
    db: Database,
    *,
    principal: Principal,
    name: str,
    team_id: int,
    query: str,
    clock: Clock,
    kind: str = "brand",
    is_private: bool = False,
) -> dict[str, Any]:
    """Create a topic for a team the member manages."""
    require(principal, "topics.write", team_id)
    if len(query) > MAX_QUERY_LENGTH:
        raise InputError(f"a query is at most {MAX_QUERY_LENGTH} characters")
    with db.transaction() as tx:
        team = tx.session.get(Team, team_id)
        if team is None:
            raise NotFound(f"no team with id {team_id}")
        team_name = team.name
        if _name_taken(tx.session, " ".join(name.split())):
            raise Conflict(f"a topic named {name!r} exists already")
    _check_name(name)
    topic = create_topic(
        db, name=name, team=team_name, query=query, clock=clock, kind=kind,
        is_private=is_private, actor=principal.username,
    )  # fmt: skip
    return get_visible_topic(db, principal=principal, topic_id=topic.id)


def update_topic(
    db: Database,
    *,
    principal: Principal,
    topic_id: int,
    clock: Clock,
    name: str | None = None,
    query: str | None = None,
    kind: str | None = None,
    enabled: bool | None = None,
    is_private: bool | None = None,
) -> dict[str, Any]:
    """Change a topic of a team the member manages; the matcher picks it up within seconds."""
    if query is not None:
        if len(query) > MAX_QUERY_LENGTH:
            raise InputError(f"a query is at most {MAX_QUERY_LENGTH} characters")
        validate_query(query)
    if kind is not None and kind not in TOPIC_KINDS:
        raise InputError(f"unknown topic kind {kind!r} (one of: {', '.join(TOPIC_KINDS)})")
    now = clock.now()
    with db.transaction() as tx:
        topic = tx.session.get(Topic, topic_id)
        if topic is None or not _visible(principal, topic):
            raise NotFound(f"no topic with id {topic_id}")
        require(principal, "topics.write", topic.team_id)
        changes: dict[str, Any] = {}
        if name is not None:
            name = " ".join(name.split())
            _check_name(name)
            if _name_taken(tx.session, name, except_id=topic.id):
                raise Conflict(f"a topic named {name!r} exists already")
            changes["name"] = name
        for key, value in (("query", query), ("kind", kind), ("enabled", enabled),
                           ("is_private", is_private)):  # fmt: skip
            if value is not None:
                changes[key] = value
        for key, value in changes.items():
            setattr(topic, key, value)
        topic.updated_at = now
        record_action(
            tx.session, at=now, actor=principal.username, actor_id=principal.user_id,
            action="topic.update", target_type="topic", target_id=topic.id,
            details={k: v for k, v in changes.items()},
        )  # fmt: skip
    return get_visible_topic(db, principal=principal, topic_id=topic_id)


def test_query(db: Database, *, principal: Principal, query: str) -> list[dict[str, Any]]:
    """Recent stored posts the member may see that the query matches, with highlight spans.

    Reads the newest ``TEST_SCAN`` visible mentions (one index walk), never the whole table.
    """
    require(principal, "topics.read")
    check = check_query(query)
    if not check.valid:
        raise InputError(f"the query is not valid: {check.error}", code="query_syntax")
    compiled = compile_query(query)
    found: list[dict[str, Any]] = []
    seen: set[int] = set()
    with db.read() as tx:
        rows = store_stream.list_visible(
            tx.session, visibility=principal.visibility, filters=MentionFilter(), limit=TEST_SCAN
        )
        for _mention, post, _topic, _team in rows:
            if post.id in seen:
                continue
            seen.add(post.id)
            if compiled.matches(post):
                spans = compiled.highlights(post.text)
                found.append({
                    "post_id": post.id, "network": post.network, "created_at": post.created_at,
                    "author": post.author_handle, "text": post.text, "highlights": spans,
                })  # fmt: skip
                if len(found) >= TEST_SHOW:
                    break
    return found
