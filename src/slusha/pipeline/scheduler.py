"""The scheduler: the database is the schedule (``sources.next_check_at``).

Each cycle claims the sources that are due, polls them concurrently, hands their posts to the
sink (the pipeline), and only then stores the new cursor, the deletions and the health, so a
crash repeats a fetch but never loses one. Streaming sources run as supervised tasks that
reconnect with backoff and resume from their cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slusha.errors import PermanentError, SlushaError, TransientError
from slusha.pipeline.ingest import CONFIRM_TIMEOUT_SECONDS
from slusha.plugins.api import FetchResult
from slusha.plugins.host import LoadedSource, PluginHost
from slusha.services.sources import (
    DeletionSink,
    Sink,
    loaded_from_row,
)
from slusha.store import sources as store_sources
from slusha.store.db import Database
from slusha.store.posts import mark_deleted

MAX_DELAY_SECONDS = 24 * 3600.0
MIN_DELAY_SECONDS = 10.0
LEASE_SECONDS = 600.0  # streams: kept off the poll schedule while a task supervises them
# A poll's claim on a source lasts as long as a poll can (the fetch's timeout, then the wait
# until the pipeline stored the posts) and a little more: a process killed mid-poll leaves the
# source due again that soon, and it is fetched again from its saved cursor.
POLL_CLAIM_MARGIN_SECONDS = 30.0
STREAM_BACKOFF_MAX_SECONDS = 300.0
log = logging.getLogger("slusha.scheduler")


def next_delay_seconds(
    *,
    interval_seconds: float,
    hint_seconds: float | None = None,
    error: SlushaError | None = None,
    error_streak: int = 0,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next check.

    After success: the interval, or longer when the feed asks for it (``<ttl>``,
    ``Cache-Control: max-age``), never more than a day. After failure: ``Retry-After`` when the
    network gave one, else the interval doubled per consecutive failure with jitter, capped at
    a day; a permanent error starts one step further back because retrying soon rarely helps.
    """
    base = max(MIN_DELAY_SECONDS, float(interval_seconds))
    if error is None:
        return min(MAX_DELAY_SECONDS, max(base, hint_seconds or 0.0))
    retry_after = getattr(error, "retry_after_seconds", None)
    if isinstance(error, TransientError) and retry_after is not None:
        return min(MAX_DELAY_SECONDS, max(MIN_DELAY_SECONDS, retry_after))
    steps = max(0, error_streak - 1) + (1 if isinstance(error, PermanentError) else 0)
    delay = min(MAX_DELAY_SECONDS, base * (2 ** min(steps, 16)))
    jitter = (rng or random).uniform(0.8, 1.0)
    return max(MIN_DELAY_SECONDS, delay * jitter)


@dataclass
class SourceOutcome:
    """What one check of one source did."""

    source_id: int
    name: str
    ok: bool
    posts: int = 0
    deleted: int = 0
    code: str | None = None
    message: str | None = None
    next_check_at: datetime | None = None


@dataclass
class CycleReport:
    """One scheduler cycle: every source checked and how it went."""

    outcomes: list[SourceOutcome] = field(default_factory=list)

    @property
    def ok(self) -> int:
        """Sources checked successfully."""
        return sum(1 for o in self.outcomes if o.ok)

    @property
    def failed(self) -> int:
        """Sources whose check failed."""
        return sum(1 for o in self.outcomes if not o.ok)


class Scheduler:
    """Polls due sources and supervises streams; writes only schedule, cursor and health."""

    def __init__(
        self,
        *,
        db: Database,
        host: PluginHost,
        sink: Sink,
        deletions: DeletionSink | None = None,
        concurrency: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.host = host
        self.registry = host.registry
        self.settings = settings = host.settings
        self.clock = host.clock
        self.sink = sink
        # Deletions go through the pipeline behind their posts when a deletion sink is given;
        # without one (tests, one-off checks) they are written here directly.
        self.deletions = deletions
        self.concurrency = concurrency or settings.fetch_concurrency
        self.claim_seconds = (
            settings.http_timeout_seconds + CONFIRM_TIMEOUT_SECONDS + POLL_CLAIM_MARGIN_SECONDS
        )
        self.rng = rng or random.Random()
        self._streams: dict[int, asyncio.Task[None]] = {}

    def _stream_kinds(self) -> set[str]:
        return {k for k, cls in self.registry.connectors.items() if "stream" in cls.capabilities}

    def _poll_kinds(self) -> list[str]:
        return [
            k
            for k, cls in self.registry.connectors.items()
            if "poll" in cls.capabilities or "stream" in cls.capabilities
        ]

    async def run_once(self, *, limit: int | None = None) -> CycleReport:
        """Claim every due source (up to ``limit``), poll them concurrently, record the results."""
        now = self.clock.now()
        limit = limit or 10_000
        failures: list[SourceOutcome] = []
        sources: list[LoadedSource] = []
        with self.db.transaction() as tx:
            claimed = store_sources.claim_due_sources(
                tx.session, now=now, limit=limit, lease_seconds=self.claim_seconds,
                kinds=self._poll_kinds(),
            )  # fmt: skip
            for row in claimed:
                try:
                    loaded = loaded_from_row(row, registry=self.registry, settings=self.settings)
                except SlushaError as exc:
                    failures.append(SourceOutcome(row.id, row.name, False, code=exc.code,
                                                  message=str(exc)))  # fmt: skip
                    continue
                if loaded.connector.uses_stream(loaded.config):
                    # Streams are supervised by ``run``; keep them off the poll schedule.
                    row.next_check_at = now + timedelta(seconds=LEASE_SECONDS)
                    continue
                sources.append(loaded)
        for outcome in failures:
            error = PermanentError(outcome.message or "", code=outcome.code or "config")
            self._record_failure(outcome, error, 60)
        slots = asyncio.Semaphore(self.concurrency)

        async def one(source: LoadedSource) -> SourceOutcome:
            async with slots:
                return await self.poll(source)

        outcomes = await asyncio.gather(*(one(s) for s in sources))
        return CycleReport(outcomes=[*failures, *outcomes])

    async def poll(self, source: LoadedSource) -> SourceOutcome:
        """Fetch one source once; sink the posts, then persist cursor, deletions and health."""
        try:
            return await self._poll(source)
        except asyncio.CancelledError:
            # Stopped mid-poll (a shutdown that ran out of time): nothing was saved, so the
            # source is due again at once for whoever runs next, rather than after the claim.
            with contextlib.suppress(Exception), self.db.transaction() as tx:
                store_sources.release_claim(tx.session, source_id=source.id, now=self.clock.now())
            raise

    async def _poll(self, source: LoadedSource) -> SourceOutcome:
        try:
            result = await self.host.fetch(source)
        except SlushaError as exc:
            outcome = SourceOutcome(source.id, source.name, False, code=exc.code, message=str(exc))
            self._record_failure(outcome, exc, source.interval_seconds)
            return outcome
        except Exception as exc:  # a connector bug must not stop the scheduler
            log.exception("connector crashed", extra={"source": source.name})
            error = PermanentError(f"the connector failed: {type(exc).__name__}: {exc}",
                                   code="connector_bug")  # fmt: skip
            outcome = SourceOutcome(source.id, source.name, False, code=error.code,
                                    message=str(error))  # fmt: skip
            self._record_failure(outcome, error, source.interval_seconds)
            return outcome
        if result.posts or (result.deleted_ids and self.deletions is not None):
            # The sink returns once the posts are safe; only then is the cursor moved past them.
            # If it fails, the cursor stays and the next check fetches the same posts again.
            try:
                if result.posts:
                    await self.sink(source.id, result.posts, source_language=source.language)
                await self._send_deletions(source, result.deleted_ids)
            except Exception as exc:
                sink_error: SlushaError
                if isinstance(exc, SlushaError):
                    sink_error = exc
                else:
                    log.exception("sink failed", extra={"source": source.name})
                    sink_error = TransientError(
                        f"the pipeline did not take the posts: {type(exc).__name__}: {exc}",
                        code="pipeline",
                    )
                outcome = SourceOutcome(source.id, source.name, False, code=sink_error.code,
                                        message=str(sink_error))  # fmt: skip
                self._record_failure(outcome, sink_error, source.interval_seconds)
                return outcome
        return self._record_success(source, result)

    async def _send_deletions(self, source: LoadedSource, deleted_ids: list[str]) -> None:
        if deleted_ids and self.deletions is not None:
            await self.deletions(source.id, source.connector.post_network(), list(deleted_ids))

    def _record_success(self, source: LoadedSource, result: FetchResult) -> SourceOutcome:
        now = self.clock.now()
        delay = next_delay_seconds(
            interval_seconds=source.interval_seconds, hint_seconds=result.next_check_seconds
        )
        next_at = now + timedelta(seconds=delay)
        newest = max((p.created_at for p in result.posts), default=None)
        deleted = 0
        with self.db.transaction() as tx:
            if result.deleted_ids and self.deletions is None:
                deleted = mark_deleted(
                    tx.session, network=source.connector.post_network(),
                    external_ids=result.deleted_ids, now=now,
                )  # fmt: skip
            store_sources.record_success(
                tx.session, source_id=source.id, now=now, cursor=result.cursor,
                next_check_at=next_at, items=len(result.posts), last_item_at=newest,
            )  # fmt: skip
        return SourceOutcome(source.id, source.name, True, posts=len(result.posts),
                             deleted=deleted, next_check_at=next_at)  # fmt: skip

    def _record_failure(
        self, outcome: SourceOutcome, error: SlushaError, interval_seconds: float
    ) -> None:
        now = self.clock.now()
        with self.db.transaction() as tx:
            row = store_sources.get_source(tx.session, name_or_id=outcome.source_id)
            streak = (row.error_streak if row else 0) + 1
            delay = next_delay_seconds(interval_seconds=interval_seconds, error=error,
                                       error_streak=streak, rng=self.rng)  # fmt: skip
            outcome.next_check_at = now + timedelta(seconds=delay)
            store_sources.record_failure(
                tx.session, source_id=outcome.source_id, now=now, code=error.code,
                message=str(error), next_check_at=outcome.next_check_at,
                unhealthy_after=self.settings.source_unhealthy_after,
            )  # fmt: skip
        log.warning("source check failed", extra={"source": outcome.name, "code": error.code,
                                                  "error": str(error)})  # fmt: skip

    async def run_stream(self, source_id: int, stop: asyncio.Event) -> None:
        """Keep one streaming source connected until ``stop``: reconnect with backoff, resume."""
        attempt = 0
        while not stop.is_set():
            with self.db.transaction() as tx:
                row = store_sources.get_source(tx.session, name_or_id=source_id)
                if row is None or not row.enabled:
                    return
                try:
                    source = loaded_from_row(row, registry=self.registry, settings=self.settings)
                except SlushaError as exc:
                    outcome = SourceOutcome(source_id, row.name, False, code=exc.code,
                                            message=str(exc))  # fmt: skip
                    self._record_failure(outcome, exc, 60)
                    return
            error: SlushaError | None = None
            try:
                stream = self.host.stream(source)
                async with contextlib.aclosing(stream) as batches:
                    async for batch in batches:
                        if batch.posts:
                            await self.sink(source.id, batch.posts, source_language=source.language)
                        await self._send_deletions(source, batch.deleted_ids)
                        self._record_success(
                            source, FetchResult(batch.posts, batch.cursor, batch.deleted_ids)
                        )
                        source.cursor = batch.cursor
                        attempt = 0
                        if stop.is_set():
                            return
                error = TransientError("the stream ended", code="network")
            except SlushaError as exc:
                error = exc
            except Exception as exc:
                log.exception("stream crashed", extra={"source": source.name})
                error = TransientError(f"{type(exc).__name__}: {exc}", code="connector_bug")
            attempt += 1
            outcome = SourceOutcome(source.id, source.name, False, code=error.code,
                                    message=str(error))  # fmt: skip
            self._record_failure(outcome, error, 60)
            retry_after = getattr(error, "retry_after_seconds", None)
            backoff = retry_after or min(STREAM_BACKOFF_MAX_SECONDS, 2.0 ** min(attempt, 9))
            backoff *= self.rng.uniform(0.5, 1.0) if retry_after is None else 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)

    def _sync_streams(self, stop: asyncio.Event) -> None:
        kinds = self._stream_kinds()
        if not kinds:
            return
        wanted: set[int] = set()
        with self.db.transaction() as tx:
            for row in store_sources.list_sources(tx.session, kinds=sorted(kinds),
                                                  enabled_only=True):  # fmt: skip
                try:
                    loaded = loaded_from_row(row, registry=self.registry, settings=self.settings)
                except SlushaError:
                    continue
                if loaded.connector.uses_stream(loaded.config):
                    wanted.add(row.id)
        for source_id, task in list(self._streams.items()):
            if source_id not in wanted or task.done():
                task.cancel()
                del self._streams[source_id]
        for source_id in wanted - set(self._streams):
            self._streams[source_id] = asyncio.create_task(self.run_stream(source_id, stop))

    async def run(self, stop: asyncio.Event, *, idle_seconds: float = 5.0) -> None:
        """Poll and stream until ``stop`` is set (the connectors role of a process)."""
        try:
            while not stop.is_set():
                self._sync_streams(stop)
                await self.run_once()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
        finally:
            for task in self._streams.values():
                task.cancel()
            await asyncio.gather(*self._streams.values(), return_exceptions=True)
            self._streams.clear()
