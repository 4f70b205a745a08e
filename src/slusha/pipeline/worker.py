"""The pipeline worker: pull raw posts from the bus, process, commit, then ack and publish."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from slusha.bus.base import Bus, Message, kept_alive
from slusha.bus.messages import SUBJECT_POSTS, MessageVersionError, check_version
from slusha.clock import Clock
from slusha.domain.ingest import Incoming
from slusha.errors import TransientError
from slusha.pipeline.metrics import Metrics
from slusha.pipeline.runner import IngestSummary, Pipeline
from slusha.services.outbox import publish_events
from slusha.store.db import Database
from slusha.store.dead_letters import add_dead_letter

log = logging.getLogger("slusha.worker")
DURABLE = "pipeline"
RETRY_DELAY_SECONDS = 2.0


class Worker:
    """Consumes ``posts.raw``. Several workers on the NATS bus share the durable consumer."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        bus: Bus,
        db: Database,
        clock: Clock,
        batch_size: int = 500,
        on_batch: Callable[[IngestSummary], None] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.pipeline = pipeline
        self.bus = bus
        self.db = db
        self.clock = clock
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.totals = IngestSummary()

    async def start(self) -> None:
        """Declare the durable consumer (before anything is published)."""
        await self.bus.subscribe(SUBJECT_POSTS, DURABLE)

    async def run(self, stop: asyncio.Event) -> None:
        """Process batches until ``stop`` is set."""
        await self.start()
        while not stop.is_set():
            try:
                await self.run_once(timeout_seconds=0.5)
            except TransientError as exc:
                log.warning("worker.transient", extra={"error": str(exc)})
                await asyncio.sleep(RETRY_DELAY_SECONDS)

    async def run_once(self, *, timeout_seconds: float = 1.0) -> int:
        """Process one batch; returns how many messages it handled."""
        messages = await self.bus.fetch(
            SUBJECT_POSTS, DURABLE, batch=self.batch_size, timeout_seconds=timeout_seconds
        )
        if not messages:
            return 0
        decoded = _decode(messages)
        good, bad = decoded.posts, decoded.bad
        started = time.perf_counter()
        try:
            async with kept_alive(messages, self.bus.progress_seconds):
                summary, outcome = await asyncio.to_thread(
                    partial(self.pipeline.process, good, deletions=decoded.deletions)
                )
        except TransientError as exc:
            # The database is away: nothing was committed, so nothing is acked.
            log.warning("worker.retry", extra={"error": str(exc)})
            for message in messages:
                await message.nak(RETRY_DELAY_SECONDS)
            return len(messages)
        except Exception as exc:  # one poisoned message must not stall the others
            log.exception("worker.batch_failed")
            async with kept_alive(messages, self.bus.progress_seconds):
                await self._isolate(messages, exc)
            return len(messages)
        if bad or summary.rejections:
            await asyncio.to_thread(self._dead_letter_rejections, messages, summary, bad)
        await self.bus.ack_all(messages)
        self.totals.add(summary)
        if self.metrics is not None:
            self.metrics.record_batch(summary, time.perf_counter() - started)
        if self.on_batch is not None:
            self.on_batch(summary)
        if outcome.events:
            await publish_events(self.db, self.bus, clock=self.clock, events=outcome.events)
        return len(messages)

    async def _isolate(self, messages: list[Message], error: Exception) -> None:
        """Process messages one by one so that only the failing one is retried."""
        for message in messages:
            decoded = _decode([message])
            try:
                _summary, outcome = await asyncio.to_thread(
                    partial(self.pipeline.process, decoded.posts, deletions=decoded.deletions)
                )
            except Exception as exc:
                if message.attempt >= self.bus.max_deliveries:
                    await asyncio.to_thread(
                        self._store_dead_letter, message, f"{type(exc).__name__}: {exc}"
                    )
                    await message.ack()
                else:
                    await message.nak(RETRY_DELAY_SECONDS)
                continue
            await message.ack()
            if outcome.events:
                await publish_events(self.db, self.bus, clock=self.clock, events=outcome.events)

    def _dead_letter_rejections(
        self, messages: list[Message], summary: IngestSummary, bad: list[tuple[Message, str]]
    ) -> None:
        by_where = {f"message {i}": m for i, m in enumerate(messages)}
        with self.db.transaction() as tx:
            for rejection in summary.rejections:
                message = by_where.get(rejection.where)
                if message is not None:
                    add_dead_letter(
                        tx.session,
                        subject=message.subject,
                        payload=json.dumps(message.data, ensure_ascii=False, default=str),
                        error=rejection.reason,
                        at=self.clock.now(),
                    )
            for message, reason in bad:
                add_dead_letter(
                    tx.session,
                    subject=message.subject,
                    payload=json.dumps(message.data, ensure_ascii=False, default=str),
                    error=reason,
                    at=self.clock.now(),
                )

    def _store_dead_letter(self, message: Message, error: str) -> None:
        with self.db.transaction() as tx:
            add_dead_letter(
                tx.session,
                subject=message.subject,
                payload=json.dumps(message.data, ensure_ascii=False, default=str),
                error=error,
                at=self.clock.now(),
            )


@dataclass
class _Decoded:
    posts: list[Incoming] = field(default_factory=list)
    deletions: list[tuple[str, list[str]]] = field(default_factory=list)
    bad: list[tuple[Message, str]] = field(default_factory=list)


def _decode(messages: list[Message]) -> _Decoded:
    out = _Decoded()
    good, bad = out.posts, out.bad
    for index, message in enumerate(messages):
        try:
            data = check_version(message.data)
        except MessageVersionError as exc:
            bad.append((message, str(exc)))
            continue
        deleted = data.get("deleted")
        if deleted is not None:
            network, ids = _deletion(deleted)
            if network is None:
                bad.append((message, "a deletion needs 'network' and a list of string 'ids'"))
            else:
                out.deletions.append((network, ids))
            continue
        post = data.get("post")
        source_id = data.get("source_id")
        language = data.get("source_language")
        good.append(
            Incoming(
                data=post if isinstance(post, dict) else {"_invalid": post},
                where=f"message {index}",
                source_id=source_id if isinstance(source_id, int) else None,
                source_language=language if isinstance(language, str) and language else None,
            )
        )
    return out


def _deletion(deleted: object) -> tuple[str | None, list[str]]:
    if not isinstance(deleted, dict):
        return None, []
    network, ids = deleted.get("network"), deleted.get("ids")
    if not isinstance(network, str) or not isinstance(ids, list):
        return None, []
    if not all(isinstance(i, str) for i in ids):
        return None, []
    return network, ids
