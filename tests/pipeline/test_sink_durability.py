"""A feed's cursor moves only once its posts are stored; one bad character stops nothing.

Feed -> scheduler -> ``source_sink`` -> in-memory bus -> worker, on the real RSS connector and
a loopback origin. Before: the cursor was saved as soon as the posts were on the in-process
queue (a kill lost them, and the next check found nothing new), and a lone surrogate in a
JSON Feed item made the bus refuse the batch and ended the scheduler's task for good.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from tests.support.enricher import shared_enricher
from tests.support.origin import Origin, Reply, serve_origin

from slusha.bus.memory import MemoryBus
from slusha.clock import FrozenClock
from slusha.config import Settings
from slusha.pipeline.ingest import source_sink
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.scheduler import Scheduler
from slusha.pipeline.topics import TopicIndex
from slusha.pipeline.worker import Worker
from slusha.plugins.host import PluginHost
from slusha.plugins.net import HttpClient
from slusha.plugins.registry import Registry
from slusha.services import sources as services
from slusha.services.teams import create_team
from slusha.services.topics import create_topic
from slusha.store.db import Database
from slusha.store.schema import Post as PostRow
from slusha.store.schema import Source

FEED_TYPE = {"Content-Type": "application/feed+json"}
pytestmark = [pytest.mark.timeout(60), pytest.mark.parametrize("db", ["sqlite"], indirect=True)]


def json_feed(count: int, *, broken: int | None = None) -> bytes:
    items = [
        {"id": f"item-{i}", "content_text": f"acme news number {i}",
         "date_published": "2026-11-26T10:00:00Z"}
        for i in range(count)
    ]  # fmt: skip
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Acme",
                       "items": items})  # fmt: skip
    if broken is not None:  # half an emoji, as a JSON escape: valid JSON, invalid Unicode
        body = body.replace(f"acme news number {broken}", f"acme news \\ud83d {broken}")
    return body.encode()


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serve_origin() as server:
        yield server


async def _setup(
    db: Database, settings: Settings, registry: Registry, clock: FrozenClock, http: HttpClient,
    origin: Origin, bus: MemoryBus, *, timeout_seconds: float = 60,
) -> tuple[Scheduler, Worker, int]:  # fmt: skip
    create_team(db, name="Care", clock=clock)
    create_topic(db, name="Acme", team="Care", query="acme", clock=clock)
    source = await services.add_source(
        db,
        host=PluginHost(settings=settings, clock=clock, registry=registry, http=http),
        kind="rss",
        name="Acme feed",
        config={"url": origin.url("/feed.json")},
    )
    pipeline = Pipeline(db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0),
                        enricher=shared_enricher())  # fmt: skip
    worker = Worker(pipeline=pipeline, bus=bus, db=db, clock=clock, batch_size=500)
    await worker.start()
    sink = source_sink(bus, timeout_seconds=timeout_seconds)
    scheduler = Scheduler(
        db=db,
        host=PluginHost(settings=settings, clock=clock, registry=registry, http=http),
        sink=sink,
    )
    return scheduler, worker, source.id


def _stored(db: Database) -> int:
    with db.read() as tx:
        return int(tx.session.scalar(select(func.count(PostRow.id))) or 0)


def _cursor(db: Database, source_id: int) -> object:
    with db.read() as tx:
        row = tx.session.get(Source, source_id)
        assert row is not None
        return row.cursor


async def test_the_cursor_waits_until_the_posts_are_stored(
    db: Database, settings: Settings, registry: Registry, clock: FrozenClock, http: HttpClient,
    origin: Origin,
) -> None:  # fmt: skip
    origin.route("/feed.json", Reply(body=json_feed(2000), headers=FEED_TYPE))
    bus = MemoryBus()
    scheduler, worker, source_id = await _setup(
        db, settings, registry, clock, http, origin, bus, timeout_seconds=0.5
    )
    # No worker runs (a process killed before it stored them): the check fails and the cursor
    # stays, so the next check fetches the same posts instead of finding "nothing new".
    report = await scheduler.run_once()
    (outcome,) = report.outcomes
    assert not outcome.ok and outcome.code == "bus_busy"
    assert _cursor(db, source_id) is None and _stored(db) == 0
    stop = asyncio.Event()
    working = asyncio.create_task(worker.run(stop))  # the process is back
    scheduler.sink = source_sink(bus)
    clock.advance(3600)
    report = await scheduler.run_once()
    assert report.ok == 1
    assert _stored(db) == 2000 and _cursor(db, source_id) is not None  # stored, then the cursor
    stop.set()
    await working


async def test_a_lone_surrogate_in_a_feed_is_repaired_and_polling_goes_on(
    db: Database, settings: Settings, registry: Registry, clock: FrozenClock, http: HttpClient,
    origin: Origin,
) -> None:  # fmt: skip
    origin.route("/feed.json", Reply(body=json_feed(5, broken=3), headers=FEED_TYPE))
    bus = MemoryBus()
    scheduler, worker, source_id = await _setup(db, settings, registry, clock, http, origin, bus)
    stop = asyncio.Event()
    working = asyncio.create_task(worker.run(stop))
    polling = asyncio.create_task(scheduler.run(stop, idle_seconds=0.1))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if _stored(db) == 5:
            break
    assert _stored(db) == 5
    with db.read() as tx:
        texts = set(tx.session.scalars(select(PostRow.text)))
        source = tx.session.get(Source, source_id)
        assert source is not None and source.error_streak == 0
    assert "acme news \ufffd 3" in texts
    assert not polling.done()  # the scheduler still runs
    stop.set()
    await asyncio.gather(working, polling)


async def test_a_poll_stopped_midway_leaves_its_source_due_at_once(
    db: Database, settings: Settings, registry: Registry, clock: FrozenClock, http: HttpClient,
    origin: Origin,
) -> None:  # fmt: skip
    origin.route("/feed.json", Reply(body=json_feed(3), headers=FEED_TYPE, delay_seconds=5))
    bus = MemoryBus()
    scheduler, _worker, source_id = await _setup(db, settings, registry, clock, http, origin, bus)
    polling = asyncio.create_task(scheduler.run_once())
    for _ in range(100):
        await asyncio.sleep(0.05)
        if origin.hits("/feed.json"):
            break
    with db.read() as tx:
        claimed = tx.session.get(Source, source_id)
        assert claimed is not None and claimed.next_check_at > clock.now()  # claimed
    polling.cancel()  # a shutdown that ran out of time
    with pytest.raises(asyncio.CancelledError):
        await polling
    with db.read() as tx:
        released = tx.session.get(Source, source_id)
        assert released is not None and released.next_check_at == clock.now()
        assert released.cursor is None
