"""What the alerts page and the browser notifications read: a team's recent alerts with their
explanations, its delivery records, failing channels, and alerts sent after a given point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from slusha.domain.alerts.explain import Explanation
from slusha.services.alerts import DeliveryView, RuleView, list_rules
from slusha.store import alerts as store_alerts
from slusha.store.db import Database
from slusha.store.schema import AlertRecord, AlertRuleRecord, Team

STREAM_PAGE = "/mentions"


@dataclass
class AlertItem:
    """A recorded alert as the page shows it."""

    id: int
    rule_id: int
    rule_name: str
    team_id: int
    kind: str
    state: str
    verdict: str
    title: str
    summary: str
    created_at: datetime
    explanation: Explanation
    stream_link: str = ""
    sent_seq: int | None = None  # where the live stream has it (None: not sent)


@dataclass
class FailingChannel:
    """A channel whose last delivery failed, with its rule and team."""

    rule: RuleView
    team_id: int
    index: int
    target: str
    reason: str | None
    message: str
    last_at: datetime | None
    extra: dict[str, Any] = field(default_factory=dict)


def stream_link(row: AlertRecord, rule: AlertRuleRecord | None, explanation: Explanation) -> str:
    """The mentions page filtered like the rule (team, first topic, filters) over the window."""
    params: list[tuple[str, str]] = [("team_id", str(row.team_id))]
    topic_ids = list(row.topic_ids or []) or [str(t) for t in (rule.topic_ids if rule else [])]
    if len(topic_ids) == 1:
        params.append(("topic_id", str(topic_ids[0])))
    filters = dict(rule.filters or {}) if rule else {}
    for key, name in (("networks", "network"), ("languages", "lang"), ("sentiments", "sentiment")):
        values = filters.get(key) or []
        if len(values) == 1:
            params.append((name, str(values[0])))
    if row.kind == "sentiment" and not filters.get("sentiments"):
        params.append(("sentiment", "negative"))
    if filters.get("query"):
        params.append(("q", str(filters["query"])))
    if explanation.window_start is not None:
        params.append(("from", explanation.window_start.date().isoformat()))
    if explanation.window_end is not None:
        params.append(("to", explanation.window_end.date().isoformat()))
    return f"{STREAM_PAGE}?{urlencode(params)}"


def _item(row: AlertRecord, rule: AlertRuleRecord | None) -> AlertItem:
    try:
        explanation = Explanation.from_dict(dict(row.explanation or {}))
    except (KeyError, TypeError, ValueError):
        explanation = Explanation(reason="")
    return AlertItem(
        id=row.id,
        rule_id=row.rule_id,
        rule_name=rule.name if rule else str(row.rule_id),
        team_id=row.team_id,
        kind=row.kind,
        state=row.state,
        verdict=row.verdict,
        title=row.title,
        summary=row.summary,
        created_at=row.created_at,
        explanation=explanation,
        stream_link=stream_link(row, rule, explanation),
        sent_seq=row.sent_seq,
    )


def recent_alerts(db: Database, *, team_id: int, limit: int = 20) -> list[AlertItem]:
    """The team's newest alerts (any verdict), with their explanations."""
    with db.transaction() as tx:
        rows = store_alerts.list_alerts(tx.session, team_id=team_id, limit=limit)
        rules = {r.id: r for r, _team in store_alerts.list_rules(tx.session, team_id=team_id)}
        return [_item(row, rules.get(row.rule_id)) for row in rows]


def team_deliveries(db: Database, *, team_id: int, limit: int = 50) -> list[DeliveryView]:
    """The team's delivery records, newest first, each with its rule's name."""
    with db.transaction() as tx:
        names = {r.id: r.name for r, _t in store_alerts.list_rules(tx.session, team_id=team_id)}
        return [
            DeliveryView(
                id=d.id,
                rule_id=d.rule_id,
                alert_key=a.alert_key,
                title=a.title,
                channel=d.channel,
                target=d.target,
                status=d.status,
                attempts=d.attempts,
                reason=d.reason,
                message=d.message,
                at=d.at,
                rule_name=names.get(d.rule_id, str(d.rule_id)),
            )
            for d, a in store_alerts.team_deliveries(tx.session, team_id=team_id, limit=limit)
        ]


def failing_channels(
    db: Database, *, team_ids: Sequence[int] | None = None
) -> list[FailingChannel]:
    """Every channel (of ``team_ids``; None: all teams) whose last delivery failed."""
    with db.transaction() as tx:
        teams = {t.name: t.id for t in tx.session.query(Team)}
    out = []
    for view in list_rules(db):
        team_id = teams.get(view.team)
        if team_id is None or (team_ids is not None and team_id not in team_ids):
            continue
        for channel in view.channels:
            if channel.health == "failing":
                out.append(
                    FailingChannel(
                        rule=view,
                        team_id=team_id,
                        index=channel.index,
                        target=channel.target,
                        reason=channel.reason,
                        message=channel.message,
                        last_at=channel.last_at,
                    )
                )
    return out


def newest_sent_seq(db: Database) -> int:
    """Where a live stream starts: the newest alert sent (0 when none was)."""
    with db.transaction() as tx:
        return store_alerts.newest_sent_seq(tx.session)


def alerts_sent_after(
    db: Database, *, after_seq: int, team_ids: Sequence[int] | None, limit: int = 20
) -> list[AlertItem]:
    """Alerts to ``team_ids`` (None: every team) that turned ``send`` after ``after_seq``, in
    that order: one released after quiet hours comes after those sent while it was held."""
    with db.transaction() as tx:
        rows = store_alerts.alerts_sent_after(
            tx.session, after_seq=after_seq, team_ids=team_ids, limit=limit
        )
        rules = {
            r.id: r
            for r in tx.session.query(AlertRuleRecord).filter(
                AlertRuleRecord.id.in_({row.rule_id for row in rows} or {-1})
            )
        }
        return [_item(row, rules.get(row.rule_id)) for row in rows]
