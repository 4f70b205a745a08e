"""Which bus a URL names: built here, so the interface knows none of its implementations."""

from __future__ import annotations

from slusha.bus.base import Bus


def open_bus(url: str, *, queue_size: int = 10_000, stream_prefix: str = "SLUSHA") -> Bus:
    """The bus for a ``SLUSHA_BUS_URL``: ``memory://`` or ``nats://HOST:PORT``."""
    if url.startswith("memory:"):
        from slusha.bus.memory import MemoryBus

        return MemoryBus(queue_size=queue_size)
    from slusha.bus.jetstream import JetStreamBus  # loaded lazily: only this imports nats

    return JetStreamBus(url, stream_prefix=stream_prefix)
