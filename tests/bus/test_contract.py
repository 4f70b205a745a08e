"""The same contract for both buses: the in-memory one and NATS JetStream (real server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tests.support.nats import delete_streams, require_nats, started_bus, unique_prefix

from slusha.bus import Bus, open_bus
from slusha.bus.memory import MemoryBus
from slusha.errors import TransientError


@pytest.fixture(params=["memory", "jetstream"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    async with started_bus(request.param, queue_size=1000) as instance:
        yield instance


async def _drain(bus: Bus, subject: str, durable: str, want: int) -> list[dict]:
    got: list[dict] = []
    for _ in range(20):
        messages = await bus.fetch(subject, durable, batch=100, timeout_seconds=0.5)
        for message in messages:
            got.append(message.data)
            await message.ack()
        if len(got) >= want:
            break
    return got


async def test_round_trips_json_bodies(bus: Bus) -> None:
    await bus.subscribe("posts.raw", "w")
    body = {"v": 1, "post": {"text": "Скопје 🎉", "n": 3, "nested": [1, {"a": None}]}}
    await bus.publish("posts.raw", body, msg_id="x:1")
    got = await _drain(bus, "posts.raw", "w", 1)
    assert got == [body]


async def test_publish_many_delivers_all_in_order(bus: Bus) -> None:
    await bus.subscribe("posts.raw", "w")
    await bus.publish_many("posts.raw", [({"v": 1, "n": i}, f"x:{i}") for i in range(250)])
    got = await _drain(bus, "posts.raw", "w", 250)
    assert [g["n"] for g in got] == list(range(250))


async def test_unacked_message_is_delivered_again_after_nak(bus: Bus) -> None:
    await bus.subscribe("posts.raw", "w")
    await bus.publish("posts.raw", {"v": 1, "n": 1}, msg_id="x:1")
    first = await bus.fetch("posts.raw", "w", batch=10, timeout_seconds=2)
    assert len(first) == 1 and first[0].attempt == 1
    await first[0].nak()
    second = await bus.fetch("posts.raw", "w", batch=10, timeout_seconds=3)
    assert [m.data["n"] for m in second] == [1]
    assert second[0].attempt == 2
    await second[0].ack()
    assert await bus.fetch("posts.raw", "w", batch=10, timeout_seconds=0.3) == []


async def test_each_durable_consumer_gets_every_event(bus: Bus) -> None:
    await bus.subscribe("events", "alerts")
    await bus.subscribe("events", "web")
    await bus.publish("events", {"v": 1, "id": 7}, msg_id="event:7")
    assert await _drain(bus, "events", "alerts", 1) == [{"v": 1, "id": 7}]
    assert await _drain(bus, "events", "web", 1) == [{"v": 1, "id": 7}]


async def test_body_that_is_not_json_is_refused_before_it_travels(bus: Bus) -> None:
    with pytest.raises(TypeError):
        await bus.publish("posts.raw", {"v": 1, "when": object()})


async def test_memory_bus_publishers_wait_when_the_queue_is_full() -> None:
    bus = MemoryBus(queue_size=3)
    await bus.subscribe("posts.raw", "w")
    for i in range(3):
        await bus.publish("posts.raw", {"n": i})
    blocked = asyncio.create_task(bus.publish("posts.raw", {"n": 3}))
    await asyncio.sleep(0.05)
    assert not blocked.done()  # back-pressure: the fourth publish waits for room
    messages = await bus.fetch("posts.raw", "w", batch=1, timeout_seconds=1)
    await messages[0].ack()
    await asyncio.wait_for(blocked, 1)
    assert bus.pending("posts.raw") == 3


async def test_memory_bus_keeps_messages_published_before_the_consumer_exists() -> None:
    bus = MemoryBus()
    await bus.publish("posts.raw", {"n": 1})
    messages = await bus.fetch("posts.raw", "late", batch=10, timeout_seconds=1)
    assert [m.data for m in messages] == [{"n": 1}]


async def test_jetstream_drops_a_second_publish_with_the_same_msg_id() -> None:
    url = require_nats()
    prefix = unique_prefix()
    bus = open_bus(url, stream_prefix=prefix)
    await bus.start()
    try:
        await bus.subscribe("posts.raw", "w")
        items = [({"v": 1, "n": 1}, "mastodon:1"), ({"v": 1, "n": 2}, "mastodon:2")]
        await bus.publish_many("posts.raw", items)
        await bus.publish_many("posts.raw", items)  # a connector retried after a crash
        got = await _drain(bus, "posts.raw", "w", 2)
        assert [g["n"] for g in got] == [1, 2]
        assert await bus.fetch("posts.raw", "w", batch=10, timeout_seconds=0.3) == []
    finally:
        await bus.close()
        await delete_streams(url, prefix)


async def test_two_workers_share_one_durable_consumer() -> None:
    url = require_nats()
    prefix = unique_prefix()
    first, second = open_bus(url, stream_prefix=prefix), open_bus(url, stream_prefix=prefix)
    await first.start()
    await second.start()
    try:
        await first.subscribe("posts.raw", "pipeline")
        await second.subscribe("posts.raw", "pipeline")
        await first.publish_many("posts.raw", [({"n": i}, f"x:{i}") for i in range(100)])
        seen: list[int] = []
        for _ in range(20):
            for bus in (first, second):
                for message in await bus.fetch(
                    "posts.raw", "pipeline", batch=10, timeout_seconds=0.2
                ):
                    seen.append(message.data["n"])
                    await message.ack()
            if len(seen) >= 100:
                break
        assert sorted(seen) == list(range(100))  # every message once, shared between workers
    finally:
        await first.close()
        await second.close()
        await delete_streams(url, prefix)


async def test_nats_down_at_start_is_a_clear_transient_error() -> None:
    bus = open_bus("nats://127.0.0.1:1", stream_prefix="DOWN")
    with pytest.raises(TransientError) as info:
        await bus.start()
    assert "cannot reach the NATS server" in str(info.value)
    assert "SLUSHA_BUS_URL" in str(info.value)


async def test_a_confirmed_publish_returns_once_the_consumer_acknowledged(bus: Bus) -> None:
    await bus.subscribe("posts.raw", "w")
    publishing = asyncio.create_task(
        bus.publish_confirmed(
            "posts.raw", [({"v": 1, "n": i}, f"c:{i}") for i in range(3)], timeout_seconds=10
        )
    )
    messages: list = []
    for _ in range(20):
        messages += await bus.fetch("posts.raw", "w", batch=10, timeout_seconds=0.3)
        if len(messages) == 3:
            break
    assert len(messages) == 3
    if isinstance(bus, MemoryBus):
        # In process, "safe" means handled: the publisher still waits for the consumer.
        await asyncio.sleep(0.1)
        assert not publishing.done() and bus.unfinished("posts.raw") == 3
        await messages[0].nak()  # a redelivery keeps the publisher waiting
        (again,) = await bus.fetch("posts.raw", "w", batch=10, timeout_seconds=2)
        messages = [again, *messages[1:]]
        assert not publishing.done()
    for message in messages:
        await message.ack()
    await asyncio.wait_for(publishing, 5)  # JetStream: returned once the stream had them
    assert bus.unfinished("posts.raw") == 0


async def test_a_confirmed_publish_nobody_handles_times_out_with_a_clear_error() -> None:
    bus = MemoryBus()
    await bus.subscribe("posts.raw", "w")
    with pytest.raises(TransientError) as info:
        await bus.publish_confirmed("posts.raw", [({"v": 1}, "x:1")], timeout_seconds=0.2)
    assert info.value.code == "bus_busy" and "Send them again later" in str(info.value)
    assert bus.pending("posts.raw") == 1  # still queued: it is stored if a worker comes


async def test_a_confirmed_publish_without_any_consumer_fails_at_once() -> None:
    bus = MemoryBus()  # e.g. 'slusha serve --role web' on the memory bus: no worker anywhere
    with pytest.raises(TransientError) as info:
        await bus.publish_confirmed("posts.raw", [({"v": 1}, "x:1")], timeout_seconds=60)
    assert info.value.code == "bus_no_consumer"
