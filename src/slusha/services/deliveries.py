"""Alert deliveries as operators see them: pending, sent, failed; failed ones sent again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slusha.clock import Clock
from slusha.errors import InputError, NotFound
from slusha.services.access import Principal, require
from slusha.store import deliveries as store_deliveries
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import AlertRecord, AlertRuleRecord


@dataclass(frozen=True)
class DeliveryView:
    """One delivery job: which alert to which channel, and how it went."""

    id: int
    alert: str
    rule: str
    channel: str
    target: str
    status: str
    attempts: int
    reason: str | None
    message: str
    updated_at: datetime


def list_deliveries(
    db: Database, *, status: str | None = None, limit: int = 100
) -> list[DeliveryView]:
    """Delivery jobs, newest first (``status``: pending, sent or failed)."""
    if status is not None and status not in ("pending", "sent", "failed"):
        raise InputError(f"unknown status {status!r} (pending, sent or failed)")
    with db.read() as tx:
        out = []
        for job in store_deliveries.list_jobs(tx.session, status=status, limit=limit):
            alert = tx.session.get(AlertRecord, job.alert_id)
            rule = tx.session.get(AlertRuleRecord, job.rule_id)
            out.append(
                DeliveryView(
                    id=job.id, alert=alert.title if alert else "?", rule=rule.name if rule else "?",
                    channel=job.channel, target=job.target, status=job.status,
                    attempts=job.attempts, reason=job.reason, message=job.message,
                    updated_at=job.updated_at,
                )
            )  # fmt: skip
        return out


def count_deliveries(db: Database) -> dict[str, int]:
    """Jobs per status (``pending``, ``sent``, ``failed``)."""
    with db.read() as tx:
        return {"pending": 0, "sent": 0, "failed": 0, **store_deliveries.count_jobs(tx.session)}


def send_again(
    db: Database,
    *,
    job_ids: Sequence[int] | None,
    clock: Clock,
    principal: Principal | None = None,
    actor: str = "cli",
) -> int:
    """Put failed deliveries back in the queue (all failed ones when ``job_ids`` is None); the
    running alerter sends them within seconds. Returns how many."""
    if principal is not None:
        require(principal, "deliveries.write")
    now = clock.now()
    with db.transaction() as tx:
        count = store_deliveries.send_again(tx.session, job_ids=job_ids, now=now)
        if job_ids is not None and count == 0:
            raise NotFound(f"no failed delivery with id {', '.join(map(str, job_ids))}")
        record_action(
            tx.session, at=now, actor=principal.username if principal else actor,
            actor_id=principal.user_id if principal else None, action="deliveries.send_again",
            target_type="delivery", target_id=",".join(map(str, job_ids)) if job_ids else "all",
            details={"count": count},
        )  # fmt: skip
    return count
