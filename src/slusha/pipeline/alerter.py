"""The alerter: evaluates alert rules on new mentions and every minute, and delivers alerts.

- ``mention.created`` events (durable consumer ``alerts``) feed match and influencer rules;
- a tick every minute runs spike and sentiment checks from the rollups, digests when due, and
  the throttle and quiet-hours summaries;
- each batch's decisions (rule states, produced alerts, ``alert.created`` events) are committed
  in one transaction before the events are acked, and an alert already recorded as sent is never
  delivered again, so a replayed event does not page anyone twice;
- deliveries run as background tasks (bounded overall and per channel) with retries and backoff;
  the consumer never waits for them. Each result is recorded in ``alert_deliveries``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from slusha.bus.base import Bus, Message, kept_alive
from slusha.bus.messages import SUBJECT_EVENTS
from slusha.clock import Clock
from slusha.config import Settings
from slusha.domain.alerts import (
    MentionFacts,
    Outcome,
    digest_due,
    on_check,
    on_digest,
    on_mention,
    on_tick,
    will_change,
)
from slusha.domain.alerts.rules import PER_MENTION_KINDS
from slusha.domain.post import Author, Post, parse_datetime
from slusha.errors import TransientError
from slusha.pipeline.alert_checks import WindowChecks
from slusha.pipeline.metrics import Metrics
from slusha.plugins.api import InlineImage
from slusha.plugins.delivery import DeliveryResult, RetryPolicy
from slusha.plugins.host import PluginHost
from slusha.services import alert_runs
from slusha.services.alert_channels import Channel
from slusha.services.alert_charts import email_charts
from slusha.services.alert_runs import ActiveRule, Recorded
from slusha.services.outbox import publish_events
from slusha.services.posts import EVENT_MENTION_CREATED, SNIPPET_CHARS
from slusha.store.alerts import NewAlert
from slusha.store.db import Database
from slusha.store.dead_letters import add_dead_letter

log = logging.getLogger("slusha.alerter")
DURABLE = "alerts"
TICK_SECONDS = 60.0
REFRESH_SECONDS = 2.0
PER_CHANNEL_CONCURRENCY = 4
RETRY_DELAY_SECONDS = 2.0
RESUME_SECONDS = 15.0


@dataclass
class AlerterStats:
    """Counters for logs and benchmarks."""

    events: int = 0
    alerts: int = 0
    sent: int = 0
    failed: int = 0


@dataclass
class _Decisions:
    """What one batch or tick decided: changed states and alerts to record."""

    states: dict[int, dict[str, Any]] = field(default_factory=dict)
    alerts: list[NewAlert] = field(default_factory=list)

    def add(self, active: ActiveRule, outcome: Outcome) -> None:
        if outcome.state != active.state:
            active.state = outcome.state
            self.states[active.row_id] = outcome.state.to_dict()
        sent = {a.id for a in outcome.deliver}
        produced = outcome.produced
        if produced is not None and produced.id not in sent:
            verdict = outcome.verdict or "send"
            self.alerts.append(NewAlert(active.row_id, active.team_id, produced.to_dict(), verdict))
        for alert in outcome.deliver:
            self.alerts.append(NewAlert(active.row_id, active.team_id, alert.to_dict(), "send"))

    def __bool__(self) -> bool:
        return bool(self.states or self.alerts)


class Alerter:
    """Evaluates every enabled rule and delivers what fires; one per process is enough."""

    def __init__(
        self,
        *,
        db: Database,
        bus: Bus,
        settings: Settings,
        clock: Clock,
        host: PluginHost,
        policy: RetryPolicy | None = None,
        tick_seconds: float = TICK_SECONDS,
        refresh_seconds: float = REFRESH_SECONDS,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.db = db
        self.bus = bus
        self.settings = settings
        self.clock = clock
        self.policy = policy or RetryPolicy(max_attempts=settings.alert_delivery_attempts)
        self.tick_seconds = tick_seconds
        self.refresh_seconds = refresh_seconds
        self.host = host
        self.checks = WindowChecks(db)
        self.rules: dict[int, ActiveRule] = {}
        self._by_team: dict[int, list[ActiveRule]] = {}
        self._version: Any = None
        self._checked_at = -1e9
        self._next_tick = 0.0
        self._slots = asyncio.Semaphore(settings.alert_delivery_concurrency)
        self._channel_slots: dict[tuple[int, int], asyncio.Semaphore] = {}
        self._deliveries: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()  # delivery jobs this process holds, queued or sending
        self._results: list[tuple[Recorded, Channel, DeliveryResult]] = []
        self._recorder: asyncio.Task[None] | None = None
        self._chart_cache: dict[int, list[InlineImage]] = {}
        self.stats = AlerterStats()

    async def start(self) -> None:
        """Declare the durable consumer and load the rules."""
        await self.bus.subscribe(SUBJECT_EVENTS, DURABLE)
        await self.refresh(force=True)

    async def refresh(self, *, force: bool = False) -> bool:
        """Reload the rules when they changed (checked every few seconds); True when reloaded."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.refresh_seconds:
            return False
        self._checked_at = now
        version = await asyncio.to_thread(alert_runs.rules_version, self.db)
        if version == self._version and not force:
            return False
        loaded = await asyncio.to_thread(
            alert_runs.load_active_rules, self.db, settings=self.settings,
            registry=self.host.registry,
        )  # fmt: skip
        self._version = version
        self.rules = {active.row_id: active for active in loaded}
        by_team: dict[int, list[ActiveRule]] = defaultdict(list)
        for active in loaded:
            by_team[active.team_id].append(active)
        self._by_team = dict(by_team)
        self.checks.forget(set(self.rules))
        return True

    def _forget_states(self) -> None:
        # Nothing was committed: the next refresh reloads the states from the database.
        self._version = None
        self._checked_at = -1e9

    async def run(self, stop: asyncio.Event) -> None:
        """Consume events and tick until ``stop``; then wait briefly for deliveries in flight.

        Delivery jobs nobody works on are taken up at start and every ``RESUME_SECONDS``.
        """
        await self.start()
        next_resume = 0.0
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() >= next_resume:
                        next_resume = time.monotonic() + RESUME_SECONDS
                        await self.resume()
                    await self.run_once(timeout_seconds=0.5)
                    if time.monotonic() >= self._next_tick:
                        self._next_tick = time.monotonic() + self.tick_seconds
                        await self.tick()
                except TransientError as exc:
                    log.warning("alerter.retry", extra={"error": str(exc)})
                    await asyncio.sleep(RETRY_DELAY_SECONDS)
        finally:
            await self.close()

    async def run_once(self, *, timeout_seconds: float = 1.0) -> int:
        """Handle one batch of events; returns how many messages there were."""
        messages = await self.bus.fetch(
            SUBJECT_EVENTS, DURABLE, batch=200, timeout_seconds=timeout_seconds
        )
        if not messages:
            return 0
        try:
            async with kept_alive(messages, self.bus.progress_seconds):
                await self.handle_events([m.data for m in messages])
        except TransientError:
            self._forget_states()
            for message in messages:
                await message.nak(RETRY_DELAY_SECONDS)
            raise
        except Exception:  # a bug must not stop alerting for everyone: find the bad event
            log.exception("alerter.batch_failed", extra={"events": len(messages)})
            self._forget_states()
            async with kept_alive(messages, self.bus.progress_seconds):
                await self._isolate(messages)
            return len(messages)
        for message in messages:
            await message.ack()
        return len(messages)

    async def _isolate(self, messages: list[Message]) -> None:
        """Handle the events of a failed batch one by one: only a failing one is retried, and
        after the bus's last delivery it goes to the dead letters with its error."""
        for message in messages:
            try:
                await self.handle_events([message.data])
            except TransientError:
                self._forget_states()
                await message.nak(RETRY_DELAY_SECONDS)
                continue
            except Exception as exc:
                self._forget_states()
                if message.attempt < self.bus.max_deliveries:
                    await message.nak(RETRY_DELAY_SECONDS)
                    continue
                log.exception("alerter.event_dead_lettered", extra={"event": message.msg_id})
                await asyncio.to_thread(self._dead_letter, message, f"{type(exc).__name__}: {exc}")
            await message.ack()

    def _dead_letter(self, message: Message, error: str) -> None:
        with self.db.transaction() as tx:
            add_dead_letter(
                tx.session, subject=message.subject,
                payload=json.dumps(message.data, ensure_ascii=False, default=str),
                error=error, at=self.clock.now(),
            )  # fmt: skip

    async def handle_events(self, events: list[dict[str, Any]]) -> None:
        """Evaluate match and influencer rules on the ``mention.created`` events."""
        await self.refresh()
        now = self.clock.now()
        decisions = _Decisions()
        for event in events:
            if event.get("kind") != EVENT_MENTION_CREATED:
                continue
            self.stats.events += 1
            payload = event.get("payload") or {}
            rules = [
                r
                for r in self._by_team.get(int(payload.get("team_id") or 0), [])
                if r.rule.kind in PER_MENTION_KINDS
            ]
            if not rules:
                continue
            post = await self._post(payload, needs_full=any(r.refine for r in rules))
            if post is None:
                continue
            for active in rules:
                mention = MentionFacts(
                    post=post,
                    topic_id=str(payload.get("topic_id")),
                    team=active.rule.team,
                    sentiment=payload.get("sentiment"),
                    lang=payload.get("lang"),
                )
                outcome = on_mention(
                    active.rule,
                    active.state,
                    mention,
                    now=now,
                    refine=active.refine,
                    stream_base_url=self.settings.public_url,
                )
                decisions.add(active, outcome)
        await self._commit(decisions)

    async def _post(self, payload: dict[str, Any], *, needs_full: bool) -> Post | None:
        try:
            post = Post(
                network=str(payload["network"]),
                id=str(payload["id"]),
                text=str(payload.get("text") or ""),
                created_at=parse_datetime(payload.get("created_at")),
                url=payload.get("url"),
                author=Author(handle=payload.get("author"), followers=payload.get("followers"))
                if payload.get("author") or payload.get("followers") is not None
                else None,
                lang=payload.get("lang"),
            )
        except (KeyError, ValueError) as exc:
            log.warning("alerter.bad_event", extra={"error": str(exc)})
            return None
        if needs_full and len(post.text) >= SNIPPET_CHARS:
            # A refinement query must see the whole text, not the event's snippet.
            stored = await asyncio.to_thread(
                alert_runs.stored_post, self.db, network=post.network, external_id=post.id
            )
            if stored is not None:
                return stored
        return post

    async def tick(self) -> None:
        """Spike and sentiment checks, digests that are due, and summaries that came due."""
        await self.refresh()
        now = self.clock.now()
        base = self.settings.public_url
        decisions = _Decisions()
        for active in list(self.rules.values()):
            rule, state = active.rule, active.state
            if rule.kind in ("spike", "sentiment"):
                check = await asyncio.to_thread(self.checks.check, active, now)
                mentions: list[MentionFacts] = []
                if will_change(rule, state, check, now=now):
                    mentions = await asyncio.to_thread(
                        self.checks.mentions,
                        active,
                        check.window_start,
                        check.window_end,
                        negative_only=rule.kind == "sentiment",
                    )
                outcome = on_check(
                    rule, state, check, now=now, mentions=mentions, stream_base_url=base
                )
            elif rule.kind == "digest" and (window := digest_due(rule, state, now=now)):
                start, end = window
                total, negative, before = await asyncio.to_thread(
                    self.checks.digest_counts, active, start, end
                )
                sample = await asyncio.to_thread(self.checks.mentions, active, start, end)
                outcome = on_digest(
                    rule,
                    state,
                    window_start=start,
                    window_end=end,
                    total=total,
                    negative=negative,
                    previous_total=before,
                    mentions=sample,
                    now=now,
                    stream_base_url=base,
                )
            else:
                outcome = on_tick(rule, state, now=now, stream_base_url=base)
            decisions.add(active, outcome)
        await self._commit(decisions)

    async def _commit(self, decisions: _Decisions) -> None:
        if not decisions:
            return
        # The delivery jobs are written with the decisions: an alert decided is an alert that
        # will be delivered, by this process or, if it stops, by whichever alerter runs next.
        to_send, event_ids = await asyncio.to_thread(
            alert_runs.record_decisions,
            self.db,
            states=decisions.states,
            alerts=decisions.alerts,
            clock=self.clock,
            channels={rule_id: active.channels for rule_id, active in self.rules.items()},
        )
        self.stats.alerts += len(to_send)
        if event_ids:
            await publish_events(self.db, self.bus, clock=self.clock, ids=event_ids)
        for recorded in to_send:
            active = self.rules.get(recorded.rule_id)
            for channel in active.channels if active else []:
                self._spawn(recorded, channel, active)

    def _spawn(self, recorded: Recorded, channel: Channel, active: ActiveRule | None) -> None:
        job_id = recorded.job_ids.get(channel.index)
        if job_id is not None:
            if job_id in self._in_flight:
                # Still queued here behind other deliveries (its claim ran out while it waited):
                # taken up again, it would be sent twice.
                return
            self._in_flight.add(job_id)
        task = asyncio.create_task(self._deliver(recorded, channel, active))
        self._deliveries.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._deliveries.discard(finished)
            if job_id is not None:
                self._in_flight.discard(job_id)

        task.add_done_callback(done)

    async def resume(self) -> int:
        """Take up delivery jobs nobody works on (a stopped alerter's, or sent again)."""
        await self.refresh()
        resumed = await asyncio.to_thread(alert_runs.resume_jobs, self.db, clock=self.clock)
        for job in resumed:
            active = self.rules.get(job.recorded.rule_id)
            channel = next(
                (c for c in (active.channels if active else []) if c.index == job.channel_index),
                None,
            )
            if channel is None:
                await asyncio.to_thread(
                    alert_runs.fail_job, self.db, job_id=job.recorded.job_ids[job.channel_index],
                    message="the rule or its channel no longer exists (or the rule is disabled)",
                    clock=self.clock,
                )  # fmt: skip
                continue
            log.info("alerter.delivery_resumed", extra={"job": job.recorded.job_ids})
            self._spawn(job.recorded, channel, active)
        return len(resumed)

    async def _charts(self, recorded: Recorded, active: ActiveRule | None) -> list[InlineImage]:
        if active is None:
            return []
        charts = self._chart_cache.get(recorded.alert_row_id)
        if charts is None:
            charts = await asyncio.to_thread(
                email_charts,
                self.db,
                scope=active.scope,
                alert=recorded.payload,
                now=self.clock.now(),
            )
            if len(self._chart_cache) > 100:
                self._chart_cache.clear()
            self._chart_cache[recorded.alert_row_id] = charts
        return charts

    async def _deliver(
        self, recorded: Recorded, channel: Channel, active: ActiveRule | None = None
    ) -> None:
        key = (recorded.rule_id, channel.index)
        options: dict[str, Any] = {}
        if channel.kind == "email":
            # E-mail carries the charts as inline PNGs; other channels never wait for them.
            options["charts"] = await self._charts(recorded, active)
        slot = self._channel_slots.setdefault(key, asyncio.Semaphore(PER_CHANNEL_CONCURRENCY))
        # The channel's own slot first: a dead channel waiting out its backoff holds at most
        # PER_CHANNEL_CONCURRENCY of the shared slots, and healthy channels keep flowing.
        job_id = recorded.job_ids.get(channel.index)
        # The alert's id: the same on every attempt and every resumption, so receivers drop
        # repeats (``X-Slusha-Delivery``; e-mail's Message-ID is made from it too).
        options["delivery_id"] = str(recorded.payload["id"])

        async def wait_and_keep_claim(seconds: float) -> None:
            # Before a further attempt the job stays claimed, or another alerter would take it.
            if job_id is not None:
                await asyncio.to_thread(
                    alert_runs.extend_claim, self.db, job_id=job_id, seconds=seconds,
                    clock=self.clock,
                )  # fmt: skip
            await asyncio.sleep(seconds)

        async with slot, self._slots:
            result = await self.host.send(
                channel.kind,
                channel.config,
                recorded.payload,
                policy=self.policy,
                sleep=wait_and_keep_claim,
                **options,
            )
        if result.is_sent:
            self.stats.sent += 1
        else:
            self.stats.failed += 1
        if self.metrics is not None:
            self.metrics.deliveries.labels("sent" if result.is_sent else "failed").inc()
        self._results.append((recorded, channel, result))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_results())

    async def _record_results(self) -> None:
        # One writer task: results that arrive while it writes go into the next transaction.
        while self._results:
            batch, self._results = self._results, []
            try:
                await asyncio.to_thread(
                    alert_runs.record_deliveries, self.db, results=batch, clock=self.clock
                )
            except Exception:  # a lost record must not kill the alerter; it is logged
                log.exception("alerter.record_delivery_failed", extra={"results": len(batch)})

    async def drain(self, timeout_seconds: float | None = None) -> None:
        """Wait for the deliveries in flight and their records (tests, shutdown)."""
        pending = set(self._deliveries)
        if pending:
            await asyncio.wait(pending, timeout=timeout_seconds)
        if self._recorder is not None:
            await asyncio.wait({self._recorder}, timeout=timeout_seconds)

    async def close(self, *, grace_seconds: float = 5.0) -> None:
        """Give deliveries in flight a moment, cancel the rest (they resume from their jobs)."""
        await self.drain(grace_seconds)
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)


async def run_alerter(runtime: Any, stop: asyncio.Event, **options: Any) -> None:
    """The alerter role of a process (``slusha serve``, ``slusha worker --alerter``)."""
    alerter = Alerter(
        db=runtime.db,
        bus=runtime.bus,
        settings=runtime.settings,
        clock=runtime.clock,
        host=runtime.host,
        metrics=runtime.metrics,
        **options,
    )
    await alerter.run(stop)
