"""Deletions travel on the bus behind their posts, and win whichever worker stores the post.

Before: the connectors role marked posts deleted in the database directly while the posts went
through the bus, so a post created and deleted in one stream batch could be stored as live.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from tests.support.builders import organisation, post
from tests.support.enricher import shared_enricher
from tests.support.plugins import SCRIPTS, Script, make_post

from slusha.bus import Bus
from slusha.bus.messages import SUBJECT_POSTS, deletion_message
from slusha.clock import FrozenClock
from slusha.config import Settings
from slusha.pipeline.ingest import deletion_sink, source_sink, submit_posts
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.scheduler import Scheduler
from slusha.pipeline.topics import TopicIndex
from slusha.pipeline.worker import Worker
from slusha.plugins.api import FetchResult
from slusha.plugins.host import PluginHost
from slusha.plugins.net import HttpClient
from slusha.plugins.registry import Registry
from slusha.services import sources as services
from slusha.store.db import Database
from slusha.store.schema import DeadLetter, Post, PostDeletion


def _worker(db: Database, bus: Bus, clock: FrozenClock) -> Worker:
    pipeline = Pipeline(
        db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0), enricher=shared_enricher()
    )
    return Worker(pipeline=pipeline, bus=bus, db=db, clock=clock, batch_size=50)


async def _run_until_idle(worker: Worker) -> None:
    for _ in range(50):
        if await worker.run_once(timeout_seconds=0.3) == 0:
            return


def _deleted(db: Database) -> dict[str, bool]:
    with db.read() as tx:
        return {p.external_id: p.is_deleted for p in tx.session.scalars(select(Post))}


async def test_a_post_and_its_deletion_in_one_batch_end_deleted(
    db: Database, bus: Bus, clock: FrozenClock
) -> None:
    organisation(db, clock=clock)
    worker = _worker(db, bus, clock)
    await worker.start()
    await submit_posts(bus, [post("1", "acme one"), post("2", "acme two")], confirm=False)
    await bus.publish(SUBJECT_POSTS, deletion_message("mastodon", ["1"]))
    assert await worker.run_once(timeout_seconds=1) == 3  # one batch
    assert _deleted(db) == {"1": True, "2": False}


async def test_a_deletion_that_overtakes_its_post_still_wins(
    db: Database, bus: Bus, clock: FrozenClock
) -> None:
    # With several workers, the deletion can be handled before another worker stores the post.
    organisation(db, clock=clock)
    worker = _worker(db, bus, clock)
    await worker.start()
    await bus.publish(SUBJECT_POSTS, deletion_message("mastodon", ["7"]))
    await _run_until_idle(worker)
    await submit_posts(bus, [post("7", "acme seven")], confirm=False)
    await _run_until_idle(worker)
    assert _deleted(db) == {"7": True}
    clock.advance(2 * 24 * 3600)  # deletions are remembered for a day
    await bus.publish(SUBJECT_POSTS, deletion_message("mastodon", ["8"]))
    await _run_until_idle(worker)
    with db.read() as tx:
        assert list(tx.session.scalars(select(PostDeletion.external_id))) == ["8"]


async def test_a_malformed_deletion_goes_to_the_dead_letters(
    db: Database, bus: Bus, clock: FrozenClock
) -> None:
    organisation(db, clock=clock)
    worker = _worker(db, bus, clock)
    await worker.start()
    await bus.publish(SUBJECT_POSTS, {"v": 1, "deleted": {"network": "mastodon", "ids": [1]}})
    await _run_until_idle(worker)
    with db.read() as tx:
        (error,) = tx.session.scalars(select(DeadLetter.error))
    assert "list of string 'ids'" in error


async def test_the_scheduler_sends_deletions_behind_the_posts(
    db: Database, bus: Bus, clock: FrozenClock, settings: Settings, registry: Registry,
    http: HttpClient,
) -> None:  # fmt: skip
    organisation(db, clock=clock)
    SCRIPTS["gone"] = Script(fetches=[
        FetchResult([make_post("10", "acme ten"), make_post("11", "acme eleven")], {"n": 1},
                    deleted_ids=["10"]),
    ])  # fmt: skip
    await services.add_source(
        db,
        host=PluginHost(settings=settings, clock=clock, registry=registry, http=http),
        kind="scripted",
        name="gone",
        config={"script": "gone"},
    )
    worker = _worker(db, bus, clock)
    await worker.start()
    stop = asyncio.Event()
    working = asyncio.create_task(worker.run(stop))
    scheduler = Scheduler(
        db=db,
        host=PluginHost(settings=settings, clock=clock, registry=registry, http=http),
        sink=source_sink(bus),
        deletions=deletion_sink(bus),
    )
    report = await scheduler.run_once()
    assert report.ok == 1, report.outcomes
    stop.set()
    await working
    await _run_until_idle(worker)  # JetStream: the worker reads what the stream holds now
    assert _deleted(db) == {"10": True, "11": False}
