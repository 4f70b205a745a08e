"""Response-time targets: team policies and holidays, the timer of every mention, the checks.

The ``on_*`` functions run inside the caller's transaction (the inbox actions and the save
stage); ``run_checks`` is the periodic task: warnings, breaches (the team's managers are
notified) and reassignment, each written to the outbox as an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slusha.clock import Clock
from slusha.domain import sla as domain_sla
from slusha.domain.business_hours import BusinessHours, parse_duration_minutes
from slusha.domain.sla import SlaTargets, TimerState
from slusha.errors import InputError
from slusha.services.access import Principal
from slusha.services.inbox_access import operator, require_inbox
from slusha.store import events as store_events
from slusha.store import inbox as store_inbox
from slusha.store import members as store_members
from slusha.store import sla as store_sla
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import Mention, MentionTimer, SlaPolicy

EVENT_WARNING = "inbox.sla_warning"
EVENT_BREACHED = "inbox.sla_breached"
EVENT_REASSIGNED = "inbox.reassigned"


def targets_from(policy: SlaPolicy | None, holidays: Sequence[str]) -> SlaTargets:
    """The domain targets of a stored policy (none: a 24/7 clock with no deadlines)."""
    if policy is None:
        return SlaTargets()
    days = [date.fromisoformat(d) for d in holidays]
    return SlaTargets(
        hours=BusinessHours.parse(policy.hours, timezone=policy.timezone, holidays=days),
        first_response_minutes=policy.first_response_minutes,
        resolution_minutes=policy.resolution_minutes,
        warn_before_minutes=policy.warn_before_minutes,
        reassign_after_minutes=policy.reassign_after_minutes,
    )


def targets_for(session: Any, *, team_ids: Sequence[int]) -> dict[int, SlaTargets]:
    """Targets per team (teams without a policy get the no-deadline default)."""
    wanted = sorted(set(team_ids))
    found = {p.team_id: p for p in store_sla.policies(session, team_ids=wanted)}
    holidays = store_sla.holidays_of(session, team_ids=wanted) if found else {}
    common = holidays.get(None, [])
    return {t: targets_from(found.get(t), [*common, *holidays.get(t, [])]) for t in wanted}


def state_of(timer: MentionTimer, mention: Mention) -> TimerState:
    """The domain view of a stored timer."""
    return TimerState(
        started_at=timer.started_at,
        first_response_due_at=timer.first_response_due_at,
        resolution_due_at=timer.resolution_due_at,
        first_response_at=timer.first_response_at,
        resolved_at=timer.resolved_at,
        assigned_at=timer.assigned_at,
        has_assignee=mention.assignee_id is not None,
        warned=frozenset(filter(None, timer.warned.split(","))),
        breached=frozenset(filter(None, timer.breached.split(","))),
        escalated_at=timer.escalated_at,
        is_closed=mention.status == "ignored",
    )


def start_timers(session: Any, *, mentions: Sequence[tuple[int, int]], now: datetime) -> None:
    """Timers for new mentions ``(mention_id, team_id)`` that arrived ``now``."""
    if not mentions:
        return
    targets = targets_for(session, team_ids=[team for _m, team in mentions])
    per_team: dict[int, dict[str, Any]] = {}  # every mention of a team starts at ``now``
    rows = []
    for mention_id, team_id in mentions:
        shared = per_team.get(team_id)
        if shared is None:
            t = targets[team_id]
            state = TimerState(
                started_at=now,
                first_response_due_at=t.first_response_due(now),
                resolution_due_at=t.resolution_due(now),
            )
            shared = per_team[team_id] = {
                "team_id": team_id,
                "started_at": now,
                "first_response_due_at": state.first_response_due_at,
                "resolution_due_at": state.resolution_due_at,
                "first_response_at": None,
                "resolved_at": None,
                "first_response_seconds": None,
                "resolution_seconds": None,
                "responder_id": None,
                "resolver_id": None,
                "assigned_at": None,
                "warned": "",
                "breached": "",
                "escalated_at": None,
                "next_check_at": domain_sla.next_check(state, t),
            }
        rows.append({"mention_id": mention_id, **shared})
    store_sla.add_timers(session, rows=rows)


def _timer(session: Any, mention: Mention) -> tuple[MentionTimer, SlaTargets]:
    timer = store_sla.get_timer(session, mention_id=mention.id)
    if timer is None:  # arrived before timers existed: start it now
        start_timers(session, mentions=[(mention.id, mention.team_id)], now=mention.created_at)
        timer = store_sla.get_timer(session, mention_id=mention.id)
        assert timer is not None
    return timer, targets_for(session, team_ids=[timer.team_id])[timer.team_id]


def _reschedule(timer: MentionTimer, mention: Mention, targets: SlaTargets) -> None:
    timer.next_check_at = domain_sla.next_check(state_of(timer, mention), targets)


def on_first_response(session: Any, *, mention: Mention, user_id: int | None, at: datetime) -> None:
    """A reply went out: the first-response clock stops (once)."""
    timer, targets = _timer(session, mention)
    if timer.first_response_at is None:
        timer.first_response_at = at
        timer.responder_id = user_id
        timer.first_response_seconds = targets.elapsed_seconds(timer.started_at, at)
    _reschedule(timer, mention, targets)


def on_status(
    session: Any, *, mention: Mention, old: str, new: str, user_id: int | None, at: datetime
) -> None:
    """Stop, restart or leave the clocks as a status change demands (``mention`` has ``new``)."""
    timer, targets = _timer(session, mention)
    if new == "resolved":
        if timer.first_response_at is None:
            timer.first_response_at = at
            timer.responder_id = user_id
            timer.first_response_seconds = targets.elapsed_seconds(timer.started_at, at)
        timer.resolved_at = at
        timer.resolver_id = user_id
        timer.resolution_seconds = targets.elapsed_seconds(timer.started_at, at)
    elif new == "ignored":
        # Closed without counting: no deadlines, no resolution time (reports leave it out).
        timer.resolved_at = at
        timer.resolver_id = None
        timer.resolution_seconds = None
        timer.first_response_due_at = timer.resolution_due_at = None
    elif old in ("resolved", "ignored") and new in ("open", "new", "waiting"):
        timer.resolved_at = None
        timer.resolver_id = None
        timer.resolution_seconds = None
        timer.resolution_due_at = targets.resolution_due(at)
        if timer.first_response_at is None:
            timer.first_response_due_at = targets.first_response_due(timer.started_at)
        timer.warned = ",".join(w for w in timer.warned.split(",") if w and w != "resolution")
        timer.breached = ",".join(b for b in timer.breached.split(",") if b and b != "resolution")
    _reschedule(timer, mention, targets)


def on_assigned(session: Any, *, mention: Mention, at: datetime) -> None:
    """A member took or was given the mention: the reassignment clock starts."""
    timer, targets = _timer(session, mention)
    timer.assigned_at = at if mention.assignee_id is not None else None
    _reschedule(timer, mention, targets)


def on_team_changed(session: Any, *, mention: Mention) -> None:
    """Handed over: the new team's targets apply, counted from the original arrival."""
    timer = store_sla.get_timer(session, mention_id=mention.id)
    if timer is None:
        _timer(session, mention)
        return
    timer.team_id = mention.team_id
    targets = targets_for(session, team_ids=[mention.team_id])[mention.team_id]
    timer.first_response_due_at = targets.first_response_due(timer.started_at)
    if timer.resolved_at is None:
        timer.resolution_due_at = targets.resolution_due(timer.started_at)
    timer.warned = timer.breached = ""
    _reschedule(timer, mention, targets)


@dataclass(slots=True)
class PolicyView:
    """A team's policy as shown to users."""

    team: str
    first_response_minutes: int | None
    resolution_minutes: int | None
    hours: str
    timezone: str
    warn_before_minutes: int
    reassign_after_minutes: int | None
    holidays: list[str] = field(default_factory=list)


def set_policy(
    db: Database,
    *,
    team: str,
    clock: Clock,
    first_response: str | None = None,
    resolution: str | None = None,
    hours: str = "24/7",
    timezone: str = "UTC",
    warn_before: str = "15m",
    reassign_after: str | None = None,
    principal: Principal | None = None,
) -> PolicyView:
    """Set a team's targets (durations like ``30m``, ``8h``); open timers keep theirs."""
    principal = principal or operator()
    parsed = BusinessHours.parse(hours, timezone=timezone)
    values = {
        "first_response_minutes": parse_duration_minutes(first_response)
        if first_response
        else None,
        "resolution_minutes": parse_duration_minutes(resolution) if resolution else None,
        "hours": parsed.describe(),
        "timezone": timezone,
        "warn_before_minutes": parse_duration_minutes(warn_before),
        "reassign_after_minutes": parse_duration_minutes(reassign_after)
        if reassign_after
        else None,
    }
    if values["first_response_minutes"] is None and values["resolution_minutes"] is None:
        raise InputError("give --first-response and/or --resolution")
    now = clock.now()
    with db.transaction() as tx:
        team_row = store_inbox.team_by_name(tx.session, name=team)
        require_inbox(principal, "inbox.configure", team_row.id)
        store_sla.upsert_policy(tx.session, team_id=team_row.id, values=values, now=now)
        record_action(
            tx.session,
            at=now,
            actor=principal.username,
            actor_id=principal.user_id or None,
            action="sla.set",
            target_type="team",
            target_id=team_row.id,
            details=values,
        )
        return PolicyView(team=team_row.name, **values)  # type: ignore[arg-type]


def add_holiday(
    db: Database,
    *,
    day: str,
    clock: Clock,
    team: str | None = None,
    name: str = "",
    principal: Principal | None = None,
) -> None:
    """A day off for one team (or every team); deadlines computed from now on skip it."""
    principal = principal or operator()
    try:
        date.fromisoformat(day)
    except ValueError:
        raise InputError(f"holiday {day!r} is not a date (YYYY-MM-DD)") from None
    now = clock.now()
    with db.transaction() as tx:
        team_id = store_inbox.team_by_name(tx.session, name=team).id if team else None
        if team_id is None and not principal.is_admin:
            require_inbox(principal, "routing.write")
        require_inbox(principal, "inbox.configure", team_id)
        store_sla.add_holiday(tx.session, team_id=team_id, day=day, name=name)
        record_action(
            tx.session,
            at=now,
            actor=principal.username,
            actor_id=principal.user_id or None,
            action="sla.holiday",
            target_type="team",
            target_id=team_id,
            details={"day": day, "name": name},
        )


def list_policies(db: Database) -> list[PolicyView]:
    """Every team's policy with its holidays."""
    with db.transaction() as tx:
        teams = {t.id: t.name for t in store_inbox.all_teams(tx.session)}
        rows = store_sla.policies(tx.session)
        holidays = store_sla.holidays_of(tx.session, team_ids=[p.team_id for p in rows])
        return [
            PolicyView(
                team=teams.get(p.team_id, str(p.team_id)),
                first_response_minutes=p.first_response_minutes,
                resolution_minutes=p.resolution_minutes,
                hours=p.hours,
                timezone=p.timezone,
                warn_before_minutes=p.warn_before_minutes,
                reassign_after_minutes=p.reassign_after_minutes,
                holidays=sorted([*holidays.get(None, []), *holidays.get(p.team_id, [])]),
            )
            for p in sorted(rows, key=lambda p: teams.get(p.team_id, ""))
        ]


@dataclass(slots=True)
class CheckSummary:
    """What one run of the periodic checks did."""

    started: int = 0
    warnings: int = 0
    breaches: int = 0
    reassigned: int = 0
    event_ids: list[int] = field(default_factory=list)


def _pick_member(session: Any, *, mention: Mention) -> int | None:
    members = [
        u.id
        for u, role in store_members.members_of(session, team_id=mention.team_id)
        if role in ("responder", "manager", "admin") and u.is_active and u.id != mention.assignee_id
    ]
    if not members:
        return None
    load = store_sla.open_assigned_counts(session, team_id=mention.team_id)
    return min(members, key=lambda uid: (load.get(uid, 0), uid))


def run_checks(db: Database, *, clock: Clock, limit: int = 500) -> CheckSummary:
    """Warn before deadlines, report breaches to the managers, reassign idle assignments."""
    now = clock.now()
    summary = CheckSummary()
    with db.transaction() as tx:
        session = tx.session
        with_policy = [p.team_id for p in store_sla.policies(session)]
        missing = store_sla.untimed_open_mentions(session, team_ids=with_policy, limit=limit)
        for mention in missing:
            start_timers(session, mentions=[(mention.id, mention.team_id)], now=mention.created_at)
        summary.started = len(missing)
        events: list[tuple[str, dict[str, Any]]] = []
        for timer, mention in store_sla.due_timers(session, now=now, limit=limit):
            targets = targets_for(session, team_ids=[timer.team_id])[timer.team_id]
            kinds = domain_sla.due(state_of(timer, mention), targets, now)
            warned = set(filter(None, timer.warned.split(",")))
            breached = set(filter(None, timer.breached.split(",")))
            base = {
                "mention_id": mention.id,
                "team_id": mention.team_id,
                "assignee_id": mention.assignee_id,
            }
            for kind in kinds:
                which = "first" if kind.endswith("_first") else "resolution"
                if kind in (domain_sla.WARN_FIRST, domain_sla.WARN_RESOLUTION):
                    warned.add(which)
                    due_at = (
                        timer.first_response_due_at if which == "first" else timer.resolution_due_at
                    )
                    events.append(
                        (
                            EVENT_WARNING,
                            {
                                **base,
                                "target": which,
                                "due_at": due_at.isoformat() if due_at else None,
                            },
                        )
                    )
                    summary.warnings += 1
                elif kind in (domain_sla.BREACH_FIRST, domain_sla.BREACH_RESOLUTION):
                    breached.add(which)
                    warned.add(which)
                    managers = [
                        u.id
                        for u, role in store_members.members_of(session, team_id=mention.team_id)
                        if role == "manager"
                    ]
                    events.append(
                        (EVENT_BREACHED, {**base, "target": which, "notify_user_ids": managers})
                    )
                    summary.breaches += 1
                elif kind == domain_sla.REASSIGN:
                    summary.reassigned += _reassign(session, timer, mention, now, events)
            timer.warned = ",".join(sorted(warned))
            timer.breached = ",".join(sorted(breached))
            _reschedule(timer, mention, targets)
        summary.event_ids = store_events.add_events(session, events=events, now=now)
    return summary


def _reassign(
    session: Any,
    timer: MentionTimer,
    mention: Mention,
    now: datetime,
    events: list[tuple[str, dict[str, Any]]],
) -> int:
    old = mention.assignee_id
    new = _pick_member(session, mention=mention)
    mention.assignee_id = new
    mention.updated_at = now
    timer.escalated_at = now
    timer.assigned_at = now if new is not None else None
    note = "no reply in time: reassigned by the SLA check"
    store_inbox.add_history(
        session,
        mention_id=mention.id,
        at=now,
        actor="system",
        actor_id=None,
        field="assignee",
        old=old,
        new=new,
        note=note,
    )
    record_action(
        session,
        at=now,
        actor="system",
        action="mention.reassign",
        target_type="mention",
        target_id=mention.id,
        details={"from": old, "to": new, "reason": "sla"},
    )
    events.append(
        (
            EVENT_REASSIGNED,
            {
                "mention_id": mention.id,
                "team_id": mention.team_id,
                "from_user_id": old,
                "to_user_id": new,
            },
        )
    )
    return 1
