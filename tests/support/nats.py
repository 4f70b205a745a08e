"""Access to the real NATS JetStream server for tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from slusha.bus.base import Bus

NATS_URL = os.environ.get("SLUSHA_TEST_NATS_URL", "nats://127.0.0.1:4222")


def nats_reachable() -> bool:
    """True when something listens on the NATS port."""
    host_port = NATS_URL.split("//", 1)[-1]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 4222)), timeout=2):
            return True
    except OSError:
        return False


def require_nats() -> str:
    """The NATS URL, or skip (fail in CI) when no server is reachable."""
    if not nats_reachable():
        message = f"NATS JetStream at {NATS_URL} is not reachable"
        if os.environ.get("CI") == "true" or os.environ.get("SLUSHA_REQUIRE_NATS") == "1":
            pytest.fail(message + " (required in CI)")
        pytest.skip(message)
    return NATS_URL


def unique_prefix() -> str:
    """A stream prefix no other test uses."""
    return "T" + uuid.uuid4().hex[:10].upper()


async def delete_streams(url: str, prefix: str) -> None:
    """Remove the streams a test created."""
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    for name in (f"{prefix}_POSTS", f"{prefix}_EVENTS"):
        with contextlib.suppress(Exception):  # the stream may never have been created
            await js.delete_stream(name)
    await nc.close()
    await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def started_bus(kind: str, *, queue_size: int = 10_000) -> AsyncIterator[Bus]:
    """A started bus: ``memory`` (in-process) or ``jetstream`` (the real server, fresh streams
    deleted afterwards)."""
    from slusha.bus.base import open_bus

    if kind == "memory":
        url, prefix = "memory://", ""
        instance = open_bus(url, queue_size=queue_size)
    else:
        url, prefix = require_nats(), unique_prefix()
        instance = open_bus(url, stream_prefix=prefix)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.close()
        if prefix:
            await delete_streams(url, prefix)
