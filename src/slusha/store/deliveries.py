"""Delivery jobs: alerts to deliver, written with the decision, claimed, finished, resumed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from slusha.store.schema import DeliveryJob


@dataclass(frozen=True)
class JobSpec:
    """One channel an alert goes to."""

    alert_row_id: int
    rule_id: int
    channel_index: int
    channel: str
    target: str


def add_jobs(
    session: Session, *, jobs: Sequence[JobSpec], now: datetime, claim_seconds: float
) -> list[int]:
    """Write jobs, claimed by the caller (who delivers them next); returns their ids."""
    rows = [
        DeliveryJob(
            alert_id=j.alert_row_id, rule_id=j.rule_id, channel_index=j.channel_index,
            channel=j.channel, target=j.target, status="pending", attempts=0,
            claimed_until=now + timedelta(seconds=claim_seconds), message="",
            created_at=now, updated_at=now,
        )
        for j in jobs
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def extend_claim(session: Session, *, job_id: int, now: datetime, claim_seconds: float) -> None:
    """Keep a job in work (before each further attempt)."""
    session.execute(
        update(DeliveryJob)
        .where(DeliveryJob.id == job_id, DeliveryJob.status == "pending")
        .values(claimed_until=now + timedelta(seconds=claim_seconds), updated_at=now)
    )


def finish_job(
    session: Session,
    *,
    job_id: int,
    status: str,
    attempts: int,
    reason: str | None,
    message: str,
    now: datetime,
) -> None:
    """Record the outcome: ``sent``, or ``failed`` after every attempt (a dead letter)."""
    session.execute(
        update(DeliveryJob)
        .where(DeliveryJob.id == job_id)
        .values(
            status=status,
            attempts=DeliveryJob.attempts + attempts,
            reason=reason,
            message=message[:4000],
            claimed_until=None,
            updated_at=now,
        )
    )


def claim_stale_jobs(
    session: Session, *, now: datetime, claim_seconds: float, limit: int = 200
) -> list[DeliveryJob]:
    """Pending jobs nobody works on (a stopped process's, or sent again), claimed for the
    caller, oldest first."""
    stmt = (
        select(DeliveryJob)
        .where(
            DeliveryJob.status == "pending",
            or_(DeliveryJob.claimed_until.is_(None), DeliveryJob.claimed_until < now),
        )
        .order_by(DeliveryJob.id)
        .limit(limit)
    )
    jobs = list(session.scalars(stmt))
    for job in jobs:
        job.claimed_until = now + timedelta(seconds=claim_seconds)
        job.updated_at = now
    return jobs


def send_again(session: Session, *, job_ids: Sequence[int] | None, now: datetime) -> int:
    """Put failed jobs back to pending (all failed ones when ``job_ids`` is None)."""
    stmt = update(DeliveryJob).where(DeliveryJob.status == "failed")
    if job_ids is not None:
        stmt = stmt.where(DeliveryJob.id.in_(list(job_ids)))
    result = session.execute(stmt.values(status="pending", claimed_until=None, updated_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def list_jobs(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[DeliveryJob]:
    """Jobs, newest first."""
    stmt = select(DeliveryJob).order_by(DeliveryJob.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(DeliveryJob.status == status)
    return list(session.scalars(stmt))


def count_jobs(session: Session) -> dict[str, int]:
    """How many jobs there are of each status."""
    rows = session.execute(select(DeliveryJob.status, func.count()).group_by(DeliveryJob.status))
    return {status: int(count) for status, count in rows}
