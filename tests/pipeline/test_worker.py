"""The worker over a real bus: ack after commit, retry when the database is away, dead letters."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from tests.support.builders import organisation, post
from tests.support.enricher import shared_enricher

from slusha.bus import Bus
from slusha.bus.messages import SUBJECT_EVENTS, SUBJECT_POSTS
from slusha.pipeline.ingest import submit_posts
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.topics import TopicIndex
from slusha.pipeline.worker import DURABLE, Worker
from slusha.store.db import Database
from slusha.store.schema import DeadLetter, Event, Mention, Post


def _worker(db: Database, bus: Bus, clock) -> Worker:
    pipeline = Pipeline(
        db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0), enricher=shared_enricher()
    )
    return Worker(pipeline=pipeline, bus=bus, db=db, clock=clock, batch_size=50)


def _count(db: Database, model: type) -> int:
    with db.transaction() as tx:
        return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


async def _run_until_idle(worker: Worker) -> None:
    for _ in range(50):
        if await worker.run_once(timeout_seconds=0.3) == 0:
            return


async def test_posts_from_the_bus_become_mentions_and_events_are_published(
    db: Database, bus: Bus, clock
) -> None:
    organisation(db, clock=clock)
    worker = _worker(db, bus, clock)
    await worker.start()
    await bus.subscribe(SUBJECT_EVENTS, "test")
    await submit_posts(bus, [post(str(i), f"acme number {i}") for i in range(120)], confirm=False)
    await submit_posts(bus, [post("1", "acme number 1, edited")], confirm=False)  # a duplicate
    await _run_until_idle(worker)
    assert _count(db, Post) == 120
    assert _count(db, Mention) == 120
    events = []
    for _ in range(10):
        for message in await bus.fetch(SUBJECT_EVENTS, "test", batch=200, timeout_seconds=0.3):
            events.append(message.data)
            await message.ack()
    assert len(events) == 120
    assert {e["kind"] for e in events} == {"mention.created"}
    with db.transaction() as tx:
        unpublished = tx.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.published_at.is_(None), Event.kind == "mention.created")
        )
    assert unpublished == 0


async def test_database_down_means_nothing_is_acked_and_nothing_is_lost(
    db: Database, bus: Bus, clock
) -> None:
    organisation(db, clock=clock)
    broken = Database("postgresql://nobody@127.0.0.1:1/nothing")
    worker = _worker(broken, bus, clock)
    worker.pipeline.topics = TopicIndex(db, refresh_seconds=0)  # topics known, writes fail
    await worker.start()
    await submit_posts(bus, [post("1", "acme one"), post("2", "acme two")], confirm=False)
    assert await worker.run_once(timeout_seconds=1) == 2  # fetched, failed, nak'ed
    healthy = _worker(db, bus, clock)
    await asyncio.sleep(2.5)  # the retry delay
    await _run_until_idle(healthy)
    assert _count(db, Mention) == 2


async def test_malformed_messages_are_dead_lettered_with_their_reason(
    db: Database, bus: Bus, clock
) -> None:
    organisation(db, clock=clock)
    worker = _worker(db, bus, clock)
    await worker.start()
    await bus.publish(SUBJECT_POSTS, {"v": 1, "post": {"network": "x", "id": "9"}}, msg_id="a")
    await bus.publish(SUBJECT_POSTS, {"v": 99, "post": {}}, msg_id="b")
    await submit_posts(bus, [post("1", "acme fine")], confirm=False)
    await _run_until_idle(worker)
    with db.transaction() as tx:
        errors = sorted(tx.session.scalars(select(DeadLetter.error)))
    assert len(errors) == 2
    assert any("missing required keys: text, created_at" in e for e in errors)
    assert any("unsupported message version" in e for e in errors)
    assert _count(db, Mention) == 1
    assert worker.totals.rejected == 1


async def test_the_durable_consumer_name_is_stable() -> None:
    # Renaming it would make every NATS deployment re-read (or skip) its stream.
    assert DURABLE == "pipeline"
