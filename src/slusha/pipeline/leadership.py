"""Roles that must run once at a time, with a standby that takes over (leases in the database).

Any number of processes may run the alerter (or the response-time checks and reply retries):
one holds the role's lease and does the work; the others wait as standbys and try to take the
lease every second. The holder renews it every 3 s for 9 s ahead, so when the holder stops or
is killed, a standby takes over within 10 s; a clean stop releases the lease at once. A holder
that cannot renew (the database away) stops its work before the lease can have passed to
another process, so two never work at the same time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any

from slusha.clock import Clock
from slusha.errors import SlushaError
from slusha.store import leases
from slusha.store.db import Database

log = logging.getLogger("slusha.leadership")
LEASE_SECONDS = 9.0
RENEW_SECONDS = 3.0
STANDBY_POLL_SECONDS = 1.0


def process_id() -> str:
    """Who this process is, in a lease: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Leadership:
    """Runs ``work(until)`` only while this process holds the lease ``name``."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        name: str,
        holder: str | None = None,
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
        poll_seconds: float = STANDBY_POLL_SECONDS,
        on_state: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.name = name
        self.holder = holder or process_id()
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.poll_seconds = poll_seconds
        self.on_state = on_state or (lambda _state: None)
        self.is_leader = False

    def _acquire(self) -> bool:
        with self.db.transaction() as tx:
            return leases.try_acquire(
                tx.session, name=self.name, holder=self.holder, now=self.clock.now(),
                ttl_seconds=self.lease_seconds,
            )  # fmt: skip

    def _release(self) -> None:
        with self.db.transaction() as tx:
            leases.release(tx.session, name=self.name, holder=self.holder)

    async def _try(self) -> bool | None:
        """True or False from the database; None when it could not be asked."""
        try:
            return await asyncio.to_thread(self._acquire)
        except SlushaError as exc:
            log.warning("lease.unavailable", extra={"lease": self.name, "error": str(exc)})
            return None

    async def run(
        self, work: Callable[[asyncio.Event], Coroutine[Any, Any, None]], stop: asyncio.Event
    ) -> None:
        """Until ``stop``: wait for the lease, run ``work`` while holding it, release it."""
        while not stop.is_set():
            self.on_state("standby")
            if not await self._try():
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_seconds)
                continue
            log.info("lease.acquired", extra={"lease": self.name, "holder": self.holder})
            self.is_leader = True
            self.on_state("leader")
            try:
                await self._lead(work, stop)
            finally:
                self.is_leader = False
        self.on_state("stopped")

    async def _lead(
        self, work: Callable[[asyncio.Event], Coroutine[Any, Any, None]], stop: asyncio.Event
    ) -> None:
        until = asyncio.Event()
        task = asyncio.create_task(work(until))
        renewed = time.monotonic()
        lost = False
        try:
            while not task.done():
                waiting = asyncio.create_task(stop.wait())
                await asyncio.wait({task, waiting}, timeout=self.renew_seconds,
                                   return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                waiting.cancel()
                if stop.is_set() or task.done():
                    break
                held = await self._try()
                if held:
                    renewed = time.monotonic()
                elif (
                    held is False
                    or time.monotonic() - renewed > self.lease_seconds - self.renew_seconds
                ):
                    # Taken by another, or not renewed in time: stop before it can be taken.
                    lost = True
                    log.warning("lease.lost", extra={"lease": self.name, "holder": self.holder})
                    break
        finally:
            until.set()
            try:
                await task  # its error, if any, goes to the supervisor
            finally:
                if not lost:
                    with suppress(SlushaError, asyncio.CancelledError):
                        await asyncio.to_thread(self._release)
