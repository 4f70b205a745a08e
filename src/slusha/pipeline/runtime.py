"""Everything a process needs, built from settings at start-up (nothing happens at import)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slusha.bus.base import Bus
from slusha.bus.factory import open_bus
from slusha.clock import Clock, SystemClock
from slusha.config import Settings
from slusha.domain.hygiene import PostLimits
from slusha.domain.post import Post
from slusha.pipeline.metrics import Metrics
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.stages import EnricherLike, EnrichmentLike
from slusha.pipeline.supervisor import Supervisor
from slusha.pipeline.topics import TopicIndex
from slusha.plugins.host import PluginHost
from slusha.store import migrations
from slusha.store.db import Database

if TYPE_CHECKING:
    from slusha.enrich.language import LanguageHints


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Connect (raising a clear ``TransientError`` when it cannot) and migrate."""
    db = Database(settings.database_url)
    db.check()
    if migrate:
        migrations.upgrade(db)
    return db


def post_limits(settings: Settings) -> PostLimits:
    """The caps the settings put on one post."""
    return PostLimits(
        text_chars=settings.post_max_text_chars,
        title_chars=settings.post_max_title_chars,
        html_chars=settings.post_max_html_chars,
        future_tolerance_seconds=settings.post_future_tolerance_seconds,
    )


def tune_gc() -> None:
    """Make the collector cheap for a long-running ingest process.

    Start-up objects (models, the compiled matcher) are frozen out of collection, and young
    collections run less often: the pipeline allocates many short-lived objects per post, and
    default thresholds spend a third of ingest time collecting (measured in bench/ingest.py).
    The young threshold is above what one batch keeps alive (about ten containers per post):
    at 20,000 every collection walked the batch in flight, 0.44 s of a 12 s bench run; at
    100,000 reference counting has freed a batch before the count is reached (0.04 s).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def build_enricher(settings: Settings | None = None) -> EnricherLike:
    """The language and sentiment models the settings name, loaded and warmed up once.

    Without settings: the shipped sentiment model and the default languages.
    """
    from slusha.enrich import Enricher
    from slusha.enrich.language import DEFAULT_LANGUAGES, LanguageDetector

    if settings is None:
        enricher = Enricher()
    else:
        chosen = settings.detect_languages
        detector = LanguageDetector(
            tuple(chosen.split(",")) if chosen else DEFAULT_LANGUAGES,
            min_confidence=settings.language_min_confidence,
            word_memory=settings.language_word_memory,
        )
        enricher = Enricher(detector=detector, model_path=settings.sentiment_model)
    enricher.warm_up()
    return enricher


class LazyEnricher:
    """The shipped enricher, built on first use: roles that never enrich never load it.

    Loading the language models takes seconds and about a gigabyte, which a web-only,
    alerter or connectors process has no use for. A worker calls ``warm_up`` at start so that
    its first batch does not wait for them.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self._enricher: EnricherLike | None = None
        self._lock = threading.Lock()

    def get(self) -> EnricherLike:
        """The enricher, built (and warmed up) by the first caller."""
        with self._lock:
            if self._enricher is None:
                self._enricher = build_enricher(self.settings)
            return self._enricher

    def warm_up(self) -> None:
        """Build the enricher now."""
        self.get()

    def enrich(
        self, posts: Sequence[Post], hints: Sequence[LanguageHints | None] | None = None
    ) -> Sequence[EnrichmentLike]:
        """Language and sentiment for a batch (see ``EnricherLike``)."""
        return self.get().enrich(posts, hints=hints)


@dataclass
class Runtime:
    """The database, the bus and the pipeline of one process."""

    settings: Settings
    db: Database
    bus: Bus
    clock: Clock
    pipeline: Pipeline
    host: PluginHost
    """Every connector and notifier, the outbound client: one per process."""
    supervisor: Supervisor | None = None  # set by the process that supervises the roles
    metrics: Metrics | None = None  # set by the process that serves /metrics

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        enricher: EnricherLike | None = None,
        db: Database | None = None,
        migrate: bool = True,
        host: PluginHost | None = None,
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
            enricher=enricher or LazyEnricher(settings),
            keep_unmatched=settings.keep_unmatched_posts,
            limits=post_limits(settings),
        )
        host = host or PluginHost(settings=settings, clock=clock)
        return cls(settings=settings, db=db, bus=bus, clock=clock, pipeline=pipeline, host=host)

    async def close(self) -> None:
        """Close the bus, the plugin host's outbound client and the database pool."""
        await self.bus.close()
        await self.host.aclose()
        self.db.dispose()
