"""The plugin host: the one place that runs connectors and notifiers.

It is built once per process by the composition root (the CLI command, the web app, the
pipeline's runtime) and handed to web, pipeline and services. It holds the plugin registry,
the outbound HTTP client (with the operator's private-network policy) and the settings the
plugins' context is made from, and it runs every plugin call: a connector's ``fetch``,
``stream``, ``search``, ``reply``, ``receive`` and ``test``, a notifier's ``send`` and ``test``.
Nothing else in Slusha imports ``slusha.connectors`` or ``slusha.notifiers``; the registry
finds them by name.
"""

from __future__ import annotations

import asyncio
import logging
import secrets as secrets_module
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slusha.clock import Clock
from slusha.config import Settings
from slusha.domain.post import Post
from slusha.plugins.addresses import AddressPolicy
from slusha.plugins.api import (
    Admission,
    Connector,
    FetchResult,
    HealthReport,
    IngestKey,
    Notifier,
    PluginContext,
    PluginLimits,
    Received,
    ReplyResult,
    StreamBatch,
)
from slusha.plugins.delivery import DeliveryResult, RetryPolicy, deliver
from slusha.plugins.net import HttpClient, NetLimits
from slusha.plugins.registry import Registry, build_registry
from slusha.plugins.transport import Resolver


def smtp_values(settings: Settings) -> dict[str, Any] | None:
    """The mail server from the settings, as the e-mail notifier's ``smtp`` values."""
    if not settings.smtp_host:
        return None
    security = "tls" if settings.smtp_tls else "starttls" if settings.smtp_starttls else "none"
    return {
        "host": settings.smtp_host,
        "port": settings.smtp_port,
        "security": security,
        "username": settings.smtp_username,
        "password": settings.smtp_password.get_secret_value() or None,
        "from_address": settings.smtp_from or f"slusha@{settings.smtp_host}",
    }


@dataclass
class LoadedSource:
    """A source ready to run: its connector and validated config (secrets decrypted).

    ``language`` is the language its posts are written in, when the source names one.
    """

    id: int
    name: str
    kind: str
    connector: Connector
    config: Any
    cursor: dict[str, Any] | None
    interval_seconds: int
    language: str | None = None


class PluginHost:
    """Registry, outbound client and context, and every call into a plugin."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        registry: Registry | None = None,
        http: HttpClient | None = None,
        resolver: Resolver | None = None,
        allowed_networks: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.registry = registry if registry is not None else build_registry()
        self._http = http
        self._http_loop: asyncio.AbstractEventLoop | None = _running_loop()
        self._keepers: list[AsyncGenerator[None, None]] = []
        self._own_http = http is None
        self._resolver = resolver
        self._allowed = tuple(allowed_networks)
        self._notifiers: dict[str, Notifier] = {}
        self._receivers: dict[str, Connector] = {}
        self._cache: dict[str, Any] = {}

    # -- the outbound client and the context -----------------------------------------------

    def _new_http_client(self) -> HttpClient:
        """An outbound client with the operator's private-network policy and timeout."""
        policy = AddressPolicy.build(
            allow_private_networks=self.settings.allow_private_networks,
            allowed_networks=self._allowed,
        )
        limits = NetLimits(total_timeout_seconds=self.settings.http_timeout_seconds)
        return HttpClient(limits=limits, policy=policy, resolver=self._resolver)

    @property
    def http(self) -> HttpClient:
        """The process's outbound client (made on first use: a host that only lists plugins
        opens no connection pool).

        A connection pool belongs to the event loop that opened it: when the host is used from
        another loop (a step run with its own ``asyncio.run``, a test client's request), that
        loop gets a client of its own, closed when that loop shuts down."""
        if not self._own_http:
            assert self._http is not None
            return self._http
        loop = _running_loop()
        if self._http is not None and self._http_loop is None and loop is not None:
            self._http_loop = loop  # made before any loop ran: this loop adopts it
            self._close_with(loop, self._http)
        elif self._http is None or (loop is not None and loop is not self._http_loop):
            # (Outside any loop, e.g. in a worker thread, the current client is used as is.)
            self._http = self._new_http_client()
            self._http_loop = loop
            if loop is not None:
                self._close_with(loop, self._http)
        return self._http

    def _close_with(self, loop: asyncio.AbstractEventLoop, client: HttpClient) -> None:
        """Close ``client`` when ``loop`` shuts down: the loop finalises its suspended async
        generators then (``asyncio.run`` and every runner call ``shutdown_asyncgens``)."""

        async def keeper() -> AsyncGenerator[None, None]:
            try:
                yield
            finally:
                await client.aclose()

        generator = keeper()
        # Held, so that only the loop's shutdown finalises it; finished ones are let go.
        self._keepers = [g for g in self._keepers if getattr(g, "ag_frame", None) is not None]
        self._keepers.append(generator)
        loop.create_task(_first_step(generator))

    def context(self, source_name: str | None = None) -> PluginContext:
        """The context a plugin runs with, its limits taken from the settings.

        Its ``cache`` is shared by every call of this host (OAuth tokens, never stored)."""
        return PluginContext(
            http=self.http,
            clock=self.clock,
            logger=logging.getLogger(f"slusha.connectors.{source_name or 'any'}"),
            limits=PluginLimits(backfill_max_posts=self.settings.backfill_max_posts),
            source_name=source_name,
            cache=self._cache,
        )

    async def aclose(self) -> None:
        """Close the outbound client (when the host made it)."""
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None
            self._keepers.clear()

    async def __aenter__(self) -> PluginHost:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- connectors -------------------------------------------------------------------------

    def connector(self, kind: str) -> Connector:
        """A connector for ``kind`` (``NotFound`` naming the known kinds)."""
        return self.registry.connector(kind)

    async def fetch(self, source: LoadedSource) -> FetchResult:
        """Poll ``source`` once from its cursor."""
        return await source.connector.fetch(self.context(source.name), source.config, source.cursor)

    def stream(self, source: LoadedSource) -> AsyncGenerator[StreamBatch, None]:
        """Listen to ``source`` from its cursor."""
        return source.connector.stream(self.context(source.name), source.config, source.cursor)

    async def search(
        self, source: LoadedSource, terms: Sequence[str], since: datetime | None, limit: int
    ) -> list[Post]:
        """Recent posts of ``source`` matching any of ``terms``."""
        return await source.connector.search(
            self.context(source.name), source.config, terms, since, limit
        )

    async def reply(
        self, source: LoadedSource, post: Post, text: str, idempotency_key: str
    ) -> ReplyResult:
        """Publish ``text`` as a reply to ``post`` from ``source``."""
        return await source.connector.reply(
            self.context(source.name), source.config, post, text, idempotency_key
        )

    async def test_connector(self, connector: Connector, config: Any) -> HealthReport:
        """Check a source's reachability and credentials without changing anything."""
        return await connector.test(self.context(), config)

    def receiver(self, kind: str) -> Connector:
        """The connector instance that receives ``kind``'s pushes (one per host: it keeps the
        state that spans requests, such as the signatures already seen)."""
        found = self._receivers.get(kind)
        if found is None:
            found = self._receivers[kind] = self.registry.connector(kind)
        return found

    def receives(self, kind: str) -> bool:
        """True when ``kind`` is a connector that receives pushes."""
        cls = self.registry.connectors.get(kind)
        return cls is not None and "webhook" in cls.capabilities

    def admit(
        self, kind: str, keys: Sequence[IngestKey], headers: Mapping[str, str], *, now: float
    ) -> Admission:
        """Check a pushed request's headers (lower-case names) before its body is read."""
        return self.receiver(kind).admit(self.context(), keys, headers, now=now)

    def receive(
        self,
        kind: str,
        admission: Admission,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float,
    ) -> Received:
        """Authenticate and parse one pushed request for a ``kind`` source."""
        return self.receiver(kind).receive(self.context(), admission, headers, body, now=now)

    def release(self, kind: str, received: Received) -> None:
        """The request was not taken (the pipeline could not store it): it may come again."""
        self.receiver(kind).release(received)

    # -- notifiers --------------------------------------------------------------------------

    @property
    def smtp_configured(self) -> bool:
        """True when e-mail channels have a server to send through."""
        return bool(self.settings.smtp_host)

    def notifier(self, kind: str) -> Notifier:
        """The notifier for ``kind`` (one per host; e-mail gets the server's SMTP settings)."""
        found = self._notifiers.get(kind)
        if found is None:
            cls = self.registry.notifiers.get(kind)
            if cls is None:
                return self.registry.notifier(kind)  # raises NotFound naming the known kinds
            found = self._notifiers[kind] = cls.from_settings({"smtp": smtp_values(self.settings)})
        return found

    async def send(
        self,
        kind: str,
        config: Any,
        alert: Mapping[str, Any],
        *,
        delivery_id: str,
        policy: RetryPolicy | None = None,
        **options: Any,
    ) -> DeliveryResult:
        """Deliver ``alert`` through ``kind`` with retries; never raises (cancellation aside)."""
        return await deliver(
            self.notifier(kind),
            self.context("alerts"),
            config,
            alert,
            policy=policy,
            delivery_id=delivery_id,
            **options,
        )


async def _first_step(generator: AsyncGenerator[None, None]) -> None:
    await generator.__anext__()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def new_secret(prefix: str = "whsec_") -> str:
    """A new random secret (a webhook's signing secret, shown to the user once)."""
    return prefix + secrets_module.token_urlsafe(32)
