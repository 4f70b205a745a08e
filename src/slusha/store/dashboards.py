"""Dashboard figures, read only from the daily rollups (never from raw posts).

A chart reads one dimension of the daily grain: days x topics x values rows, however many
mentions there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slusha.store.schema import MentionDailyRollup as Rollup
from slusha.store.schema import Topic
from slusha.store.stream import Visibility, visible_clause

COLUMNS = {"day": Rollup.day, "value": Rollup.value, "topic_id": Rollup.topic_id}


def rollup_counts(
    session: Session,
    *,
    dimension: str,
    group_by: Sequence[str],
    since: datetime,
    until: datetime,
    visibility: Visibility,
    team_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[Any, ...]]:
    """Sums of one ``dimension``'s daily counts grouped by ``group_by`` (keys of ``COLUMNS``).

    The count comes last. Every dimension counts each mention once, so any of them gives the
    volume. With ``limit`` the biggest groups come first.
    """
    columns = [COLUMNS[name] for name in group_by]
    total = func.sum(Rollup.count)
    stmt: Any = (
        select(*columns, total)
        .join(Topic, Topic.id == Rollup.topic_id)
        .where(Rollup.dimension == dimension, Rollup.day >= since, Rollup.day < until)
        .where(visible_clause(visibility, team_col=Rollup.team_id, private_col=Topic.is_private))
        .group_by(*columns)
    )
    if team_id is not None:
        stmt = stmt.where(Rollup.team_id == team_id)
    if limit is not None:
        stmt = stmt.order_by(total.desc()).limit(limit)
    return [tuple(row) for row in session.execute(stmt).all()]


def topic_names(session: Session, *, ids: Sequence[int]) -> dict[int, str]:
    """Names of the given topics."""
    if not ids:
        return {}
    rows = session.execute(select(Topic.id, Topic.name).where(Topic.id.in_(list(ids)))).all()
    return {int(i): str(n) for i, n in rows}
