"""Fixtures shared by the pipeline tests: both buses, an HTTP client, scheduler settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support.alerting import Stack, alert_settings, start_stack
from tests.support.builders import organisation
from tests.support.nats import started_bus
from tests.support.net_fixtures import make_client
from tests.support.plugins import ScriptedConnector

from slusha.bus import Bus
from slusha.clock import FrozenClock
from slusha.config import Settings, load_settings
from slusha.plugins.net import HttpClient
from slusha.plugins.registry import Registry, build_registry
from slusha.store.db import Database


@pytest.fixture(params=["memory", "jetstream"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    """The in-process bus, then JetStream on the real NATS server (fresh streams)."""
    async with started_bus(request.param) as instance:
        yield instance


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    """The connectors' HTTP client."""
    client = make_client()
    yield client
    await client.aclose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh SQLite file, with a secret key (sources may hold secrets)."""
    return load_settings(environ={}, database_url=f"sqlite:///{tmp_path / 't.db'}",
                         secret_key="test-secret-key")  # fmt: skip


@pytest.fixture
def registry() -> Registry:
    """The built-in connectors and the scripted test connector."""
    return build_registry(include_entry_points=False, extra_connectors=[ScriptedConnector])


@pytest.fixture
async def stack(db: Database, clock: FrozenClock) -> AsyncIterator[Stack]:
    """The demo-free organisation, and a started worker and alerter on the memory bus."""
    organisation(db, clock=clock)
    running = await start_stack(db, clock, alert_settings(db))
    yield running
    await running.close()
