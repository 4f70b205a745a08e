"""Real receivers on 127.0.0.1: the scriptable origin (HTTP), an aiosmtpd server, a TLS port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slusha.clock import FrozenClock
from slusha.plugins.api import PluginContext
from slusha.plugins.net import HttpClient
from tests.notifiers.tls import SelfSigned, make_self_signed
from tests.support.net_fixtures import make_client, origin

__all__ = ["origin"]

NOW = datetime(2026, 10, 26, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> SelfSigned:
    """A self-signed certificate for 127.0.0.1."""
    return make_self_signed(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    """The real outbound client (SSRF guard on), allowed to reach 127.0.0.1, short timeouts."""
    client = make_client(read_timeout_seconds=0.5, total_timeout_seconds=0.8)
    yield client
    await client.aclose()


@pytest.fixture
def ctx(http: HttpClient, clock: FrozenClock) -> PluginContext:
    return PluginContext(http=http, clock=clock)


def free_port() -> int:
    """A port nobody listens on (bound and released; the tests use it right away)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    return free_port()


@pytest.fixture
async def tls_port(cert: SelfSigned) -> AsyncIterator[int]:
    """A TLS server whose certificate clients do not trust: every handshake fails."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    # The server side of a refused handshake is expected noise, not a test failure.
    loop.set_exception_handler(lambda _loop, _context: None)
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=cert.server_context())
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
        loop.set_exception_handler(previous)
