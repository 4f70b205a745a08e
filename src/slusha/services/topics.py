"""Topics: create (with a validated query), list, enable and disable."""

from __future__ import annotations

from slusha.clock import Clock
from slusha.errors import Conflict, InputError, NotFound
from slusha.query import QuerySyntaxError, compile_query
from slusha.services.teams import find_team
from slusha.store import topics as store_topics
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.events import add_events
from slusha.store.schema import TOPIC_KINDS, Team, Topic

EVENT_TOPIC_CREATED = "topic.created"


class TopicQueryError(InputError):
    """A topic's query does not parse; carries the position for a caret."""

    code = "query_syntax"

    def __init__(self, query: str, error: QuerySyntaxError) -> None:
        super().__init__(f"the query is not valid: {error.message} (at character {error.position})")
        self.query = query
        self.error = error
        self.position = error.position
        self.reason = error.message


def validate_query(query: str) -> None:
    """Raise ``TopicQueryError`` when the query does not compile."""
    try:
        compile_query(query)
    except QuerySyntaxError as exc:
        raise TopicQueryError(query, exc) from None


def create_topic(
    db: Database,
    *,
    name: str,
    team: str,
    query: str,
    clock: Clock,
    kind: str = "brand",
    is_private: bool = False,
    actor: str = "cli",
) -> Topic:
    """Add a topic owned by ``team``; the query is validated first."""
    name = " ".join(name.split())
    if not name:
        raise InputError("a topic needs a name")
    if kind not in TOPIC_KINDS:
        raise InputError(f"unknown topic kind {kind!r} (one of: {', '.join(TOPIC_KINDS)})")
    validate_query(query)
    team_row = find_team(db, name=team)
    now = clock.now()
    with db.transaction() as tx:
        if store_topics.get_topic(tx.session, name_or_id=name) is not None and not name.isdigit():
            raise Conflict(f"a topic named {name!r} exists already")
        topic = store_topics.add_topic(
            tx.session,
            name=name,
            query=query,
            team_id=team_row.id,
            kind=kind,
            now=now,
            is_private=is_private,
        )
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action="topic.create",
            target_type="topic",
            target_id=topic.id,
            details={"name": name, "query": query, "team": team_row.name},
        )
        # Published by the outbox relay; the connectors role backfills the topic's history.
        add_events(
            tx.session,
            events=[(EVENT_TOPIC_CREATED, {"topic_id": topic.id, "name": name, "query": query})],
            now=now,
        )
    return topic


def set_topic_enabled(
    db: Database, *, name_or_id: str, enabled: bool, clock: Clock, actor: str = "cli"
) -> Topic:
    """Turn a topic on or off; the matcher picks the change up within seconds."""
    now = clock.now()
    with db.transaction() as tx:
        topic = store_topics.get_topic(tx.session, name_or_id=name_or_id)
        if topic is None:
            raise NotFound(f"no topic named {name_or_id!r} (see 'slusha topics list')")
        topic.enabled = enabled
        topic.updated_at = now
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action="topic.enable" if enabled else "topic.disable",
            target_type="topic",
            target_id=topic.id,
        )
    return topic


def list_topics(db: Database, *, enabled_only: bool = False) -> list[tuple[Topic, Team]]:
    """Topics with their teams."""
    with db.read() as tx:
        return store_topics.list_topics(tx.session, enabled_only=enabled_only)
