"""Publishing the outbox: events reach the bus only after their transaction committed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slusha.bus.base import Bus
from slusha.bus.messages import SUBJECT_EVENTS, event_message
from slusha.clock import Clock
from slusha.store import events as store_events
from slusha.store.db import Database


async def publish_events(
    db: Database,
    bus: Bus,
    *,
    clock: Clock,
    ids: Sequence[int] | None = None,
    events: Sequence[tuple[int, str, dict[str, Any]]] | None = None,
    limit: int = 1000,
) -> int:
    """Publish the given events (or the oldest unpublished ones) and mark them published.

    ``events`` are (id, kind, payload) of events the caller has just committed, so they
    are not read back. A crash between publishing and marking publishes an event twice;
    consumers dedupe on the event id (it is also the JetStream message id).
    """
    if events is not None:
        pending = list(events)
    else:
        with db.read() as tx:
            if ids is None:
                stored = store_events.unpublished_events(tx.session, limit=limit)
            else:
                stored = store_events.events_by_id(tx.session, ids=ids)
            pending = [(e.id, e.kind, e.payload) for e in stored if e.published_at is None]
    if not pending:
        return 0
    await bus.publish_many(
        SUBJECT_EVENTS,
        [
            (event_message(kind, payload, event_id=eid), f"event:{eid}")
            for eid, kind, payload in pending
        ],
    )
    with db.transaction() as tx:
        store_events.mark_published(
            tx.session, ids=[eid for eid, _k, _p in pending], now=clock.now()
        )
    return len(pending)


def skip_pending_events(db: Database, *, clock: Clock) -> int:
    """Drop the pending events (a bulk load of history must not page anyone or flood screens)."""
    with db.transaction() as tx:
        return store_events.mark_all_published(tx.session, now=clock.now())
