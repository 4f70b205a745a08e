"""The in-process bus: bounded queues, JSON round-trip, redelivery on nak.

``publish_confirmed`` is what keeps the embedded default honest: it returns only once a
consumer of this process has acknowledged every body, which the pipeline worker does after
its transaction committed. A sender told "accepted" (a 202, a saved feed cursor) therefore
never loses what it sent when the process is killed: whatever was still queued was not
confirmed, so the sender sends it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from slusha.bus.base import Bus, Message
from slusha.bus.codec import decode, encode
from slusha.errors import TransientError


@dataclass(slots=True)
class _Confirmation:
    """Counts the acknowledgements a confirmed publish still waits for."""

    remaining: int
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def ack(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.done.set()


_Item = tuple[bytes, str | None, int, _Confirmation | None]


class MemoryBus(Bus):
    """One bounded queue per durable consumer; publishers wait when a queue is full."""

    def __init__(self, *, queue_size: int = 10_000) -> None:
        self.queue_size = queue_size
        self._queues: dict[str, dict[str, asyncio.Queue[_Item]]] = {}
        self._orphans: dict[str, asyncio.Queue[_Item]] = {}
        self._redeliveries: set[asyncio.Task[None]] = set()
        self._in_flight: dict[str, int] = {}

    def _new_queue(self) -> asyncio.Queue[_Item]:
        return asyncio.Queue(maxsize=self.queue_size)

    async def publish(
        self, subject: str, data: dict[str, Any], *, msg_id: str | None = None
    ) -> None:
        await self.publish_many(subject, [(data, msg_id)])

    async def publish_many(
        self, subject: str, items: Sequence[tuple[dict[str, Any], str | None]]
    ) -> None:
        await self._enqueue(subject, items, None)

    async def publish_confirmed(
        self,
        subject: str,
        items: Sequence[tuple[dict[str, Any], str | None]],
        *,
        timeout_seconds: float,
    ) -> None:
        """Publish and wait until every consumer acknowledged every body (after its commit)."""
        if not items:
            return
        consumers = self._queues.get(subject)
        if not consumers:
            # Nothing in this process will ever take them (a web-only process on the memory
            # bus): say so now rather than after the timeout.
            raise TransientError(
                "no pipeline runs in this process to store the posts (the in-process bus "
                "reaches no other process)",
                code="bus_no_consumer",
            )
        confirmation = _Confirmation(remaining=len(items) * max(1, len(consumers or ())))
        await self._enqueue(subject, items, confirmation)
        try:
            await asyncio.wait_for(confirmation.done.wait(), timeout_seconds)
        except TimeoutError:
            raise TransientError(
                f"the pipeline has not stored {confirmation.remaining} of {len(items)} posts "
                f"within {timeout_seconds:g} s; they stay queued and are stored when it catches "
                "up. Send them again later: a repeat is never stored twice",
                code="bus_busy",
            ) from None

    async def _enqueue(
        self,
        subject: str,
        items: Sequence[tuple[dict[str, Any], str | None]],
        confirmation: _Confirmation | None,
    ) -> None:
        # Serialise even in process: a body that would not survive NATS fails here too. Every
        # body is encoded before any is queued, so such a body fails the call with nothing
        # published. Queues take what fits without a wait per message.
        encoded: list[_Item] = [(encode(data), msg_id, 1, confirmation) for data, msg_id in items]
        consumers = self._queues.get(subject)
        # Without a consumer yet, the first one to subscribe gets them: start-up order loses
        # nothing.
        queues = (
            list(consumers.values())
            if consumers
            else [self._orphans.setdefault(subject, self._new_queue())]
        )
        for queue in queues:
            for item in encoded:
                if queue.full():
                    await queue.put(item)
                else:
                    queue.put_nowait(item)

    async def subscribe(self, subject: str, durable: str) -> None:
        consumers = self._queues.setdefault(subject, {})
        if durable in consumers:
            return
        queue = self._new_queue()
        orphans = self._orphans.pop(subject, None)
        if orphans is not None:
            queue = orphans
        consumers[durable] = queue

    async def fetch(
        self, subject: str, durable: str, *, batch: int, timeout_seconds: float
    ) -> list[Message]:
        await self.subscribe(subject, durable)
        queue = self._queues[subject][durable]
        try:
            first = await asyncio.wait_for(queue.get(), timeout_seconds)
        except TimeoutError:
            return []
        items = [first]
        while len(items) < batch:
            try:
                items.append(queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        self._in_flight[subject] = self._in_flight.get(subject, 0) + len(items)
        return [
            Message(
                subject,
                decode(raw),
                msg_id,
                attempt,
                partial(self._ack, subject, confirmation),
                partial(self._nak, queue, subject, (raw, msg_id, attempt + 1, confirmation)),
            )
            for raw, msg_id, attempt, confirmation in items
        ]

    async def _ack(self, subject: str, confirmation: _Confirmation | None) -> None:
        self._in_flight[subject] -= 1
        if confirmation is not None:
            confirmation.ack()

    async def ack_all(self, messages: Sequence[Message]) -> None:
        # One pass without an await per message: the worker acknowledges thousands at a time.
        for message in messages:
            ack = message._ack
            if isinstance(ack, partial) and ack.func == self._ack:
                subject, confirmation = ack.args
                self._in_flight[subject] -= 1
                if confirmation is not None:
                    confirmation.ack()
                message._ack = None  # acknowledged: a second ack does nothing
            else:
                await message.ack()

    async def _nak(
        self, queue: asyncio.Queue[_Item], subject: str, item: _Item, delay_seconds: float
    ) -> None:
        # Redelivery waits in the background, as JetStream's does, so nak returns at once.
        self._in_flight[subject] -= 1
        task = asyncio.create_task(self._redeliver(queue, item, delay_seconds))
        self._redeliveries.add(task)
        task.add_done_callback(self._redeliveries.discard)

    @staticmethod
    async def _redeliver(queue: asyncio.Queue[_Item], item: _Item, delay_seconds: float) -> None:
        if delay_seconds > 0:
            await asyncio.sleep(delay_seconds)
        await queue.put(item)

    async def close(self) -> None:
        for task in list(self._redeliveries):
            task.cancel()

    async def backlog(self, subject: str, durable: str) -> int | None:
        queue = self._queues.get(subject, {}).get(durable)
        if queue is None:
            return None
        return queue.qsize() + self._in_flight.get(subject, 0)

    def pending(self, subject: str) -> int:
        """Messages waiting on a subject (all consumers), for tests and metrics."""
        total = sum(q.qsize() for q in self._queues.get(subject, {}).values())
        orphans = self._orphans.get(subject)
        return total + (orphans.qsize() if orphans else 0)

    def unfinished(self, subject: str) -> int:
        """Messages queued, fetched and not yet acknowledged, or waiting to be redelivered."""
        return self.pending(subject) + self._in_flight.get(subject, 0) + len(self._redeliveries)
