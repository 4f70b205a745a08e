"""Alert rules: create (validated, channel secrets encrypted, audited), list with channel health,
enable, disable, snooze, test every channel, and read the delivery history."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slusha.clock import Clock
from slusha.config import Settings
from slusha.domain.alerts.messages import sample_alert
from slusha.errors import Conflict, InputError, NotFound
from slusha.plugins.delivery import DeliveryResult, RetryPolicy
from slusha.plugins.host import PluginHost
from slusha.plugins.registry import Registry
from slusha.services.alert_channels import Channel, load_channels, parse_channels
from slusha.services.alert_specs import RuleSpec, rule_config
from slusha.services.teams import find_team
from slusha.store import alerts as store_alerts
from slusha.store import topics as store_topics
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import AlertRuleRecord, Team, Topic

MAX_NAME_LENGTH = 200
TEST_POLICY = RetryPolicy(max_attempts=1)
HEALTH = {"sent": "ok", "failed": "failing"}


@dataclass
class ChannelView:
    """A channel as people see it: masked target and the outcome of its last delivery."""

    index: int
    kind: str
    target: str
    health: str  # ok | failing | unused
    reason: str | None = None
    message: str = ""
    last_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The channel as JSON."""
        return {
            "index": self.index,
            "kind": self.kind,
            "target": self.target,
            "health": self.health,
            "reason": self.reason,
            "message": self.message,
            "last_at": self.last_at.isoformat() if self.last_at else None,
        }


@dataclass
class RuleView:
    """A rule with its team, topic names, channels and incident state, for lists and the API."""

    id: int
    name: str
    team: str
    kind: str
    topics: list[str]
    filters: dict[str, Any]
    config: dict[str, Any]
    channels: list[ChannelView]
    enabled: bool
    snoozed_until: datetime | None
    incident_open: bool
    created_at: datetime
    created_by: str

    @property
    def is_failing(self) -> bool:
        """True when a channel's last delivery failed."""
        return any(c.health == "failing" for c in self.channels)

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON (no secrets)."""
        return {
            "id": self.id,
            "name": self.name,
            "team": self.team,
            "kind": self.kind,
            "topics": self.topics,
            "filters": self.filters,
            "config": self.config,
            "channels": [c.to_dict() for c in self.channels],
            "enabled": self.enabled,
            "snoozed_until": self.snoozed_until.isoformat() if self.snoozed_until else None,
            "incident_open": self.incident_open,
            "failing": self.is_failing,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass
class CreatedRule:
    """A new rule, and the webhook secrets to show once (``(masked target, secret)``)."""

    rule: RuleView
    secrets: list[tuple[str, str]] = field(default_factory=list)


def _resolve_topics(session: Any, *, team: Team, names: list[str]) -> list[Topic]:
    topics: list[Topic] = []
    for name in names:
        topic = store_topics.get_topic(session, name_or_id=name.strip())
        if topic is None:
            own = [t.name for t, tm in store_topics.list_topics(session) if tm.id == team.id]
            known = ", ".join(own) if own else "none yet: add one with 'slusha topics add'"
            raise InputError(f"no topic named {name!r} (topics of {team.name}: {known})")
        if topic.team_id != team.id:
            raise InputError(
                f"topic {topic.name!r} belongs to another team; a rule of {team.name} can only "
                "watch its own team's topics"
            )
        if topic.id not in {t.id for t in topics}:
            topics.append(topic)
    return topics


def _unique_name(wanted: str, taken: set[str]) -> str:
    name, number = wanted, 2
    while name.casefold() in taken:
        name = f"{wanted} ({number})"
        number += 1
    return name


def create_rule(
    db: Database,
    *,
    spec: RuleSpec,
    settings: Settings,
    clock: Clock,
    registry: Registry,
    actor: str = "cli",
) -> CreatedRule:
    """Add an alert rule; every input is checked first and each problem is an ``InputError``."""
    team = find_team(db, name=spec.team)
    with db.transaction() as tx:
        topics = _resolve_topics(tx.session, team=team, names=list(spec.topics))
    config = rule_config(spec, topic_ids=[t.id for t in topics])
    filters = config.pop("filters", {})
    channels = parse_channels(list(spec.channels), settings=settings, registry=registry)
    wanted = " ".join((spec.name or "").split())
    if len(wanted) > MAX_NAME_LENGTH:
        raise InputError(f"a rule name is at most {MAX_NAME_LENGTH} characters")
    now = clock.now()
    with db.transaction() as tx:
        taken = store_alerts.rule_names(tx.session, team_id=team.id)
        if wanted and wanted.casefold() in taken:
            raise Conflict(f"{team.name} has a rule named {wanted!r} already")
        default = f"{spec.kind}: {', '.join(t.name for t in topics) or 'all topics'}"
        name = wanted or _unique_name(default[:MAX_NAME_LENGTH], taken)
        row = store_alerts.add_rule(
            tx.session,
            team_id=team.id,
            name=name,
            kind=spec.kind,
            topic_ids=[t.id for t in topics],
            filters=filters,
            config=config,
            channels=channels.records,
            secrets=channels.secrets_token,
            created_by=actor,
            now=now,
        )
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action="alert_rule.create",
            target_type="alert_rule",
            target_id=row.id,
            details={
                "name": name,
                "team": team.name,
                "kind": spec.kind,
                "topics": [t.name for t in topics],
                "filters": filters,
                "channels": [c["target"] for c in channels.records],
            },
        )
        view = _views(tx.session, [(row, team)])[0]
    return CreatedRule(view, channels.shown_secrets)


def _views(session: Any, rows: list[tuple[AlertRuleRecord, Team]]) -> list[RuleView]:
    topic_names = {t.id: t.name for t, _team in store_topics.list_topics(session)}
    last = store_alerts.last_deliveries(session, rule_ids=[r.id for r, _t in rows])
    views = []
    for row, team in rows:
        channels = []
        for index, record in enumerate(row.channels or []):
            delivery = last.get((row.id, index))
            health = HEALTH.get(delivery.status, "unused") if delivery else "unused"
            channels.append(
                ChannelView(
                    index=index,
                    kind=record["kind"],
                    target=record.get("target", record["kind"]),
                    health=health,
                    reason=delivery.reason if delivery else None,
                    message=delivery.message if delivery else "",
                    last_at=delivery.at if delivery else None,
                )
            )
        incident = (row.state or {}).get("incident") or {}
        views.append(
            RuleView(
                id=row.id,
                name=row.name,
                team=team.name,
                kind=row.kind,
                topics=[topic_names.get(t, str(t)) for t in row.topic_ids or []],
                filters=dict(row.filters or {}),
                config=dict(row.config or {}),
                channels=channels,
                enabled=row.enabled,
                snoozed_until=row.snoozed_until,
                incident_open=bool(incident.get("incident_id")),
                created_at=row.created_at,
                created_by=row.created_by,
            )
        )
    return views


def list_rules(db: Database, *, team: str | None = None) -> list[RuleView]:
    """Rules (of one team, or all) with channel health."""
    team_id = find_team(db, name=team).id if team else None
    with db.transaction() as tx:
        return _views(tx.session, store_alerts.list_rules(tx.session, team_id=team_id))


def _one_rule(session: Any, *, name_or_id: str, team_id: int | None) -> AlertRuleRecord:
    rows = store_alerts.find_rules(session, name_or_id=str(name_or_id), team_id=team_id)
    if not rows:
        raise NotFound(f"no alert rule {name_or_id!r} (see 'slusha alerts list')")
    if len(rows) > 1:
        ids = ", ".join(str(r.id) for r in rows)
        raise InputError(f"several teams have a rule named {name_or_id!r}; use its id ({ids})")
    return rows[0]


def get_rule(db: Database, *, name_or_id: str, team: str | None = None) -> RuleView:
    """One rule by id or name; ``NotFound`` when there is none."""
    team_id = find_team(db, name=team).id if team else None
    with db.transaction() as tx:
        row = _one_rule(tx.session, name_or_id=name_or_id, team_id=team_id)
        team_row = tx.session.get(Team, row.team_id)
        assert team_row is not None
        return _views(tx.session, [(row, team_row)])[0]


def _change(
    db: Database,
    *,
    name_or_id: str,
    clock: Clock,
    actor: str,
    action: str,
    team: str | None,
    details: dict[str, Any],
    **values: Any,
) -> RuleView:
    team_id = find_team(db, name=team).id if team else None
    now = clock.now()
    with db.transaction() as tx:
        row = _one_rule(tx.session, name_or_id=name_or_id, team_id=team_id)
        for key, value in values.items():
            setattr(row, key, value)
        # Strictly later, even on a stopped clock: the alerter reloads when this moves.
        row.updated_at = max(now, row.updated_at + timedelta(microseconds=1))
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action=action,
            target_type="alert_rule",
            target_id=row.id,
            details={"name": row.name, **details},
        )
        team_row = tx.session.get(Team, row.team_id)
        assert team_row is not None
        tx.session.flush()
        return _views(tx.session, [(row, team_row)])[0]


def set_rule_enabled(
    db: Database,
    *,
    name_or_id: str,
    enabled: bool,
    clock: Clock,
    actor: str = "cli",
    team: str | None = None,
) -> RuleView:
    """Turn a rule on or off; running alerters pick the change up within seconds."""
    action = "alert_rule.enable" if enabled else "alert_rule.disable"
    return _change(
        db,
        name_or_id=name_or_id,
        clock=clock,
        actor=actor,
        action=action,
        team=team,
        details={},
        enabled=enabled,
    )


def snooze_rule(
    db: Database,
    *,
    name_or_id: str,
    until: datetime | None,
    clock: Clock,
    actor: str = "cli",
    team: str | None = None,
) -> RuleView:
    """Silence a rule until ``until`` (None wakes it); alerts meanwhile are dropped and counted."""
    if until is not None and until.tzinfo is None:
        raise InputError("the snooze end needs a time zone (e.g. 2026-12-01T08:00:00+01:00)")
    if until is not None and until <= clock.now():
        raise InputError("the snooze end must be in the future")
    return _change(
        db,
        name_or_id=name_or_id,
        clock=clock,
        actor=actor,
        action="alert_rule.snooze" if until else "alert_rule.wake",
        team=team,
        details={"until": until.isoformat() if until else None},
        snoozed_until=until,
    )


@dataclass
class ChannelTest:
    """The outcome of sending the sample alert through one channel."""

    channel: Channel
    result: DeliveryResult


async def send_test_alerts(
    db: Database,
    *,
    name_or_id: str,
    host: PluginHost,
    actor: str = "cli",
    team: str | None = None,
) -> list[ChannelTest]:
    """Send a harmless sample alert through every channel of the rule; record each result."""
    team_id = find_team(db, name=team).id if team else None
    with db.transaction() as tx:
        row = _one_rule(tx.session, name_or_id=name_or_id, team_id=team_id)
        team_row = tx.session.get(Team, row.team_id)
        assert team_row is not None
        rule_id, rule_team_id, team_name = row.id, row.team_id, team_row.name
        records, token = list(row.channels or []), row.secrets
    channels = load_channels(records, token, settings=host.settings, registry=host.registry)
    now = host.clock.now()
    alert = sample_alert(
        rule_id=str(rule_id), team=team_name, now=now, link=host.settings.public_url
    ).to_dict()
    results = await asyncio.gather(
        *(
            host.send(c.kind, c.config, alert, delivery_id=str(alert["id"]), policy=TEST_POLICY)
            for c in channels
        )
    )
    with db.transaction() as tx:
        new = store_alerts.NewAlert(rule_id, rule_team_id, alert, "test")
        alert_row_id = store_alerts.record_alerts(tx.session, alerts=[new], now=now)[alert["id"]][0]
        for channel, result in zip(channels, results, strict=True):
            store_alerts.add_delivery(
                tx.session,
                rule_id=rule_id,
                alert_row_id=alert_row_id,
                channel_index=channel.index,
                channel=channel.kind,
                target=channel.target,
                status=result.status,
                attempts=result.attempts,
                reason=result.reason,
                message=result.message,
                at=host.clock.now(),
            )
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action="alert_rule.test",
            target_type="alert_rule",
            target_id=rule_id,
            details={
                "results": [
                    f"{c.target}: {r.status}" for c, r in zip(channels, results, strict=True)
                ]
            },
        )
    return [ChannelTest(c, r) for c, r in zip(channels, results, strict=True)]


@dataclass
class DeliveryView:
    """One recorded delivery with its alert's title."""

    id: int
    rule_id: int
    alert_key: str
    title: str
    channel: str
    target: str
    status: str
    attempts: int
    reason: str | None
    message: str
    at: datetime
    rule_name: str = ""  # for pages that list several rules' deliveries (not in the JSON)

    def to_dict(self) -> dict[str, Any]:
        """The delivery as JSON."""
        return {
            "id": self.id,
            "rule_id": self.rule_id,
            "alert": self.alert_key,
            "title": self.title,
            "channel": self.channel,
            "target": self.target,
            "status": self.status,
            "attempts": self.attempts,
            "reason": self.reason,
            "message": self.message,
            "at": self.at.isoformat(),
        }


def list_deliveries(
    db: Database, *, name_or_id: str, team: str | None = None, limit: int = 100
) -> list[DeliveryView]:
    """The rule's deliveries, newest first."""
    team_id = find_team(db, name=team).id if team else None
    with db.transaction() as tx:
        row = _one_rule(tx.session, name_or_id=name_or_id, team_id=team_id)
        return [
            DeliveryView(
                d.id,
                d.rule_id,
                a.alert_key,
                a.title,
                d.channel,
                d.target,
                d.status,
                d.attempts,
                d.reason,
                d.message,
                d.at,
            )
            for d, a in store_alerts.list_deliveries(tx.session, rule_id=row.id, limit=limit)
        ]


def team_name(db: Database, *, team_id: int) -> str:
    """The name of team ``team_id``; ``NotFound`` when there is none."""
    with db.transaction() as tx:
        team = tx.session.get(Team, team_id)
        if team is None:
            raise NotFound(f"no team with id {team_id}")
        return team.name


def team_id_of(db: Database, *, rule_id: int) -> int:
    """The team that owns rule ``rule_id``; ``NotFound`` when there is none."""
    with db.transaction() as tx:
        row = store_alerts.get_rule(tx.session, rule_id=rule_id)
        if row is None:
            raise NotFound(f"no alert rule {rule_id}")
        return row.team_id


def rule_teams(db: Database) -> dict[int, int]:
    """``{rule id: team id}`` of every rule."""
    with db.transaction() as tx:
        return {row.id: team.id for row, team in store_alerts.list_rules(tx.session)}
