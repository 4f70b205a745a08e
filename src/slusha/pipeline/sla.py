"""The periodic SLA task: warnings, breaches, reassignment; then the outbox carries the events.

``slusha serve`` starts ``run_forever`` next to the other tasks; ``run_once`` is one pass
(tests, ``slusha sla check``).
"""

from __future__ import annotations

import asyncio
import logging

from slusha.bus.base import Bus
from slusha.clock import Clock
from slusha.errors import TransientError
from slusha.services.outbox import publish_events
from slusha.services.sla import CheckSummary, run_checks
from slusha.store.db import Database

INTERVAL_SECONDS = 30.0
log = logging.getLogger("slusha.pipeline.sla")


async def run_once(
    db: Database, *, clock: Clock, bus: Bus | None = None, limit: int = 500
) -> CheckSummary:
    """One pass of the checks; events are published right away when a bus is given."""
    summary = await asyncio.to_thread(run_checks, db, clock=clock, limit=limit)
    if bus is not None and summary.event_ids:
        await publish_events(db, bus, clock=clock, ids=summary.event_ids)
    return summary


async def run_forever(
    db: Database,
    *,
    clock: Clock,
    bus: Bus | None = None,
    interval_seconds: float = INTERVAL_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the checks every ``interval_seconds`` until ``stop`` is set (or cancelled)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            summary = await run_once(db, clock=clock, bus=bus)
            if summary.warnings or summary.breaches or summary.reassigned:
                log.info(
                    "sla checks",
                    extra={
                        "warnings": summary.warnings,
                        "breaches": summary.breaches,
                        "reassigned": summary.reassigned,
                    },
                )
        except TransientError as exc:
            log.warning("sla checks failed, will retry: %s", exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            continue
