"""Access to the real NATS JetStream server for tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
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
    from slusha.bus.factory import open_bus

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


NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnNats:
    """A private nats-server process that the test can stop and start again."""

    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
