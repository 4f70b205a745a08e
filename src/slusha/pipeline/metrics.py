"""Prometheus metrics of one process, in a registry of its own (nothing global, nothing at import).

What an operator watches: the ingest rate and its outcomes, how long a batch takes, what waits
on the bus, events not yet published, dead letters, alert deliveries and failures, and whether
each supervised task runs. ``/metrics`` on the web app (and on ``SLUSHA_OPS_PORT`` for
processes without one) serves ``render()``.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from slusha.bus.messages import SUBJECT_EVENTS, SUBJECT_POSTS
from slusha.errors import SlushaError
from slusha.services.status import store_status

if TYPE_CHECKING:
    from slusha.pipeline.runner import IngestSummary
    from slusha.pipeline.runtime import Runtime

log = logging.getLogger("slusha.metrics")
SAMPLE_SECONDS = 5.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The consumers whose backlog is the bus lag: the pipeline's and the alerter's.
CONSUMERS = ((SUBJECT_POSTS, "pipeline"), (SUBJECT_EVENTS, "alerts"))


class Metrics:
    """The counters, gauges and histograms of one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.posts = Counter(
            "slusha_posts", "Posts the pipeline handled, by outcome.", ["outcome"], registry=r
        )
        self.mentions = Counter("slusha_mentions", "Mentions created.", registry=r)
        self.batch_seconds = Histogram(
            "slusha_pipeline_batch_seconds", "Time to process and store one batch.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=r,
        )  # fmt: skip
        self.bus_backlog = Gauge(
            "slusha_bus_backlog_messages", "Messages waiting for a consumer (the bus lag).",
            ["subject", "consumer"], registry=r,
        )  # fmt: skip
        self.events_unpublished = Gauge(
            "slusha_events_unpublished", "Events stored and not yet on the bus.", registry=r
        )
        self.dead_letters = Gauge(
            "slusha_dead_letters", "Messages given up on, kept with their error.", registry=r
        )
        self.sources_failing = Gauge(
            "slusha_sources_failing", "Enabled sources whose last check failed.", registry=r
        )
        self.deliveries = Counter(
            "slusha_alert_deliveries", "Alert deliveries, by result.", ["result"], registry=r
        )
        self.task_running = Gauge(
            "slusha_task_running", "1 while a supervised task runs.", ["task"], registry=r
        )
        self.task_restarts = Gauge(
            "slusha_task_restarts", "Restarts of a supervised task.", ["task"], registry=r
        )

    def record_batch(self, summary: IngestSummary, seconds: float) -> None:
        """Count one pipeline batch."""
        for outcome in ("received", "new", "duplicate", "rejected", "matched", "unmatched"):
            value = getattr(summary, outcome)
            if value:
                self.posts.labels(outcome).inc(value)
        if summary.mentions:
            self.mentions.inc(summary.mentions)
        self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)


async def sample_forever(runtime: Runtime, metrics: Metrics, stop: asyncio.Event) -> None:
    """Refresh the gauges that are read rather than counted, every few seconds."""
    while not stop.is_set():
        await sample_once(runtime, metrics)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)


async def sample_once(runtime: Runtime, metrics: Metrics) -> None:
    """One refresh of the sampled gauges; a part that cannot be read keeps its last value."""
    for subject, consumer in CONSUMERS:
        try:
            backlog = await runtime.bus.backlog(subject, consumer)
        except SlushaError:
            backlog = None
        if backlog is not None:
            metrics.bus_backlog.labels(subject, consumer).set(backlog)
    try:
        status = await asyncio.to_thread(store_status, runtime.db)
    except SlushaError as exc:
        log.warning("metrics.database_unavailable", extra={"error": str(exc)})
    else:
        metrics.events_unpublished.set(status.events_unpublished)
        metrics.dead_letters.set(status.dead_letters)
        metrics.sources_failing.set(status.sources_failing)
    if runtime.supervisor is not None:
        for task in runtime.supervisor.health():
            metrics.task_running.labels(task["name"]).set(1 if task["state"] == "running" else 0)
            metrics.task_restarts.labels(task["name"]).set(task["restarts"])
