"""Dashboard figures, read only from ``mention_rollups`` (never from raw posts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slusha.store.schema import MentionRollup, Topic
from slusha.store.stream import Visibility, visible_clause

DIMENSIONS = {
    "hour": MentionRollup.hour,
    "network": MentionRollup.network,
    "lang": MentionRollup.lang,
    "sentiment": MentionRollup.sentiment,
    "topic_id": MentionRollup.topic_id,
}


def rollup_counts(
    session: Session,
    *,
    group_by: Sequence[str],
    since: datetime,
    until: datetime,
    visibility: Visibility,
    team_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[Any, ...]]:
    """Sums of rollup counts grouped by ``group_by`` (keys of ``DIMENSIONS``), count last.

    With ``limit`` the biggest groups come first.
    """
    columns = [DIMENSIONS[name] for name in group_by]
    total = func.sum(MentionRollup.count)
    stmt: Any = (
        select(*columns, total)
        .join(Topic, Topic.id == MentionRollup.topic_id)
        .where(MentionRollup.hour >= since, MentionRollup.hour < until)
        .where(
            visible_clause(visibility, team_col=MentionRollup.team_id, private_col=Topic.is_private)
        )
        .group_by(*columns)
    )
    if team_id is not None:
        stmt = stmt.where(MentionRollup.team_id == team_id)
    if limit is not None:
        stmt = stmt.order_by(total.desc()).limit(limit)
    return [tuple(row) for row in session.execute(stmt).all()]


def topic_names(session: Session, *, ids: Sequence[int]) -> dict[int, str]:
    """Names of the given topics."""
    if not ids:
        return {}
    rows = session.execute(select(Topic.id, Topic.name).where(Topic.id.in_(list(ids)))).all()
    return {int(i): str(n) for i, n in rows}
