"""One alerter at a time: a standby takes over when the holder stops or dies, never both."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from slusha.clock import SystemClock
from slusha.pipeline.leadership import Leadership
from slusha.store import leases
from slusha.store.db import Database
from slusha.store.schema import Lease

pytestmark = pytest.mark.timeout(30)
FAST = {"lease_seconds": 0.9, "renew_seconds": 0.3, "poll_seconds": 0.05}


class Worklog:
    """Who worked when: two at once is the failure this guards against."""

    def __init__(self) -> None:
        self.active: set[str] = set()
        self.overlaps = 0
        self.turns: list[str] = []

    def work(self, who: str):
        async def run(until: asyncio.Event) -> None:
            if self.active:
                self.overlaps += 1
            self.active.add(who)
            self.turns.append(who)
            try:
                await until.wait()
            finally:
                self.active.discard(who)

        return run


async def _until(condition, seconds: float = 5.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "timed out"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_standby_takes_over_at_once_after_a_clean_stop(db: Database) -> None:
    log = Worklog()
    clock = SystemClock()
    first = Leadership(db=db, clock=clock, name="alerter", holder="a", **FAST)
    second = Leadership(db=db, clock=clock, name="alerter", holder="b", **FAST)
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    a = asyncio.create_task(first.run(log.work("a"), stop_a))
    await _until(lambda: log.turns == ["a"])
    b = asyncio.create_task(second.run(log.work("b"), stop_b))
    await asyncio.sleep(1.0)  # longer than a lease: "a" renews it, "b" waits
    assert log.turns == ["a"] and not second.is_leader
    stop_a.set()
    await a
    waited = await _until(lambda: log.turns == ["a", "b"])
    assert waited < 0.5  # released, not left to expire
    stop_b.set()
    await b
    assert log.overlaps == 0


async def test_a_dead_holders_lease_passes_on_when_it_expires(db: Database) -> None:
    log = Worklog()
    clock = SystemClock()
    with db.transaction() as tx:  # a holder that was killed: it will never renew nor release
        assert leases.try_acquire(tx.session, name="alerter", holder="dead", now=clock.now(),
                                  ttl_seconds=0.9)  # fmt: skip
    standby = Leadership(db=db, clock=clock, name="alerter", holder="b", **FAST)
    stop = asyncio.Event()
    running = asyncio.create_task(standby.run(log.work("b"), stop))
    waited = await _until(lambda: log.turns == ["b"])
    assert 0.5 < waited < 2.0
    with db.read() as tx:
        assert leases.holder_of(tx.session, name="alerter", now=clock.now()) == "b"
    stop.set()
    await running


async def test_a_holder_that_loses_its_lease_stops_working(db: Database) -> None:
    log = Worklog()
    clock = SystemClock()
    holder = Leadership(db=db, clock=clock, name="alerter", holder="a", **FAST)
    stop = asyncio.Event()
    running = asyncio.create_task(holder.run(log.work("a"), stop))
    await _until(lambda: log.active == {"a"})
    with db.transaction() as tx:  # another process took it (e.g. after a long pause of "a")
        tx.session.execute(
            update(Lease).values(holder="b", expires_at=clock.now() + timedelta(seconds=60))
        )
    await _until(lambda: not log.active)  # "a" stopped working at its next renewal
    stop.set()
    await running
