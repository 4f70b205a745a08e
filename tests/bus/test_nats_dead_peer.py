"""A worker that dies holding messages: the others go on at once and get its messages in seconds.

Before: the consumer allowed 1,000 unacknowledged messages and waited 60 s for each, so one
worker killed with a batch in hand stopped every worker for about 50 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from tests.support.nats import delete_streams, require_nats, unique_prefix

from slusha.bus.base import Message, kept_alive
from slusha.bus.jetstream import JetStreamBus

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]
ACK_WAIT = 2.0


@pytest.fixture
async def buses() -> AsyncIterator[tuple[JetStreamBus, JetStreamBus]]:
    url, prefix = require_nats(), unique_prefix()
    first = JetStreamBus(url, stream_prefix=prefix, ack_wait_seconds=ACK_WAIT)
    second = JetStreamBus(url, stream_prefix=prefix, ack_wait_seconds=ACK_WAIT)
    await first.start()
    await second.start()
    yield first, second
    await first.close()  # closing twice is fine: the dead worker's test closed it already
    await second.close()
    await delete_streams(url, prefix)


async def _take(bus: JetStreamBus, want: int, *, within: float) -> list[Message]:
    got: list[Message] = []
    deadline = time.monotonic() + within
    while len(got) < want and time.monotonic() < deadline:
        got += await bus.fetch("posts.raw", "pipeline", batch=want - len(got), timeout_seconds=0.5)
    return got


async def test_a_dead_workers_messages_move_on_and_nobody_waits(
    buses: tuple[JetStreamBus, JetStreamBus],
) -> None:
    dead, alive = buses
    await dead.subscribe("posts.raw", "pipeline")
    await dead.publish_many("posts.raw", [({"n": i}, f"m:{i}") for i in range(1500)])
    held = await _take(dead, 1200, within=10)
    assert len(held) == 1200
    await dead.close()  # killed: nothing acknowledged
    started = time.monotonic()
    rest = await _take(alive, 300, within=5)
    assert len(rest) == 300 and time.monotonic() - started < 2  # not blocked by the dead one
    for message in rest:
        await message.ack()
    again = await _take(alive, 1200, within=ACK_WAIT * 5)
    assert sorted(m.data["n"] for m in again) == sorted(m.data["n"] for m in held)
    assert all(m.attempt == 2 for m in again)
    assert time.monotonic() - started < ACK_WAIT * 4


async def test_a_slow_live_worker_keeps_its_messages(
    buses: tuple[JetStreamBus, JetStreamBus],
) -> None:
    slow, other = buses
    await slow.subscribe("posts.raw", "pipeline")
    await slow.publish_many("posts.raw", [({"n": i}, f"s:{i}") for i in range(50)])
    held = await _take(slow, 50, within=5)
    async with kept_alive(held, slow.progress_seconds):
        await asyncio.sleep(ACK_WAIT * 2.5)  # longer than the ack wait
        assert await other.fetch("posts.raw", "pipeline", batch=50, timeout_seconds=0.5) == []
    for message in held:
        await message.ack()
