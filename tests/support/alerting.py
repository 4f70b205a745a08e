"""Running the real pipeline and the real alerter in a test, step by step (no sleeps, no timers)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from slusha.bus import Bus, open_bus
from slusha.clock import FrozenClock
from slusha.config import Settings, load_settings
from slusha.pipeline.alerter import Alerter
from slusha.pipeline.ingest import submit_posts
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.topics import TopicIndex
from slusha.pipeline.worker import Worker
from slusha.plugins.delivery import RetryPolicy
from slusha.plugins.host import PluginHost
from slusha.plugins.registry import Registry, build_registry
from slusha.store.db import Database
from tests.support.enricher import shared_enricher
from tests.support.net_fixtures import make_client

FAST = RetryPolicy(max_attempts=2, base_delay_seconds=0.001, max_delay_seconds=0.01)
SECRET_KEY = "test-secret-key-for-alert-channels"


def alert_settings(db: Database, **values: Any) -> Settings:
    """Settings for the alerting parts: a secret key and a public URL for stream links."""
    values.setdefault("secret_key", SECRET_KEY)
    values.setdefault("public_url", "https://slusha.example.org")
    return load_settings(environ={}, database_url=db.url.replace("+psycopg", ""), **values)


@dataclass
class Stack:
    """The memory bus, a pipeline worker and an alerter over one database."""

    db: Database
    bus: Bus
    worker: Worker
    alerter: Alerter
    clock: FrozenClock

    async def ingest(self, posts: list[dict[str, Any]]) -> None:
        """Put posts on the bus, run the worker until idle, then the alerter until idle."""
        await self.ingest_only(posts)
        await self.consume()

    async def ingest_only(self, posts: list[dict[str, Any]]) -> None:
        """Put posts on the bus and run the worker until idle (the alerter has not run)."""
        await submit_posts(self.bus, posts, confirm=False)
        while await self.worker.run_once(timeout_seconds=0.2):
            pass

    async def consume(self) -> None:
        """Let the alerter take every pending event and finish its deliveries."""
        while await self.alerter.run_once(timeout_seconds=0.2):
            pass
        await self.alerter.drain()

    async def tick(self) -> None:
        """One alerter tick, and its deliveries."""
        await self.alerter.tick()
        await self.alerter.drain()

    async def close(self) -> None:
        await self.alerter.close()
        await self.alerter.host.http.aclose()
        await self.bus.close()


@functools.cache
def plugin_registry() -> Registry:
    """The built-in plugins, loaded once for the test run (a registry is immutable)."""
    return build_registry(include_entry_points=False)


async def start_stack(db: Database, clock: FrozenClock, settings: Settings) -> Stack:
    """Start the bus, the worker (durable consumer) and the alerter (rules loaded)."""
    bus = open_bus("memory://")
    await bus.start()
    pipeline = Pipeline(
        db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0), enricher=shared_enricher()
    )
    worker = Worker(pipeline=pipeline, bus=bus, db=db, clock=clock, batch_size=500)
    await worker.start()
    alerter = await start_alerter(db, bus, clock, settings)
    return Stack(db, bus, worker, alerter, clock)


async def start_alerter(db: Database, bus: Bus, clock: FrozenClock, settings: Settings) -> Alerter:
    """An alerter with fast retries and short timeouts, its rules loaded (one more process)."""
    alerter = Alerter(
        db=db,
        bus=bus,
        settings=settings,
        clock=clock,
        host=PluginHost(
            settings=settings,
            clock=clock,
            registry=plugin_registry(),
            http=make_client(read_timeout_seconds=1.0, total_timeout_seconds=1.5),
        ),
        policy=FAST,
        refresh_seconds=0,
    )
    await alerter.start()
    return alerter
