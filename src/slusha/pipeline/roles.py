"""Long-running roles of a process: pipeline worker, outbox relay, live event listeners."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from slusha.bus.messages import SUBJECT_EVENTS
from slusha.errors import TransientError
from slusha.pipeline.runtime import Runtime, post_limits
from slusha.pipeline.worker import Worker
from slusha.services.outbox import publish_events
from slusha.store.dead_letters import add_dead_letter

log = logging.getLogger("slusha.roles")
RELAY_INTERVAL_SECONDS = 5.0


RELAY_BATCH = 1000


async def run_outbox_relay(runtime: Runtime, stop: asyncio.Event) -> None:
    """Publish events that a crash left unpublished (the worker publishes the rest at once).

    A full batch is followed by the next at once, so a backlog drains at the bus's speed; the
    relay sleeps only when it found less than a batch.
    """
    while not stop.is_set():
        published = 0
        try:
            published = await publish_events(
                runtime.db, runtime.bus, clock=runtime.clock, limit=RELAY_BATCH
            )
        except TransientError as exc:
            log.warning("relay.retry", extra={"error": str(exc)})
        if published >= RELAY_BATCH:
            await asyncio.sleep(0)  # let the consumers run between batches
            continue
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RELAY_INTERVAL_SECONDS)


async def run_event_listener(
    runtime: Runtime,
    stop: asyncio.Event,
    *,
    durable: str,
    handle: Callable[[dict[str, Any]], Awaitable[None] | None],
) -> None:
    """Deliver every event to ``handle`` (at least once; the event id allows dedup)."""
    await runtime.bus.subscribe(SUBJECT_EVENTS, durable)
    while not stop.is_set():
        try:
            messages = await runtime.bus.fetch(
                SUBJECT_EVENTS, durable, batch=100, timeout_seconds=0.5
            )
        except TransientError:
            await asyncio.sleep(1.0)
            continue
        for message in messages:
            result = handle(message.data)
            if asyncio.iscoroutine(result):
                await result
            await message.ack()


def build_worker(runtime: Runtime, **kwargs: Any) -> Worker:
    """A pipeline worker over the runtime's bus and database."""
    return Worker(
        pipeline=runtime.pipeline,
        bus=runtime.bus,
        db=runtime.db,
        clock=runtime.clock,
        batch_size=runtime.settings.batch_size,
        metrics=runtime.metrics,
        **kwargs,
    )


async def run_connectors(runtime: Runtime, stop: asyncio.Event) -> None:
    """Poll due sources and supervise streams; fetched posts go on the bus, then the cursor."""
    from slusha.pipeline.backfill import backfill_for_event
    from slusha.pipeline.ingest import deletion_sink, source_sink
    from slusha.pipeline.scheduler import Scheduler

    host = runtime.host
    for failure in host.registry.failures:
        log.error("plugin.load_failed", extra={"plugin": str(failure)})

    def dead_letter(source_id: int, refused: list[Any], posts: list[Any]) -> None:
        with runtime.db.transaction() as tx:
            for rejection in refused:
                index = int(rejection.where.split()[-1])
                add_dead_letter(
                    tx.session, subject=f"source.{source_id}",
                    payload=repr(posts[index].to_dict())[:100_000], error=rejection.reason,
                    at=runtime.clock.now(),
                )  # fmt: skip

    sink = source_sink(runtime.bus, limits=post_limits(runtime.settings), on_refused=dead_letter)
    deletions = deletion_sink(runtime.bus)
    scheduler = Scheduler(db=runtime.db, host=host, sink=sink, deletions=deletions)

    async def backfill(event: dict[str, Any]) -> None:
        await backfill_for_event(event, db=runtime.db, host=host, sink=sink)

    await asyncio.gather(
        scheduler.run(stop),
        run_event_listener(runtime, stop, durable="backfill", handle=backfill),
    )


REPLY_RETRY_SECONDS = 60.0


async def run_inbox_tasks(runtime: Runtime, stop: asyncio.Event) -> None:
    """Response-time checks (warnings, escalation) and re-sending replies left pending."""
    from slusha.pipeline.sla import run_forever
    from slusha.services.replies import retry_pending

    async def replies() -> None:
        while not stop.is_set():
            try:
                await retry_pending(runtime.db, clock=runtime.clock, host=runtime.host)
            except TransientError as exc:
                log.warning("replies.retry_failed", extra={"error": str(exc)})
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), REPLY_RETRY_SECONDS)

    await asyncio.gather(
        run_forever(runtime.db, clock=runtime.clock, bus=runtime.bus, stop=stop), replies()
    )
