"""Fixtures for tests that talk to the origin server through the real outbound client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from slusha.plugins.addresses import AddressPolicy
from slusha.plugins.net import HttpClient, NetLimits
from slusha.plugins.transport import static_resolver
from tests.support.origin import Origin, serve_origin

# Names the tests' resolver knows: the origin looks like a public site under these names.
RESOLVER_TABLE = {
    "public.example.com": ["127.0.0.1"],
    "evil.example.com": ["127.0.0.2"],
    "mixed.example.com": ["127.0.0.1", "127.0.0.2"],
}
TEST_LIMITS = NetLimits(
    connect_timeout_seconds=2.0,
    read_timeout_seconds=2.0,
    total_timeout_seconds=2.5,
    backoff_base_seconds=0.01,
    max_retry_wait_seconds=1.0,
    max_feed_bytes=1024 * 1024,
    max_json_bytes=256 * 1024,
)


def make_client(**limits: float) -> HttpClient:
    """A client that may reach 127.0.0.1 only (not the rest of loopback) and knows test names."""
    base = TEST_LIMITS.__dict__ | limits
    return HttpClient(
        limits=NetLimits(**base),
        policy=AddressPolicy.build(allowed_networks=["127.0.0.1/32"]),
        resolver=static_resolver(RESOLVER_TABLE),
    )


@pytest.fixture
def origin() -> Iterator[Origin]:
    """A fresh scriptable origin on 127.0.0.1 (and 127.0.0.2)."""
    with serve_origin() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    """The real outbound client, allowed to reach 127.0.0.1 only."""
    client = make_client()
    yield client
    await client.aclose()
