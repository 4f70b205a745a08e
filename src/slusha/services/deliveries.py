"""Deliveries as operators see them (alerts to their channels, replies to their networks):
pending, sent, failed; failed ones sent again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slusha.clock import Clock
from slusha.errors import InputError, NotFound
from slusha.services.access import Principal, require
from slusha.store import deliveries as store_deliveries
from slusha.store import replies as store_replies
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import AlertRecord, AlertRuleRecord


@dataclass(frozen=True)
class DeliveryView:
    """One delivery: which alert to which channel (``kind`` alert) or which reply to which
    network (``kind`` reply), and how it went."""

    id: int
    kind: str
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
    """Alert delivery jobs and replies, most recently changed first (``status``: pending,
    sent or failed)."""
    if status is not None and status not in ("pending", "sent", "failed"):
        raise InputError(f"unknown status {status!r} (pending, sent or failed)")
    with db.read() as tx:
        out = []
        for job in store_deliveries.list_jobs(tx.session, status=status, limit=limit):
            alert = tx.session.get(AlertRecord, job.alert_id)
            rule = tx.session.get(AlertRuleRecord, job.rule_id)
            out.append(
                DeliveryView(
                    id=job.id, kind="alert", alert=alert.title if alert else "?",
                    rule=rule.name if rule else "?",
                    channel=job.channel, target=job.target, status=job.status,
                    attempts=job.attempts, reason=job.reason, message=job.message,
                    updated_at=job.updated_at,
                )
            )  # fmt: skip
        for reply in store_replies.list_replies(tx.session, status=status, limit=limit):
            error = reply.last_error or ""
            code = error.split(":", 1)[0] if ":" in error else None
            out.append(
                DeliveryView(
                    id=reply.id, kind="reply", alert=_clip(reply.text),
                    rule=f"mention {reply.mention_id}", channel=reply.network,
                    target=reply.author, status=reply.status, attempts=reply.attempts,
                    reason=code if reply.status != "sent" else None,
                    message=error if reply.status != "sent" else "", updated_at=reply.updated_at,
                )
            )  # fmt: skip
        out.sort(key=lambda d: d.updated_at, reverse=True)
        return out[:limit]


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def count_deliveries(db: Database) -> dict[str, int]:
    """Alert jobs and replies per status (``pending``, ``sent``, ``failed``)."""
    with db.read() as tx:
        counts = {"pending": 0, "sent": 0, "failed": 0}
        for found in (store_deliveries.count_jobs(tx.session),
                      store_replies.count_replies(tx.session)):  # fmt: skip
            for key, value in found.items():
                counts[key] = counts.get(key, 0) + value
        return counts


def send_again(
    db: Database,
    *,
    job_ids: Sequence[int] | None,
    clock: Clock,
    principal: Principal | None = None,
    actor: str = "cli",
    reply_ids: Sequence[int] | None = None,
) -> int:
    """Put failed deliveries back in the queue: the alert jobs ``job_ids`` and the replies
    ``reply_ids``, or every failed one of both when neither is given. The running alerter
    sends alerts within seconds, the inbox role replies within a minute, each with its old
    delivery id (a reply with its idempotency key). Returns how many."""
    if principal is not None:
        require(principal, "deliveries.write")
    now = clock.now()
    every = job_ids is None and reply_ids is None
    with db.transaction() as tx:
        count = 0
        if every or job_ids:
            count += store_deliveries.send_again(tx.session, job_ids=job_ids, now=now)
        if every or reply_ids:
            count += store_replies.send_again(tx.session, reply_ids=reply_ids, now=now)
        if not every and count == 0:
            named = [*map(str, job_ids or ()), *(f"reply {i}" for i in reply_ids or ())]
            raise NotFound(f"no failed delivery with id {', '.join(named)}")
        record_action(
            tx.session, at=now, actor=principal.username if principal else actor,
            actor_id=principal.user_id if principal else None, action="deliveries.send_again",
            target_type="delivery",
            target_id="all" if every else ",".join(
                [*map(str, job_ids or ()), *(f"reply:{i}" for i in reply_ids or ())]
            ),
            details={"count": count},
        )  # fmt: skip
    return count
