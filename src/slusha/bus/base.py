"""The bus interface: publish JSON bodies, pull batches, ack after the handler committed."""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Message:
    """One delivered message. Call ``ack`` after its effects are committed."""

    subject: str
    data: dict[str, Any]
    msg_id: str | None = None
    attempt: int = 1
    _ack: Any = field(default=None, repr=False)
    _nak: Any = field(default=None, repr=False)
    _progress: Any = field(default=None, repr=False)

    async def ack(self) -> None:
        """Done: the message will not be delivered again."""
        if self._ack is not None:
            await self._ack()

    async def nak(self, delay_seconds: float = 0.0) -> None:
        """Failed: deliver it again later."""
        if self._nak is not None:
            await self._nak(delay_seconds)

    async def in_progress(self) -> None:
        """Still working on it: the bus must not hand it to another consumer yet."""
        if self._progress is not None:
            await self._progress()


@contextlib.asynccontextmanager
async def kept_alive(
    messages: Sequence[Message], every_seconds: float | None
) -> AsyncIterator[None]:
    """While the block runs, tell the bus every ``every_seconds`` that the messages are in work.

    With JetStream this is what lets the ack wait be short (a dead worker's messages move on
    within seconds) while a slow batch of a live worker is not handed out twice.
    """
    if not every_seconds or not messages:
        yield
        return

    async def beat() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            for message in messages:
                with contextlib.suppress(Exception):  # best effort: a lost beat costs a repeat
                    await message.in_progress()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Bus(abc.ABC):
    """Where raw posts and events travel. Both implementations round-trip JSON."""

    max_deliveries = 5
    progress_seconds: float | None = None  # how often consumers report work in progress

    async def start(self) -> None:
        """Connect and create what the bus needs (streams, queues)."""

    async def close(self) -> None:
        """Flush pending publishes and disconnect."""

    @abc.abstractmethod
    async def publish(
        self, subject: str, data: dict[str, Any], *, msg_id: str | None = None
    ) -> None:
        """Publish one body; returns when the bus has it (back-pressure when full)."""

    async def publish_many(
        self, subject: str, items: Sequence[tuple[dict[str, Any], str | None]]
    ) -> None:
        """Publish many bodies; implementations batch the acknowledgements."""
        for data, msg_id in items:
            await self.publish(subject, data, msg_id=msg_id)

    async def publish_confirmed(
        self,
        subject: str,
        items: Sequence[tuple[dict[str, Any], str | None]],
        *,
        timeout_seconds: float,
    ) -> None:
        """Publish and return only once the bodies survive a crash of this process.

        JetStream has them once its stream acknowledged them (file storage), which
        ``publish_many`` already waits for. The memory bus waits until its consumers have
        acknowledged them, i.e. stored them. Raises ``TransientError`` after
        ``timeout_seconds``; what was published may still be handled later (receivers are
        idempotent), so the sender may simply send again.
        """
        await self.publish_many(subject, items)

    async def backlog(self, subject: str, durable: str) -> int | None:
        """Messages a consumer has not acknowledged yet (None when it does not exist)."""
        return None

    async def ack_all(self, messages: Sequence[Message]) -> None:
        """Acknowledge a batch (the memory bus does it without a round through the loop each)."""
        for message in messages:
            await message.ack()

    def unfinished(self, subject: str) -> int:
        """Messages of ``subject`` this process still holds (0 where the bus keeps them)."""
        return 0

    @abc.abstractmethod
    async def subscribe(self, subject: str, durable: str) -> None:
        """Declare a durable consumer so that messages published from now on are kept for it."""

    @abc.abstractmethod
    async def fetch(
        self, subject: str, durable: str, *, batch: int, timeout_seconds: float
    ) -> list[Message]:
        """Pull up to ``batch`` messages, waiting at most ``timeout_seconds`` for the first."""
