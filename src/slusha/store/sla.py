"""SLA policies, holidays and mention timers; the rows response-time reports read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from slusha.store.bulk import insert_many
from slusha.store.schema import Holiday, Mention, MentionTimer, SlaPolicy


def get_policy(session: Session, *, team_id: int) -> SlaPolicy | None:
    """The team's policy, if it has one."""
    return session.scalars(select(SlaPolicy).where(SlaPolicy.team_id == team_id)).first()


def policies(session: Session, *, team_ids: Sequence[int] | None = None) -> list[SlaPolicy]:
    """Policies of the given teams (all when ``None``)."""
    stmt = select(SlaPolicy)
    if team_ids is not None:
        stmt = stmt.where(SlaPolicy.team_id.in_(list(team_ids) or [-1]))
    return list(session.scalars(stmt))


def upsert_policy(
    session: Session, *, team_id: int, values: dict[str, Any], now: datetime
) -> SlaPolicy:
    """Create or replace a team's policy."""
    policy = get_policy(session, team_id=team_id)
    if policy is None:
        policy = SlaPolicy(team_id=team_id, created_at=now, updated_at=now, **values)
        session.add(policy)
    else:
        for key, value in values.items():
            setattr(policy, key, value)
        policy.updated_at = now
    session.flush()
    return policy


def holidays_of(session: Session, *, team_ids: Sequence[int]) -> dict[int | None, list[str]]:
    """Holidays (YYYY-MM-DD) per team id; ``None`` holds the organisation-wide days."""
    stmt = select(Holiday.team_id, Holiday.day).where(
        or_(Holiday.team_id.is_(None), Holiday.team_id.in_(list(team_ids) or [-1]))
    )
    out: dict[int | None, list[str]] = {}
    for team_id, day in session.execute(stmt):
        out.setdefault(team_id, []).append(day)
    return out


def add_holiday(session: Session, *, team_id: int | None, day: str, name: str) -> Holiday:
    """Add a day off (idempotent per team and day)."""
    existing = session.scalars(
        select(Holiday).where(
            Holiday.day == day,
            Holiday.team_id.is_(None) if team_id is None else Holiday.team_id == team_id,
        )
    ).first()
    if existing is not None:
        existing.name = name
        return existing
    holiday = Holiday(team_id=team_id, day=day, name=name)
    session.add(holiday)
    session.flush()
    return holiday


def add_timers(session: Session, *, rows: Sequence[dict[str, Any]]) -> None:
    """Insert timers for new mentions (one executemany)."""
    if rows:
        columns = tuple(rows[0])
        insert_many(
            session.connection(),
            MentionTimer.__table__,  # type: ignore[arg-type]
            columns,
            [tuple(row[c] for c in columns) for row in rows],
        )


def get_timer(session: Session, *, mention_id: int) -> MentionTimer | None:
    """One mention's timer."""
    return session.get(MentionTimer, mention_id)


def due_timers(
    session: Session, *, now: datetime, limit: int = 500
) -> list[tuple[MentionTimer, Mention]]:
    """Timers whose next check has come, oldest first, with their mentions."""
    stmt = (
        select(MentionTimer, Mention)
        .join(Mention, Mention.id == MentionTimer.mention_id)
        .where(MentionTimer.next_check_at.is_not(None), MentionTimer.next_check_at <= now)
        .order_by(MentionTimer.next_check_at)
        .limit(limit)
    )
    return [(t, m) for t, m in session.execute(stmt).all()]


def untimed_open_mentions(
    session: Session, *, team_ids: Sequence[int], limit: int = 1000
) -> list[Mention]:
    """Open mentions of these teams without a timer (a policy was set after they arrived)."""
    stmt = (
        select(Mention)
        .outerjoin(MentionTimer, MentionTimer.mention_id == Mention.id)
        .where(
            MentionTimer.mention_id.is_(None),
            Mention.team_id.in_(list(team_ids) or [-1]),
            Mention.status.in_(("new", "open", "waiting")),
        )
        .limit(limit)
    )
    return list(session.scalars(stmt))


def report_rows(
    session: Session, *, since: datetime, until: datetime, team_ids: Sequence[int] | None
) -> list[tuple[Any, ...]]:
    """(team, responder, resolver, first s, resolution s, first eligible, first hit, resolution
    eligible, resolution hit) per timer of a mention that arrived in [since, until).

    Within-target flags are computed by the database (a running clock counts once its
    deadline passed), so no timestamps cross the wire; the covering index answers it alone.
    Ignored mentions are left out.
    """
    t = MentionTimer

    def eligible(due: Any, at: Any) -> Any:
        return case((and_(due.is_not(None), or_(at.is_not(None), due < until)), 1), else_=0)

    def hit(due: Any, at: Any) -> Any:
        return case((and_(due.is_not(None), at.is_not(None), at <= due), 1), else_=0)

    stmt = select(
        t.team_id,
        t.responder_id,
        t.resolver_id,
        t.first_response_seconds,
        t.resolution_seconds,
        eligible(t.first_response_due_at, t.first_response_at),
        hit(t.first_response_due_at, t.first_response_at),
        eligible(t.resolution_due_at, t.resolved_at),
        hit(t.resolution_due_at, t.resolved_at),
    ).where(
        t.started_at >= since,
        t.started_at < until,
        # Ignored mentions: closed without a resolution time (see services.sla).
        or_(t.resolved_at.is_(None), t.resolution_seconds.is_not(None)),
    )
    if team_ids is not None:
        stmt = stmt.where(t.team_id.in_(list(team_ids) or [-1]))
    return [tuple(row) for row in session.execute(stmt).all()]


def _steps_since(session: Session, column: Any, since: datetime, step_days: int) -> Any:
    """Which step after ``since`` an instant falls in: 0 for (since, since + step], 1 next ..."""
    if session.get_bind().dialect.name == "postgresql":
        days = func.extract("epoch", column - since) / 86400.0
        # ceil(x) - 1 as floor(x - epsilon): an instant exactly on a mark belongs to that mark.
        return func.floor(days / step_days - 1e-9)
    # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which julianday() reads.
    start = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    days = func.julianday(column) - func.julianday(start)
    return cast(days / step_days - 1e-9, Integer)  # positive here, so truncation is floor


def backlog_counts(
    session: Session,
    *,
    since: datetime,
    marks: Sequence[datetime],
    step_days: int,
    team_ids: Sequence[int] | None,
) -> dict[int, list[int]]:
    """Open mentions per team at each mark (``since + k * step``, the last one capped).

    Open at a mark: started by then and not resolved by then. Counted as the open ones at
    ``since`` plus the starts minus the resolutions of each step, grouped by the database.
    """
    t = MentionTimer
    teams = [t.team_id.in_(list(team_ids) or [-1])] if team_ids is not None else []
    until = marks[-1]
    base_stmt = (
        select(t.team_id, func.count())
        .where(t.started_at <= since, or_(t.resolved_at.is_(None), t.resolved_at > since), *teams)
        .group_by(t.team_id)
    )
    out: dict[int, list[int]] = {}
    for team_id, count in session.execute(base_stmt).all():
        out[int(team_id)] = [int(count)] * len(marks)
    last = len(marks) - 1
    for column, sign in ((t.started_at, 1), (t.resolved_at, -1)):
        step = _steps_since(session, column, since, step_days)
        stmt = (
            select(t.team_id, step, func.count())
            .where(column > since, column <= until, *teams)
            .group_by(t.team_id, step)
        )
        for team_id, index, count in session.execute(stmt).all():
            line = out.setdefault(int(team_id), [0] * len(marks))
            for k in range(min(int(index), last), len(marks)):
                line[k] += sign * int(count)
    return out


def open_assigned_counts(session: Session, *, team_id: int) -> dict[int, int]:
    """Open mentions per assignee in a team (for picking who takes a reassigned mention)."""
    stmt = (
        select(Mention.assignee_id, func.count(Mention.id))
        .where(
            and_(Mention.team_id == team_id, Mention.assignee_id.is_not(None)),
            Mention.status.in_(("new", "open", "waiting")),
        )
        .group_by(Mention.assignee_id)
    )
    return {int(a): int(n) for a, n in session.execute(stmt).all() if a is not None}
