"""The in-process bus: bounded queues, JSON round-trip, redelivery on nak."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
from typing import Any

from slusha.bus.base import Bus, Message
from slusha.bus.codec import decode, encode


class MemoryBus(Bus):
    """One bounded queue per durable consumer; publishers wait when a queue is full."""

    def __init__(self, *, queue_size: int = 10_000) -> None:
        self.queue_size = queue_size
        self._queues: dict[str, dict[str, asyncio.Queue[tuple[bytes, str | None, int]]]] = {}
        self._orphans: dict[str, asyncio.Queue[tuple[bytes, str | None, int]]] = {}
        self._redeliveries: set[asyncio.Task[None]] = set()

    def _new_queue(self) -> asyncio.Queue[tuple[bytes, str | None, int]]:
        return asyncio.Queue(maxsize=self.queue_size)

    async def publish(
        self, subject: str, data: dict[str, Any], *, msg_id: str | None = None
    ) -> None:
        await self.publish_many(subject, [(data, msg_id)])

    async def publish_many(
        self, subject: str, items: Sequence[tuple[dict[str, Any], str | None]]
    ) -> None:
        # Serialise even in process: a body that would not survive NATS fails here too. Every
        # body is encoded before any is queued, so such a body fails the call with nothing
        # published. Queues take what fits without a wait per message.
        encoded = [(encode(data), msg_id, 1) for data, msg_id in items]
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
        return [
            Message(subject, decode(raw), msg_id, attempt, None, partial(self._nak, queue, raw,
                                                                        msg_id, attempt))
            for raw, msg_id, attempt in items
        ]  # fmt: skip

    async def _nak(
        self,
        queue: asyncio.Queue[tuple[bytes, str | None, int]],
        raw: bytes,
        msg_id: str | None,
        attempt: int,
        delay_seconds: float,
    ) -> None:
        # Redelivery waits in the background, as JetStream's does, so nak returns at once.
        task = asyncio.create_task(
            self._redeliver(queue, (raw, msg_id, attempt + 1), delay_seconds)
        )
        self._redeliveries.add(task)
        task.add_done_callback(self._redeliveries.discard)

    @staticmethod
    async def _redeliver(
        queue: asyncio.Queue[tuple[bytes, str | None, int]],
        item: tuple[bytes, str | None, int],
        delay_seconds: float,
    ) -> None:
        if delay_seconds > 0:
            await asyncio.sleep(delay_seconds)
        await queue.put(item)

    async def close(self) -> None:
        for task in list(self._redeliveries):
            task.cancel()

    def pending(self, subject: str) -> int:
        """Messages waiting on a subject (all consumers), for tests and metrics."""
        total = sum(q.qsize() for q in self._queues.get(subject, {}).values())
        orphans = self._orphans.get(subject)
        return total + (orphans.qsize() if orphans else 0)
