"""What the alerter reads and writes: active rules, decisions (state + alerts + events) in one
transaction, delivery results, and the rollup history spike and sentiment checks judge."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slusha.clock import Clock
from slusha.config import Settings
from slusha.domain.alerts import AlertRule, RuleState, parse_rule
from slusha.domain.post import Post
from slusha.errors import SlushaError
from slusha.plugins.delivery import DeliveryResult
from slusha.plugins.registry import Registry
from slusha.query import compile_query
from slusha.services.alert_channels import Channel, load_channels
from slusha.store import alerts as store_alerts
from slusha.store import deliveries as store_deliveries
from slusha.store import events as store_events
from slusha.store.alerts import NewAlert, RollupScope, WindowMention
from slusha.store.db import Database
from slusha.store.deliveries import JobSpec
from slusha.store.schema import AlertRecord, AlertRuleRecord, Team

EVENT_ALERT_CREATED = "alert.created"
log = logging.getLogger("slusha.alerts")


@dataclass
class ActiveRule:
    """An enabled rule ready to evaluate: domain rule, state, channels and compiled refinement."""

    row_id: int
    team_id: int
    rule: AlertRule
    state: RuleState
    channels: list[Channel]
    scope: RollupScope
    refine: Callable[[Post], bool] | None = None
    channel_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _domain_rule(row: Any, team_name: str) -> AlertRule:
    obj = dict(row.config or {})
    obj.update(
        id=str(row.id),
        team=team_name,
        name=row.name,
        enabled=row.enabled,
        topic_ids=[str(t) for t in row.topic_ids or []],
        filters=dict(row.filters or {}),
    )
    if row.snoozed_until is not None:
        obj["snoozed_until"] = row.snoozed_until.isoformat()
    return parse_rule(obj)


def rules_version(db: Database) -> tuple[int, datetime | None]:
    """Changes whenever a rule is added or edited (not when only its state moves)."""
    with db.transaction() as tx:
        return store_alerts.rules_version(tx.session)


def load_active_rules(db: Database, *, settings: Settings, registry: Registry) -> list[ActiveRule]:
    """Every enabled rule; a rule that cannot be loaded is logged and skipped, never fatal."""
    with db.transaction() as tx:
        rows = store_alerts.list_rules(tx.session, enabled_only=True)
    out = []
    for row, team in rows:
        try:
            rule = _domain_rule(row, team.name)
        except SlushaError as exc:
            log.error("alerts.rule_invalid", extra={"rule_id": row.id, "error": str(exc)})
            continue
        channels: list[Channel] = []
        channel_error = None
        try:
            channels = load_channels(
                row.channels or [], row.secrets, settings=settings, registry=registry
            )
        except SlushaError as exc:
            channel_error = str(exc)
            log.error("alerts.channels_unusable", extra={"rule_id": row.id, "error": str(exc)})
        filters = rule.filters
        refine = compile_query(filters.query).matches if filters.query else None
        scope = RollupScope(
            team_id=team.id,
            topic_ids=tuple(sorted(int(t) for t in row.topic_ids or [])),
            networks=tuple(sorted(filters.networks)),
            languages=tuple(sorted(filters.languages)),
            # A spike rule may watch one sentiment; a sentiment rule needs every mention.
            sentiments=tuple(sorted(filters.sentiments)) if rule.kind == "spike" else (),
        )
        out.append(
            ActiveRule(
                row_id=row.id,
                team_id=team.id,
                rule=rule,
                state=RuleState.from_dict(row.state),
                channels=channels,
                scope=scope,
                refine=refine,
                channel_error=channel_error,
            )
        )
    return out


# A delivery job is claimed for this long, renewed before each further attempt: a process that
# stops mid-delivery leaves it to be taken up again this long after its last attempt.
CLAIM_SECONDS = 90.0


@dataclass
class Recorded:
    """An alert recorded for sending: its rule, stored row id and JSON form, and the delivery
    job of each channel (channel index -> job id)."""

    rule_id: int
    alert_row_id: int
    payload: dict[str, Any]
    job_ids: dict[int, int] = field(default_factory=dict)


def record_decisions(
    db: Database,
    *,
    states: dict[int, dict[str, Any]],
    alerts: Sequence[NewAlert],
    clock: Clock,
    channels: Mapping[int, Sequence[Channel]] | None = None,
) -> tuple[list[Recorded], list[int]]:
    """Store states and alerts, and an ``alert.created`` event per alert to send, in one
    transaction; returns the alerts to deliver (never one already sent) and the event ids.

    With ``channels`` (rule id -> its channels), the same transaction writes a delivery job
    per alert to send and channel, claimed for the caller: a decision is never committed
    without its deliveries, and deliveries that a stopped process did not finish are resumed.

    Each alert to send takes its event's id as ``sent_seq``: the browsers' live stream shows
    alerts in that order, so one held over quiet hours shows when released.
    """
    now = clock.now()
    with db.transaction() as tx:
        store_alerts.save_states(tx.session, states=states, now=now)
        ids = store_alerts.record_alerts(tx.session, alerts=alerts, now=now)
        to_send: list[Recorded] = []
        seen: set[str] = set()
        for alert in alerts:
            key = alert.payload["id"]
            row_id, is_new = ids[key]
            if is_new and key not in seen:
                seen.add(key)
                to_send.append(Recorded(alert.rule_id, row_id, alert.payload))
        events = [
            (
                EVENT_ALERT_CREATED,
                {"alert_id": r.alert_row_id, "team_id": a.team_id, "alert": r.payload},
            )
            for r, a in zip(to_send, _matching(alerts, to_send), strict=True)
        ]
        event_ids = store_events.add_events(tx.session, events=events, now=now)
        seqs = zip(to_send, sorted(event_ids), strict=True)
        store_alerts.mark_sent(tx.session, seqs={r.alert_row_id: seq for r, seq in seqs})
        if channels is not None:
            specs = [
                (r, JobSpec(r.alert_row_id, r.rule_id, c.index, c.kind, c.target))
                for r in to_send
                for c in channels.get(r.rule_id, ())
            ]
            job_ids = store_deliveries.add_jobs(
                tx.session, jobs=[spec for _r, spec in specs], now=now, claim_seconds=CLAIM_SECONDS
            )
            for (recorded, spec), job_id in zip(specs, job_ids, strict=True):
                recorded.job_ids[spec.channel_index] = job_id
    return to_send, event_ids


def _matching(alerts: Sequence[NewAlert], recorded: list[Recorded]) -> list[NewAlert]:
    by_key = {a.payload["id"]: a for a in alerts}
    return [by_key[r.payload["id"]] for r in recorded]


def record_deliveries(
    db: Database,
    *,
    results: Sequence[tuple[Recorded, Channel, DeliveryResult]],
    clock: Clock,
) -> None:
    """Store delivery results in one transaction (the admin page shows each channel's last one
    as its health); batched because SQLite has one writer and the pipeline needs it more."""
    with db.transaction() as tx:
        for recorded, channel, result in results:
            job_id = recorded.job_ids.get(channel.index)
            if job_id is not None:
                store_deliveries.finish_job(
                    tx.session, job_id=job_id, status=result.status, attempts=result.attempts,
                    reason=result.reason, message=result.message, now=clock.now(),
                )  # fmt: skip
            store_alerts.add_delivery(
                tx.session,
                rule_id=recorded.rule_id,
                alert_row_id=recorded.alert_row_id,
                channel_index=channel.index,
                channel=channel.kind,
                target=channel.target,
                status=result.status,
                attempts=result.attempts,
                reason=result.reason,
                message=result.message,
                at=clock.now(),
            )


def extend_claim(db: Database, *, job_id: int, seconds: float, clock: Clock) -> None:
    """Keep a delivery job in work for ``seconds`` more (before a further attempt)."""
    with db.transaction() as tx:
        store_deliveries.extend_claim(
            tx.session, job_id=job_id, now=clock.now(), claim_seconds=seconds + CLAIM_SECONDS
        )


@dataclass
class Resumed:
    """A delivery job taken up again: the alert and the channel index it goes to."""

    recorded: Recorded
    channel_index: int


def resume_jobs(db: Database, *, clock: Clock, limit: int = 200) -> list[Resumed]:
    """Claim the pending jobs nobody works on (a stopped process's, or sent again)."""
    now = clock.now()
    out: list[Resumed] = []
    with db.transaction() as tx:
        jobs = store_deliveries.claim_stale_jobs(
            tx.session, now=now, claim_seconds=CLAIM_SECONDS, limit=limit
        )
        for job in jobs:
            row = tx.session.get(AlertRecord, job.alert_id)
            rule = tx.session.get(AlertRuleRecord, job.rule_id)
            team = tx.session.get(Team, rule.team_id) if rule is not None else None
            if row is None or rule is None or team is None:
                continue
            payload = store_alerts.alert_payload(row, rule_name=rule.name, team=team.name)
            recorded = Recorded(job.rule_id, row.id, payload, {job.channel_index: job.id})
            out.append(Resumed(recorded, job.channel_index))
    return out


def fail_job(db: Database, *, job_id: int, message: str, clock: Clock) -> None:
    """Give a job up without an attempt (its rule or channel is gone)."""
    with db.transaction() as tx:
        store_deliveries.finish_job(
            tx.session, job_id=job_id, status="failed", attempts=0, reason="config",
            message=message, now=clock.now(),
        )  # fmt: skip


def hourly_history(
    db: Database, *, scope: RollupScope, start: datetime, end: datetime
) -> dict[datetime, tuple[int, int]]:
    """``{hour: (mentions, negative)}`` from the rollups for ``[start, end)``."""
    with db.transaction() as tx:
        return store_alerts.hourly_counts(tx.session, scope=scope, start=start, end=end)


def mentions_in_window(
    db: Database,
    *,
    scope: RollupScope,
    start: datetime,
    end: datetime,
    negative_only: bool = False,
) -> list[WindowMention]:
    """The mentions behind an alert (for its top posts, words and authors)."""
    with db.transaction() as tx:
        return store_alerts.window_mentions(
            tx.session, scope=scope, start=start, end=end, negative_only=negative_only
        )


def stored_post(db: Database, *, network: str, external_id: str) -> Post | None:
    """The full stored post (events carry only a snippet of the text)."""
    with db.transaction() as tx:
        post: Post | None = store_alerts.full_post(
            tx.session, network=network, external_id=external_id
        )
        return post
