"""Daily rollups: kept with the hourly ones, moved by corrections, filled by migration 0006;
and the search index optimisation that bulk imports end with."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from tests.support.builders import organisation, post
from tests.support.enricher import shared_enricher

from slusha.clock import FrozenClock
from slusha.domain.ingest import Incoming
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.topics import TopicIndex
from slusha.store import migrations
from slusha.store.corrections import apply_correction
from slusha.store.db import Database
from slusha.store.schema import Mention, MentionDailyRollup, MentionRollup, Post

DIMENSIONS = ("network", "lang", "sentiment")


def _ingest(db: Database, clock: FrozenClock) -> None:
    organisation(db, clock=clock)
    pipeline = Pipeline(db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0),
                        enricher=shared_enricher())  # fmt: skip
    # 08:00 UTC minus 0 min, 7 h, 9 h (the day before) and 3 days: three UTC days.
    posts = [post(str(i), f"acme refund acme post {i}", minutes_ago=m)
             for i, m in enumerate((0, 5, 420, 540, 545, 4320))]  # fmt: skip
    pipeline.process([Incoming(data=p, where=f"line {i}") for i, p in enumerate(posts)])


def _hourly_by_day(db: Database) -> Counter[tuple[object, ...]]:
    """(dimension, day, topic, team, value) -> count, summed from the hourly rollups."""
    out: Counter[tuple[object, ...]] = Counter()
    with db.read() as tx:
        for row in tx.session.scalars(select(MentionRollup)):
            for dimension in DIMENSIONS:
                day = row.hour.date().isoformat()
                key = (dimension, day, row.topic_id, row.team_id, getattr(row, dimension))
                out[key] += row.count
    return +out


def _daily(db: Database) -> Counter[tuple[object, ...]]:
    out: Counter[tuple[object, ...]] = Counter()
    with db.read() as tx:
        for row in tx.session.scalars(select(MentionDailyRollup)):
            assert row.day == row.day.replace(hour=0, minute=0, second=0, microsecond=0)
            key = (row.dimension, row.day.date().isoformat(), row.topic_id, row.team_id, row.value)
            out[key] += row.count
    return +out


def _volume(daily: Counter[tuple[object, ...]], dimension: str) -> int:
    return sum(n for key, n in daily.items() if key[0] == dimension)


def test_daily_rollups_sum_the_hourly_ones_in_the_same_save(db: Database, clock) -> None:
    _ingest(db, clock)
    daily = _daily(db)
    assert daily == _hourly_by_day(db)
    assert {key[1] for key in daily} == {"2026-11-24", "2026-11-26", "2026-11-27"}
    with db.read() as tx:
        mentions = len(tx.session.scalars(select(Mention.id)).all())
    # Each dimension counts every mention once; each post matches Acme and Refunds.
    assert [_volume(daily, d) for d in DIMENSIONS] == [mentions] * 3 and mentions == 12


def test_a_correction_moves_the_count_in_both_grains(db: Database, clock) -> None:
    _ingest(db, clock)
    with db.transaction() as tx:
        target = tx.session.scalars(select(Post).where(Post.external_id == "2")).one()
        before = target.sentiment
        new = "positive" if before != "positive" else "negative"
        apply_correction(tx.session, post=target, field="sentiment", new_value=new,
                         user_id=None, now=clock.now())  # fmt: skip
    daily = _daily(db)
    assert daily == _hourly_by_day(db)
    moved = {k: v for k, v in daily.items() if k[:2] == ("sentiment", "2026-11-27")}
    assert sum(v for k, v in moved.items() if k[4] == new) >= 2  # both of the post's mentions
    assert [_volume(daily, d) for d in DIMENSIONS] == [12] * 3


def test_migration_0006_fills_the_daily_rollups_from_the_hourly_ones(db: Database, clock) -> None:
    _ingest(db, clock)
    expected = _daily(db)
    migrations.downgrade(db, "0005")
    migrations.upgrade(db, "0006")
    assert _daily(db) == expected
    migrations.upgrade(db)


def test_optimizing_the_search_index_keeps_every_answer(db: Database, clock) -> None:
    from slusha.store.search import optimize_index, search_post_ids

    _ingest(db, clock)
    with db.read() as tx:
        before = search_post_ids(tx.session, words="refund acme", limit=100)
    with db.transaction() as tx:
        optimize_index(tx.session)
    with db.read() as tx:
        assert search_post_ids(tx.session, words="refund acme", limit=100) == before
    assert len(before) == 6
