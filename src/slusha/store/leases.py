"""Leases: which process may run a role that must run once (the alerter, the schedulers).

A lease is a row with a holder and an expiry. The holder renews it well before it expires;
another process takes it only once it has expired (or was released), so a stopped or killed
holder is replaced within one lease period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from slusha.store.bulk import insert_many
from slusha.store.schema import Lease


def try_acquire(
    session: Session, *, name: str, holder: str, now: datetime, ttl_seconds: float
) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while another holds it."""
    expires = now + timedelta(seconds=ttl_seconds)
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at < now))
        .values(holder=holder, expires_at=expires, acquired_at=now)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return True
    insert_many(
        session.connection(),
        Lease.__table__,  # type: ignore[arg-type]
        ("name", "holder", "expires_at", "acquired_at"),
        [(name, holder, expires, now)],
        conflict=("name",),
    )
    return session.scalar(select(Lease.holder).where(Lease.name == name)) == holder


def release(session: Session, *, name: str, holder: str) -> None:
    """Give the lease up at once (a clean stop), if ``holder`` has it."""
    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def holder_of(session: Session, *, name: str, now: datetime) -> str | None:
    """Who holds the lease now (None when nobody does)."""
    row = session.execute(select(Lease.holder, Lease.expires_at).where(Lease.name == name)).first()
    if row is None or row.expires_at < now:
        return None
    return str(row.holder)
