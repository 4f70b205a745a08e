"""The scheduler on a real SQLite database, with feeds on a real server and scripted plugins."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.origin import Origin, Reply, serve_origin
from tests.support.plugins import SCRIPTS, Script, make_post

from slusha.clock import FrozenClock
from slusha.config import Settings
from slusha.domain.post import Post
from slusha.errors import PermanentError, TransientError
from slusha.pipeline.scheduler import Scheduler, next_delay_seconds
from slusha.plugins.api import FetchResult, StreamBatch
from slusha.plugins.host import PluginHost
from slusha.plugins.net import HttpClient
from slusha.plugins.registry import Registry
from slusha.services import sources as services
from slusha.store.db import Database
from slusha.store.schema import Post as PostRow
from slusha.store.schema import Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rss"
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.timeout(30)


class Collector:
    """The sink: records what the pipeline would have received; can be told to fail."""

    def __init__(self) -> None:
        self.received: list[tuple[int, list[Post]]] = []
        self.languages: list[str | None] = []
        self.fail_next = False

    async def __call__(
        self, source_id: int, posts: list[Post], *, source_language: str | None = None
    ) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the bus is down")
        self.received.append((source_id, posts))
        self.languages.append(source_language)

    def ids(self) -> list[str]:
        return [p.id for _, posts in self.received for p in posts]


@pytest.fixture
def database(db: Database) -> Database:
    """The shared migrated database: every scheduler test runs on SQLite and PostgreSQL."""
    return db


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serve_origin() as server:
        yield server


class World:
    def __init__(self, db: Database, settings: Settings, registry: Registry, http: HttpClient):
        self.db, self.settings, self.registry, self.http = db, settings, registry, http
        self.clock = FrozenClock(START)
        self.host = PluginHost(settings=settings, clock=self.clock, registry=registry, http=http)
        self.sink = Collector()
        self.scheduler = Scheduler(db=db, host=self.host, sink=self.sink)

    async def add(self, kind: str, name: str, **config: Any) -> int:
        source = await services.add_source(
            self.db, host=self.host, kind=kind, name=name, config=config
        )
        return source.id

    def row(self, source_id: int) -> Source:
        with self.db.transaction() as tx:
            row = tx.session.get(Source, source_id)
            assert row is not None
            tx.session.expunge(row)
            return row


@pytest.fixture
def world(database: Database, settings: Settings, registry: Registry, http: HttpClient) -> World:
    return World(database, settings, registry, http)


async def test_due_feed_is_polled_and_cursor_saved_after_the_sink(
    world: World, origin: Origin
) -> None:
    origin.route("/feed", Reply(body=(FIXTURES / "rss2.xml").read_bytes(),
                                headers={"etag": '"a"'}))  # fmt: skip
    source_id = await world.add("rss", "blog", url=origin.url("/feed"))
    report = await world.scheduler.run_once()
    assert report.ok == 1
    assert len(world.sink.ids()) == 3
    row = world.row(source_id)
    assert row.cursor is not None and row.cursor["etag"] == '"a"'
    assert row.items_total == 3 and row.is_healthy and row.last_item_at is not None
    # The feed's <ttl> (60 minutes) is longer than the 15-minute interval: it wins.
    assert row.next_check_at == START + timedelta(seconds=3600)
    assert (await world.scheduler.run_once()).outcomes == []  # not due yet
    world.clock.advance(3600)
    await world.scheduler.run_once()
    assert len(world.sink.ids()) == 3  # nothing new, nothing repeated


async def test_crash_in_the_sink_repeats_the_fetch_and_loses_nothing(world: World) -> None:
    SCRIPTS["crash"] = Script(fetches=[
        FetchResult([make_post("1"), make_post("2")], {"after": "2"}),
        FetchResult([make_post("1"), make_post("2")], {"after": "2"}),
        FetchResult([make_post("3")], {"after": "3"}),
    ])  # fmt: skip
    source_id = await world.add("scripted", "crashy", script="crash")
    world.sink.fail_next = True
    report = await world.scheduler.run_once()  # the scheduler lives on: one source failed
    (failed,) = report.outcomes
    assert not failed.ok and failed.code == "pipeline" and "the bus is down" in str(failed.message)
    row = world.row(source_id)
    assert row.cursor is None  # not moved past posts nobody stored
    assert row.error_streak == 1 and row.last_error_code == "pipeline"
    # At its retry time the source is checked again and resumes from the old cursor.
    assert failed.next_check_at is not None
    world.clock.advance((failed.next_check_at - world.clock.now()).total_seconds())
    await world.scheduler.run_once()
    world.clock.advance(61)
    await world.scheduler.run_once()
    assert world.sink.ids() == ["1", "2", "3"]
    assert SCRIPTS["crash"].cursors_seen == [None, None, {"after": "2"}]
    assert world.row(source_id).cursor == {"after": "3"}


async def test_repeated_failures_mark_a_source_unhealthy_with_a_reason(
    world: World, origin: Origin
) -> None:
    origin.route("/gone", Reply(404))
    source_id = await world.add("rss", "gone", url=origin.url("/gone"))
    for _ in range(3):
        await world.scheduler.run_once()
        world.clock.advance(48 * 3600)
    row = world.row(source_id)
    assert row.error_streak == 3 and not row.is_healthy
    assert row.last_error_code == "http_404"
    (view,) = services.list_sources(world.db, registry=world.registry, clock=world.clock)
    assert view.health == "unhealthy"
    assert "does not exist (HTTP 404)" in view.reason


async def test_429_retry_after_sets_the_next_check(world: World, origin: Origin) -> None:
    origin.route("/busy", Reply(429, headers={"retry-after": "1800"}))
    source_id = await world.add("rss", "busy", url=origin.url("/busy"))
    await world.scheduler.run_once()
    row = world.row(source_id)
    assert row.last_error_code == "http_429" and row.is_healthy
    assert row.next_check_at == START + timedelta(seconds=1800)


async def test_slow_source_times_out_without_holding_up_the_others(
    world: World, origin: Origin
) -> None:
    origin.route("/drip", Reply(body=(FIXTURES / "rss2.xml").read_bytes(), drip_seconds=0.5))
    origin.route("/feed", Reply(body=(FIXTURES / "atom.xml").read_bytes()))
    slow = await world.add("rss", "slow", url=origin.url("/drip"))
    fast = await world.add("rss", "fast", url=origin.url("/feed"))
    report = await world.scheduler.run_once()
    by_id = {o.source_id: o for o in report.outcomes}
    assert by_id[fast].ok and by_id[fast].posts == 1
    assert not by_id[slow].ok and by_id[slow].code == "timeout"
    assert world.row(slow).last_error_code == "timeout"


async def test_deleted_posts_are_marked_within_one_cycle(world: World) -> None:
    now = START
    with world.db.transaction() as tx:
        for post_id in ("10", "11"):
            tx.session.add(PostRow(network="import", external_id=post_id, text="t", created_at=now,
                                   ingested_at=now, updated_at=now))  # fmt: skip
    SCRIPTS["del"] = Script(fetches=[FetchResult([], {"n": 1}, deleted_ids=["10"])])
    await world.add("scripted", "deleter", script="del")
    report = await world.scheduler.run_once()
    assert report.outcomes[0].deleted == 1
    with world.db.transaction() as tx:
        rows = {r.external_id: r.is_deleted for r in tx.session.query(PostRow)}
    assert rows == {"10": True, "11": False}


async def test_invalid_stored_config_is_a_config_error(world: World) -> None:
    source_id = await world.add("scripted", "broken", script="x")
    with world.db.transaction() as tx:
        row = tx.session.get(Source, source_id)
        assert row is not None
        row.config = {"script": "x", "unknown_field": 1}
    report = await world.scheduler.run_once()
    assert report.outcomes[0].code == "config"


async def test_stream_reconnects_with_backoff_and_resumes_from_cursor(world: World) -> None:
    SCRIPTS["stream"] = Script(stream_batches=[
        [StreamBatch([make_post("s1")], {"time_us": 1}),
         TransientError("connection reset", code="network")],
        [StreamBatch([make_post("s2")], {"time_us": 2}),
         StreamBatch([make_post("s2")], {"time_us": 3})],
    ])  # fmt: skip
    source_id = await world.add("scripted", "live", script="stream", streaming=True)
    world.scheduler.rng.seed(1)
    stop = asyncio.Event()
    task = asyncio.create_task(world.scheduler.run_stream(source_id, stop))
    for _ in range(400):
        if len(world.sink.ids()) >= 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert world.sink.ids()[:3] == ["s1", "s2", "s2"]  # duplicates are the pipeline's to drop
    assert SCRIPTS["stream"].cursors_seen[:2] == [None, {"time_us": 1}]
    assert world.row(source_id).cursor == {"time_us": 3}


async def test_streaming_sources_are_not_polled(world: World) -> None:
    SCRIPTS["s"] = Script(fetches=[PermanentError("must not poll", code="config")])
    await world.add("scripted", "live", script="s", streaming=True)
    report = await world.scheduler.run_once()
    assert report.outcomes == []


async def test_backfill_is_bounded_by_the_setting(world: World, settings: Settings) -> None:
    settings.backfill_max_posts = 3
    await world.add("scripted", "searchable", script="none")
    await world.add("rss", "blog", url="http://127.0.0.1:9/feed")  # cannot search: skipped
    report = await services.backfill_topic(
        world.db, host=world.host, terms=["acme"], sink=world.sink
    )
    assert report.posts_by_source == {"searchable": 3}
    assert len(world.sink.ids()) == 3


def test_next_delay_rules() -> None:
    assert next_delay_seconds(interval_seconds=300) == 300
    assert next_delay_seconds(interval_seconds=300, hint_seconds=7200) == 7200
    assert next_delay_seconds(interval_seconds=300, hint_seconds=10**9) == 24 * 3600
    limited = TransientError("x", code="http_429", retry_after_seconds=900)
    assert next_delay_seconds(interval_seconds=300, error=limited, error_streak=1) == 900
    first = next_delay_seconds(interval_seconds=300, error=TransientError("x"), error_streak=1)
    third = next_delay_seconds(interval_seconds=300, error=TransientError("x"), error_streak=3)
    assert 240 <= first <= 300 and 960 <= third <= 1200
    permanent = next_delay_seconds(interval_seconds=300, error=PermanentError("x"), error_streak=1)
    assert permanent >= 480


async def test_a_new_topic_backfills_its_history_from_sources_that_search(
    world: World, settings: Settings
) -> None:
    from slusha.pipeline.backfill import backfill_for_event
    from slusha.services.teams import create_team
    from slusha.services.topics import create_topic
    from slusha.store.events import unpublished_events

    settings.backfill_max_posts = 5
    await world.add("scripted", "searchable", script="none")
    create_team(world.db, name="PR", clock=world.clock)
    create_topic(world.db, name="Acme", team="PR", query="acme NOT job*", clock=world.clock)
    with world.db.read() as tx:
        events = [(e.kind, e.payload) for e in unpublished_events(tx.session)]
    assert events[-1][0] == "topic.created"
    event = {"v": 1, "kind": events[-1][0], "payload": events[-1][1]}
    report = await backfill_for_event(event, db=world.db, host=world.host, sink=world.sink)
    assert report is not None and report.posts_by_source == {"searchable": 5}
    assert len(world.sink.ids()) == 5
    other = {"v": 1, "kind": "mention.created", "payload": {}}
    assert await backfill_for_event(other, db=world.db, host=world.host, sink=world.sink) is None
