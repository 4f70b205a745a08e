"""Counters kept at write time: mention rollups per hour and per day, ingest outcomes per day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from slusha.store.bulk import insert_many
from slusha.store.schema import IngestCounter, MentionDailyRollup, MentionRollup

if TYPE_CHECKING:
    from slusha.store.posts import NewMention, PostRecord


def add_ingest_counts(session: Session, *, day: str, counts: Counter[tuple[str, str]]) -> None:
    """Add to the per-day counters of (network, outcome)."""
    if not counts:
        return
    rows = [(day, network, outcome, n) for (network, outcome), n in sorted(counts.items())]
    insert_many(
        session.connection(),
        IngestCounter.__table__,  # type: ignore[arg-type]
        ("day", "network", "outcome", "count"),
        rows,
        conflict=("day", "network", "outcome"),
        add="count",
    )


HOURLY_KEY = ("hour", "topic_id", "team_id", "network", "lang", "sentiment")
DAILY_KEY = ("dimension", "day", "topic_id", "team_id", "value")
DAILY_DIMENSIONS = ("network", "lang", "sentiment")
Counts = Counter[tuple[Any, ...]]
"""Mentions keyed (moment, topic_id, team_id, network, lang, sentiment)."""


def hour_of(moment: datetime) -> datetime:
    """The hourly bucket of a moment."""
    return moment.replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    """The daily bucket (midnight UTC) of a moment."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def hourly_counts(counts: Counts) -> Counts:
    """``counts`` keyed as the hourly rollups: (hour, topic, team, network, lang, sentiment)."""
    out: Counts = Counter()
    for (moment, *rest), n in counts.items():
        out[(hour_of(moment), *rest)] += n
    return out


def daily_counts(counts: Counts) -> Counts:
    """``counts`` keyed as the daily rollups: (dimension, day, topic, team, value)."""
    out: Counts = Counter()
    for (moment, topic_id, team_id, *values), n in counts.items():
        day = day_of(moment)
        for dimension, value in zip(DAILY_DIMENSIONS, values, strict=True):
            out[(dimension, day, topic_id, team_id, value)] += n
    return out


def _upsert(session: Session, model: Any, key: tuple[str, ...], counts: Counts) -> None:
    rows = [(*k, n) for k, n in counts.items() if n]
    # Sorted so that concurrent workers lock rollup rows in the same order (no deadlocks).
    try:
        rows.sort()  # every key column holds one type and no None: the plain order is total
    except TypeError:
        rows.sort(key=_lock_order)
    insert_many(
        session.connection(), model.__table__, (*key, "count"), rows, conflict=key, add="count"
    )


def _lock_order(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(map(str, row))


def add_counts(session: Session, counts: Counts) -> None:
    """Add ``counts`` to the hourly rollups and to each dimension of the daily ones."""
    if counts:
        _upsert(session, MentionRollup, HOURLY_KEY, hourly_counts(counts))
        _upsert(session, MentionDailyRollup, DAILY_KEY, daily_counts(counts))


def add_rollups(
    session: Session,
    *,
    mentions: Sequence[NewMention],
    records: Sequence[PostRecord],
    ids: dict[tuple[str, str], int],
) -> None:
    """Count new mentions per hour and per day, topic, team, network, language and sentiment."""
    if not mentions:
        return
    posted = {
        ids[(r.post.network, r.post.id)]: r.post.created_at
        for r in records
        if (r.post.network, r.post.id) in ids
    }
    counts: Counts = Counter()
    for mention in mentions:
        key = (mention.topic_id, mention.team_id, mention.network)
        counts[(posted[mention.post_id], *key, mention.lang or "", mention.sentiment or "")] += 1
    add_counts(session, counts)


def _take(session: Session, model: Any, where: dict[str, Any]) -> None:
    columns = model.__table__.c
    session.execute(
        update(model)
        .where(*(columns[k] == v for k, v in where.items()))
        .where(columns.count > 0)
        .values(count=columns.count - 1)
    )


def take_one(session: Session, key: tuple[Any, ...]) -> None:
    """Take one mention, keyed as in ``Counts``, out of its buckets (never below zero)."""
    for hour_key in hourly_counts(Counter([key])):
        _take(session, MentionRollup, dict(zip(HOURLY_KEY, hour_key, strict=True)))
    for day_key in daily_counts(Counter([key])):
        _take(session, MentionDailyRollup, dict(zip(DAILY_KEY, day_key, strict=True)))
