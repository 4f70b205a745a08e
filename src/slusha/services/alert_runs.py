"""What the alerter reads and writes: active rules, decisions (state + alerts + events) in one
transaction, delivery results, and the rollup history spike and sentiment checks judge."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slusha.clock import Clock
from slusha.config import Settings
from slusha.domain.alerts import AlertRule, RuleState, parse_rule
from slusha.domain.post import Post
from slusha.errors import SlushaError
from slusha.notifiers.delivery import DeliveryResult
from slusha.query import compile_query
from slusha.services.alert_channels import Channel, load_channels
from slusha.store import alerts as store_alerts
from slusha.store import events as store_events
from slusha.store.alerts import NewAlert, RollupScope, WindowMention
from slusha.store.db import Database

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


def load_active_rules(db: Database, *, settings: Settings) -> list[ActiveRule]:
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
            channels = load_channels(row.channels or [], row.secrets, settings=settings)
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


@dataclass
class Recorded:
    """An alert recorded for sending: its rule, stored row id and JSON form."""

    rule_id: int
    alert_row_id: int
    payload: dict[str, Any]


def record_decisions(
    db: Database,
    *,
    states: dict[int, dict[str, Any]],
    alerts: Sequence[NewAlert],
    clock: Clock,
) -> tuple[list[Recorded], list[int]]:
    """Store states and alerts, and an ``alert.created`` event per alert to send, in one
    transaction; returns the alerts to deliver (never one already sent) and the event ids.

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
