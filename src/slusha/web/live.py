"""Live updates: a broadcaster woken by ``mention.created`` events, or by a polling timer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from typing import Any

from slusha.bus.base import Bus
from slusha.bus.messages import SUBJECT_EVENTS
from slusha.errors import TransientError

log = logging.getLogger("slusha.web.live")


class Broadcaster:
    """Wakes every open stream when something new may be there; streams re-query themselves."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Event] = set()
        self.closed = False
        self.has_feed = False

    def notify(self) -> None:
        """Wake every waiting stream."""
        for waiter in list(self._waiters):
            waiter.set()

    def close(self) -> None:
        """Stop: every stream ends (server shutdown)."""
        self.closed = True
        self.notify()

    async def wait(self, timeout_seconds: float) -> None:
        """Return when notified, closed, or after ``timeout_seconds``."""
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout_seconds)
        finally:
            self._waiters.discard(waiter)


async def feed_from_bus(bus: Bus, broadcaster: Broadcaster) -> None:
    """Wake the broadcaster on each ``mention.created`` event from the bus ``events`` subject."""
    durable = f"web-live-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    await bus.subscribe(SUBJECT_EVENTS, durable)
    broadcaster.has_feed = True
    while not broadcaster.closed:
        try:
            messages = await bus.fetch(SUBJECT_EVENTS, durable, batch=200, timeout_seconds=1.0)
        except TransientError as exc:
            log.warning("live.bus_retry", extra={"error": str(exc)})
            await asyncio.sleep(1.0)
            continue
        wake = False
        for message in messages:
            data: dict[str, Any] = message.data
            wake = wake or data.get("kind") == "mention.created"
            await message.ack()
        if wake:
            broadcaster.notify()
