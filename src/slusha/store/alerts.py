"""Alert rules, the alerts they produced and the deliveries of those alerts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from slusha.store.posts import to_domain
from slusha.store.schema import (
    AlertDelivery,
    AlertRecord,
    AlertRuleRecord,
    Mention,
    MentionRollup,
    Post,
    Team,
)

NEGATIVE = "negative"


def add_rule(
    session: Session,
    *,
    team_id: int,
    name: str,
    kind: str,
    topic_ids: Sequence[int],
    filters: dict[str, Any],
    config: dict[str, Any],
    channels: list[dict[str, Any]],
    secrets: str | None,
    created_by: str,
    now: datetime,
) -> AlertRuleRecord:
    """Insert a rule (the caller validated it)."""
    row = AlertRuleRecord(
        team_id=team_id,
        name=name,
        kind=kind,
        topic_ids=list(topic_ids),
        filters=filters,
        config=config,
        channels=channels,
        secrets=secrets,
        state={},
        enabled=True,
        snoozed_until=None,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_rule(session: Session, *, rule_id: int) -> AlertRuleRecord | None:
    """A rule by id."""
    return session.get(AlertRuleRecord, rule_id)


def find_rules(
    session: Session, *, name_or_id: str, team_id: int | None = None
) -> list[AlertRuleRecord]:
    """Rules with this id, else with this name (case-insensitive), optionally of one team."""
    if name_or_id.isdigit():
        row = session.get(AlertRuleRecord, int(name_or_id))
        if row is not None and (team_id is None or row.team_id == team_id):
            return [row]
    stmt = select(AlertRuleRecord).where(
        func.lower(AlertRuleRecord.name) == name_or_id.strip().casefold()
    )
    if team_id is not None:
        stmt = stmt.where(AlertRuleRecord.team_id == team_id)
    return list(session.scalars(stmt.order_by(AlertRuleRecord.id)))


def rule_names(session: Session, *, team_id: int) -> set[str]:
    """Names of the team's rules, case-folded."""
    stmt = select(AlertRuleRecord.name).where(AlertRuleRecord.team_id == team_id)
    return {name.casefold() for name in session.scalars(stmt)}


def list_rules(
    session: Session, *, team_id: int | None = None, enabled_only: bool = False
) -> list[tuple[AlertRuleRecord, Team]]:
    """Rules with their teams, by team and name."""
    stmt = (
        select(AlertRuleRecord, Team)
        .join(Team, Team.id == AlertRuleRecord.team_id)
        .order_by(Team.name, AlertRuleRecord.name)
    )
    if team_id is not None:
        stmt = stmt.where(AlertRuleRecord.team_id == team_id)
    if enabled_only:
        stmt = stmt.where(AlertRuleRecord.enabled.is_(True))
    return [(rule, team) for rule, team in session.execute(stmt).all()]


def rules_version(session: Session) -> tuple[int, datetime | None]:
    """A fingerprint (count, newest edit) that moves whenever a rule is added or edited."""
    count, newest = session.execute(
        select(func.count(AlertRuleRecord.id), func.max(AlertRuleRecord.updated_at))
    ).one()
    return int(count), newest


def save_states(session: Session, *, states: dict[int, dict[str, Any]], now: datetime) -> None:
    """Store rule states; ``updated_at`` stays, so that the alerter does not reload the rules."""
    for rule_id, state in sorted(states.items()):
        session.execute(
            update(AlertRuleRecord)
            .where(AlertRuleRecord.id == rule_id)
            .values(state=state, state_updated_at=now)
        )


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to record: the domain alert's JSON, its rule and team, and the gate's verdict."""

    rule_id: int
    team_id: int
    payload: dict[str, Any]
    verdict: str


def record_alerts(
    session: Session, *, alerts: Sequence[NewAlert], now: datetime
) -> dict[str, tuple[int, bool]]:
    """Insert alerts, idempotent on the alert's key; ``{key: (row id, is_new_send)}``.

    ``is_new_send`` is true when the alert is to be sent and was not recorded as sent before,
    so a replayed event never delivers twice; an alert held over quiet hours and released later
    turns from ``held`` into ``send``.
    """
    if not alerts:
        return {}
    keys = [a.payload["id"] for a in alerts]
    known = {
        row.alert_key: row
        for row in session.scalars(select(AlertRecord).where(AlertRecord.alert_key.in_(keys)))
    }
    out: dict[str, tuple[int, bool]] = {}
    for alert in alerts:
        key = alert.payload["id"]
        row = known.get(key)
        if row is not None:
            fresh = alert.verdict == "send" and row.verdict != "send"
            if fresh:
                row.verdict = "send"
            out[key] = (row.id, fresh or out.get(key, (0, False))[1])
            continue
        payload = alert.payload
        row = AlertRecord(
            alert_key=key,
            rule_id=alert.rule_id,
            team_id=alert.team_id,
            kind=payload["kind"],
            state=payload["state"],
            verdict=alert.verdict,
            title=payload["title"],
            summary=payload["summary"],
            incident_id=payload.get("incident_id"),
            topic_ids=list(payload.get("topic_ids", [])),
            explanation=payload.get("explanation", {}),
            created_at=datetime.fromisoformat(payload["created_at"]),
            recorded_at=now,
        )
        session.add(row)
        session.flush()
        known[key] = row
        out[key] = (row.id, alert.verdict == "send")
    return out


def alert_payload(row: AlertRecord, *, rule_name: str, team: str) -> dict[str, Any]:
    """A stored alert in the JSON form of ``slusha.domain.alerts.Alert``."""
    return {
        "version": 1,
        "id": row.alert_key,
        "rule_id": str(row.rule_id),
        "rule_name": rule_name,
        "team": team,
        "kind": row.kind,
        "state": row.state,
        "title": row.title,
        "summary": row.summary,
        "created_at": row.created_at.isoformat(),
        "incident_id": row.incident_id,
        "topic_ids": list(row.topic_ids or []),
        "explanation": dict(row.explanation or {}),
    }


def list_alerts(
    session: Session, *, rule_id: int | None = None, team_id: int | None = None, limit: int = 100
) -> list[AlertRecord]:
    """Recorded alerts, newest first."""
    stmt = select(AlertRecord).order_by(AlertRecord.id.desc()).limit(limit)
    if rule_id is not None:
        stmt = stmt.where(AlertRecord.rule_id == rule_id)
    if team_id is not None:
        stmt = stmt.where(AlertRecord.team_id == team_id)
    return list(session.scalars(stmt))


def add_delivery(
    session: Session,
    *,
    rule_id: int,
    alert_row_id: int,
    channel_index: int,
    channel: str,
    target: str,
    status: str,
    attempts: int,
    reason: str | None,
    message: str,
    at: datetime,
) -> AlertDelivery:
    """Record one delivery result."""
    row = AlertDelivery(
        rule_id=rule_id,
        alert_id=alert_row_id,
        channel_index=channel_index,
        channel=channel,
        target=target,
        status=status,
        attempts=attempts,
        reason=reason,
        message=message[:2000],
        at=at,
    )
    session.add(row)
    session.flush()
    return row


def list_deliveries(
    session: Session, *, rule_id: int | None = None, limit: int = 100
) -> list[tuple[AlertDelivery, AlertRecord]]:
    """Deliveries with their alerts, newest first."""
    stmt = (
        select(AlertDelivery, AlertRecord)
        .join(AlertRecord, AlertRecord.id == AlertDelivery.alert_id)
        .order_by(AlertDelivery.id.desc())
        .limit(limit)
    )
    if rule_id is not None:
        stmt = stmt.where(AlertDelivery.rule_id == rule_id)
    return [(d, a) for d, a in session.execute(stmt).all()]


def team_deliveries(
    session: Session, *, team_id: int, limit: int = 100
) -> list[tuple[AlertDelivery, AlertRecord]]:
    """Deliveries of one team's alerts with their alerts, newest first."""
    stmt = (
        select(AlertDelivery, AlertRecord)
        .join(AlertRecord, AlertRecord.id == AlertDelivery.alert_id)
        .where(AlertRecord.team_id == team_id)
        .order_by(AlertDelivery.id.desc())
        .limit(limit)
    )
    return [(d, a) for d, a in session.execute(stmt).all()]


def mark_sent(session: Session, *, seqs: dict[int, int]) -> None:
    """Record when alerts turned ``send``: ``{alert row id: sent_seq}`` (outbox event ids)."""
    if seqs:
        session.execute(
            update(AlertRecord),
            [{"id": row_id, "sent_seq": seq} for row_id, seq in sorted(seqs.items())],
        )


def alerts_sent_after(
    session: Session,
    *,
    after_seq: int,
    team_ids: Sequence[int] | None,
    limit: int = 20,
) -> list[AlertRecord]:
    """Alerts that turned ``send`` after ``after_seq`` (in that order) of ``team_ids`` (None:
    every team); an alert released after quiet hours comes when released, not when created."""
    stmt = (
        select(AlertRecord)
        .where(AlertRecord.sent_seq > after_seq)
        .order_by(AlertRecord.sent_seq)
        .limit(limit)
    )
    if team_ids is not None:
        stmt = stmt.where(AlertRecord.team_id.in_(list(team_ids) or [-1]))
    return list(session.scalars(stmt))


def newest_sent_seq(session: Session) -> int:
    """The highest ``sent_seq`` (0 when no alert was sent)."""
    return int(session.scalar(select(func.max(AlertRecord.sent_seq))) or 0)


def last_deliveries(
    session: Session, *, rule_ids: Iterable[int]
) -> dict[tuple[int, int], AlertDelivery]:
    """The newest delivery per (rule, channel index): what the admin page shows as health."""
    ids = list(rule_ids)
    if not ids:
        return {}
    newest = (
        select(func.max(AlertDelivery.id))
        .where(AlertDelivery.rule_id.in_(ids))
        .group_by(AlertDelivery.rule_id, AlertDelivery.channel_index)
    )
    rows = session.scalars(select(AlertDelivery).where(AlertDelivery.id.in_(newest)))
    return {(row.rule_id, row.channel_index): row for row in rows}


@dataclass(frozen=True, slots=True)
class RollupScope:
    """Which rollup rows a rule counts: its team, topics (empty: all) and filters."""

    team_id: int
    topic_ids: tuple[int, ...] = ()
    networks: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()


def _scoped(stmt: Any, scope: RollupScope) -> Any:
    stmt = stmt.where(MentionRollup.team_id == scope.team_id)
    if scope.topic_ids:
        stmt = stmt.where(MentionRollup.topic_id.in_(scope.topic_ids))
    if scope.networks:
        stmt = stmt.where(MentionRollup.network.in_(scope.networks))
    if scope.languages:
        stmt = stmt.where(MentionRollup.lang.in_(scope.languages))
    if scope.sentiments:
        stmt = stmt.where(MentionRollup.sentiment.in_(scope.sentiments))
    return stmt


def hourly_counts(
    session: Session, *, scope: RollupScope, start: datetime, end: datetime
) -> dict[datetime, tuple[int, int]]:
    """``{hour: (mentions, negative mentions)}`` for hours in ``[start, end)``, from rollups.

    Hours without mentions are absent. A mention that matched two topics of the scope counts
    twice, as the rollups count it.
    """
    negative = func.sum(MentionRollup.count).filter(MentionRollup.sentiment == NEGATIVE)
    stmt = (
        select(MentionRollup.hour, func.sum(MentionRollup.count), negative)
        .where(MentionRollup.hour >= start, MentionRollup.hour < end)
        .group_by(MentionRollup.hour)
    )
    out: dict[datetime, tuple[int, int]] = {}
    for hour, total, neg in session.execute(_scoped(stmt, scope)).all():
        out[hour] = (int(total or 0), int(neg or 0))
    return out


@dataclass(frozen=True, slots=True)
class WindowMention:
    """A mention in a window, for an alert's top posts, words and authors."""

    post: Any  # slusha.domain.post.Post
    topic_id: int
    sentiment: str | None
    lang: str | None


def window_mentions(
    session: Session,
    *,
    scope: RollupScope,
    start: datetime,
    end: datetime,
    negative_only: bool = False,
    limit: int = 300,
) -> list[WindowMention]:
    """Mentions posted in ``[start, end)`` in the scope, newest first, at most ``limit``."""
    stmt = (
        select(Mention, Post)
        .join(Post, Post.id == Mention.post_id)
        .where(
            Mention.team_id == scope.team_id,
            Mention.posted_at >= start,
            Mention.posted_at < end,
        )
        .order_by(Mention.posted_at.desc())
        .limit(limit)
    )
    if scope.topic_ids:
        stmt = stmt.where(Mention.topic_id.in_(scope.topic_ids))
    if scope.networks:
        stmt = stmt.where(Mention.network.in_(scope.networks))
    if negative_only:
        stmt = stmt.where(Mention.sentiment == NEGATIVE)
    return [
        WindowMention(to_domain(post), mention.topic_id, mention.sentiment, mention.lang)
        for mention, post in session.execute(stmt).all()
    ]


def full_post(session: Session, *, network: str, external_id: str) -> Any:
    """The stored post in the post format, or None."""
    row = session.scalars(
        select(Post).where(Post.network == network, Post.external_id == external_id)
    ).first()
    return None if row is None else to_domain(row)
