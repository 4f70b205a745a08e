"""Everything a process needs, built from settings at start-up (nothing happens at import)."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from slusha.bus.base import Bus, open_bus
from slusha.clock import Clock, SystemClock
from slusha.config import Settings
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.stages import EnricherLike
from slusha.pipeline.topics import TopicIndex
from slusha.store import migrations
from slusha.store.db import Database


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Connect (raising a clear ``TransientError`` when it cannot) and migrate."""
    db = Database(settings.database_url)
    db.check()
    if migrate:
        migrations.upgrade(db)
    return db


def tune_gc() -> None:
    """Make the collector cheap for a long-running ingest process.

    Start-up objects (models, the compiled matcher) are frozen out of collection, and young
    collections run less often: the pipeline allocates many short-lived objects per post, and
    default thresholds spend a third of ingest time collecting (measured in bench/ingest.py).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def build_enricher() -> EnricherLike:
    """The shipped language and sentiment models, loaded and warmed up once at start-up."""
    from slusha.enrich import Enricher

    enricher = Enricher()
    enricher.warm_up()
    return enricher


@dataclass
class Runtime:
    """The database, the bus and the pipeline of one process."""

    settings: Settings
    db: Database
    bus: Bus
    clock: Clock
    pipeline: Pipeline

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        enricher: EnricherLike | None = None,
        db: Database | None = None,
        migrate: bool = True,
    ) -> Runtime:
        """Build the parts; call ``await runtime.bus.start()`` before using the bus."""
        clock = clock or SystemClock()
        db = db or open_database(settings, migrate=migrate)
        bus = open_bus(
            settings.bus_url,
            queue_size=settings.bus_queue_size,
            stream_prefix=settings.bus_stream_prefix,
        )
        topics = TopicIndex(db)
        pipeline = Pipeline(
            db=db,
            clock=clock,
            topics=topics,
            enricher=enricher or build_enricher(),
            keep_unmatched=settings.keep_unmatched_posts,
        )
        return cls(settings=settings, db=db, bus=bus, clock=clock, pipeline=pipeline)

    async def close(self) -> None:
        """Close the bus and the database pool."""
        await self.bus.close()
        self.db.dispose()
