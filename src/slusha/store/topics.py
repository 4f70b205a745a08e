"""Topics: named queries owned by a team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slusha.store.schema import Team, Topic


def get_topic(session: Session, *, name_or_id: str | int) -> Topic | None:
    """A topic by id or by name (case-insensitive)."""
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        topic = session.get(Topic, int(name_or_id))
        if topic is not None:
            return topic
    name = str(name_or_id)
    exact = session.scalars(select(Topic).where(Topic.name == name)).first()
    if exact is not None:
        return exact
    # SQLite's lower() folds ASCII only ("ЛУМИО" != "лумио"), so compare case-folded names here;
    # an organisation has hundreds of topics, not millions.
    folded = name.casefold()
    for topic_id, topic_name in session.execute(select(Topic.id, Topic.name)):
        if topic_name.casefold() == folded:
            return session.get(Topic, topic_id)
    return None


def add_topic(
    session: Session,
    *,
    name: str,
    query: str,
    team_id: int,
    kind: str,
    now: datetime,
    is_private: bool = False,
) -> Topic:
    """Insert a topic (the caller validated the query)."""
    topic = Topic(
        name=name,
        query=query,
        team_id=team_id,
        kind=kind,
        enabled=True,
        is_private=is_private,
        created_at=now,
        updated_at=now,
    )
    session.add(topic)
    session.flush()
    return topic


def list_topics(session: Session, *, enabled_only: bool = False) -> list[tuple[Topic, Team]]:
    """Topics with their teams, by name."""
    stmt = select(Topic, Team).join(Team, Team.id == Topic.team_id).order_by(Topic.name)
    if enabled_only:
        stmt = stmt.where(Topic.enabled.is_(True))
    return [(topic, team) for topic, team in session.execute(stmt).all()]


def topics_version(session: Session) -> tuple[int, datetime | None]:
    """A cheap fingerprint (count, newest change) that moves whenever a topic changes."""
    count, newest = session.execute(select(func.count(Topic.id), func.max(Topic.updated_at))).one()
    return int(count), newest
