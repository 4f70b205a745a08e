"""Live updates: a broadcaster woken by ``mention.created`` events, or by a polling timer, and
per-mention wake-ups for the mention pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import uuid
from typing import Any

from slusha.bus.base import Bus
from slusha.bus.messages import SUBJECT_EVENTS
from slusha.errors import TransientError

log = logging.getLogger("slusha.web.live")


class MentionWakeups:
    """Wakes the streams watching one mention (its page: presence and work), not every stream.

    Thread-safe: the sync endpoints that change a mention notify from the thread pool.
    """

    def __init__(self) -> None:
        self._waiters: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._lock = threading.Lock()
        self.closed = False
        self.has_feed = False

    def notify(self, mention_id: int) -> None:
        """Wake the streams of this mention."""
        with self._lock:
            waiters = list(self._waiters.get(mention_id, ()))
        for loop, event in waiters:
            _wake(loop, event)

    def close(self) -> None:
        """Stop: every stream ends (server shutdown)."""
        self.closed = True
        with self._lock:
            waiters = [w for group in self._waiters.values() for w in group]
        for loop, event in waiters:
            _wake(loop, event)

    async def wait(self, mention_id: int, timeout_seconds: float) -> bool:
        """True when woken (or closed), False after ``timeout_seconds``."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(mention_id, set()).add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout_seconds)
            return True
        except TimeoutError:
            return self.closed
        finally:
            with self._lock:
                group = self._waiters.get(mention_id)
                if group is not None:
                    group.discard(entry)
                    if not group:
                        del self._waiters[mention_id]


class Broadcaster:
    """Wakes every open stream when something new may be there; streams re-query themselves.

    Thread-safe (``notify`` may come from the thread pool): it is ``MentionWakeups`` with one
    key that every stream waits on.
    """

    _EVERYONE = 0

    def __init__(self) -> None:
        self._streams = MentionWakeups()
        self.has_feed = False

    @property
    def closed(self) -> bool:
        """True once the server shuts down."""
        return self._streams.closed

    def notify(self) -> None:
        """Wake every waiting stream."""
        self._streams.notify(self._EVERYONE)

    def close(self) -> None:
        """Stop: every stream ends (server shutdown)."""
        self._streams.close()

    async def wait(self, timeout_seconds: float) -> None:
        """Return when notified, closed, or after ``timeout_seconds``."""
        await self._streams.wait(self._EVERYONE, timeout_seconds)


def _wake(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        event.set()
        return
    with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits there any more
        loop.call_soon_threadsafe(event.set)


def _mention_id(data: dict[str, Any]) -> int | None:
    """The mention an ``inbox.*`` event is about (status, assignment, notes, replies, presence)."""
    payload = data.get("payload")
    if not str(data.get("kind", "")).startswith("inbox.") or not isinstance(payload, dict):
        return None
    mention_id = payload.get("mention_id")
    return mention_id if isinstance(mention_id, int) else None


async def feed_from_bus(
    bus: Bus,
    broadcaster: Broadcaster,
    alerts: Broadcaster | None = None,
    mentions: MentionWakeups | None = None,
) -> None:
    """Wake the broadcaster on each ``mention.created`` event from the bus ``events`` subject
    (``alerts`` on each ``alert.created`` event, and ``mentions`` for the mention of each
    ``inbox.*`` event: changes made by other web processes)."""
    durable = f"web-live-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    await bus.subscribe(SUBJECT_EVENTS, durable)
    broadcaster.has_feed = True
    if alerts is not None:
        alerts.has_feed = True
    if mentions is not None:
        mentions.has_feed = True
    while not broadcaster.closed:
        try:
            messages = await bus.fetch(SUBJECT_EVENTS, durable, batch=200, timeout_seconds=1.0)
        except TransientError as exc:
            log.warning("live.bus_retry", extra={"error": str(exc)})
            await asyncio.sleep(1.0)
            continue
        wake = wake_alerts = False
        changed: set[int] = set()
        for message in messages:
            data: dict[str, Any] = message.data
            wake = wake or data.get("kind") == "mention.created"
            wake_alerts = wake_alerts or data.get("kind") == "alert.created"
            mention_id = _mention_id(data)
            if mention_id is not None:
                changed.add(mention_id)
            await message.ack()
        if mentions is not None:
            for mention_id in changed:
                mentions.notify(mention_id)
        if wake:
            broadcaster.notify()
        if wake_alerts and alerts is not None:
            alerts.notify()
