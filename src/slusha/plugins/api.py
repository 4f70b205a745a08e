"""THE extension API: what a connector or a notifier is, and what it gets to work with.

A plugin is a class that declares itself with class attributes (``kind``, ``title``, ``summary``,
``description``, ``Config``, ``capabilities``) and implements a few async methods. It receives a
validated config, a cursor and a ``PluginContext``, and returns data; it never touches the
database or the bus; the pipeline persists what it returns.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr

from slusha.clock import Clock
from slusha.domain.post import Post
from slusha.errors import PermanentError
from slusha.plugins.net import HttpClient

Cursor = dict[str, Any]
"""Where a source stopped: a JSON-serialisable dict owned by the connector."""

CAPABILITIES: frozenset[str] = frozenset({"poll", "stream", "webhook", "reply", "search"})


class PluginConfig(BaseModel):
    """Base of every plugin's ``Config``: unknown keys are refused, values are checked."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def secret_fields(config_model: type[BaseModel]) -> list[str]:
    """Names of the config fields marked secret (encrypted at rest, masked on display)."""
    names = []
    for name, info in config_model.model_fields.items():
        extra = info.json_schema_extra
        if info.annotation is SecretStr or (isinstance(extra, dict) and extra.get("secret")):
            names.append(name)
    return names


def reveal(value: SecretStr | str | None) -> str:
    """The clear text of a secret config value ('' when unset)."""
    if value is None:
        return ""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


@dataclass
class FetchResult:
    """What one poll returns: posts, the next cursor, deletions, and a hint for the next check."""

    posts: list[Post]
    cursor: Cursor
    deleted_ids: list[str] = field(default_factory=list)
    next_check_seconds: float | None = None


@dataclass
class StreamBatch:
    """What a streaming connector yields: posts (and deletions) up to ``cursor``."""

    posts: list[Post]
    cursor: Cursor
    deleted_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReplyResult:
    """A reply published on the network: its id there and its public link."""

    external_id: str
    url: str | None = None


@dataclass(frozen=True)
class HealthReport:
    """The outcome of ``test``: reachable and authorised, or the classified reason why not."""

    ok: bool
    message: str
    code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PluginLimits:
    """Limits from the settings that plugins honour."""

    backfill_max_posts: int = 200
    page_size: int = 100
    max_pages_per_fetch: int = 10


@dataclass
class PluginContext:
    """What a plugin works with: the outbound client, the clock, a logger and limits."""

    http: HttpClient
    clock: Clock
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = field(
        default_factory=lambda: logging.getLogger("slusha.plugins")
    )
    limits: PluginLimits = field(default_factory=PluginLimits)
    source_name: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    """Process-wide scratch space shared by a scheduler's checks (OAuth tokens); never stored."""


class Connector:
    """Base class of every connector; subclasses declare the class attributes and override."""

    kind: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    description: ClassVar[str]
    Config: ClassVar[type[BaseModel]]
    capabilities: ClassVar[frozenset[str]]
    default_interval_seconds: ClassVar[int] = 300
    network: ClassVar[str | None] = None
    """The post-format ``network`` of the posts it produces (defaults to ``kind``)."""

    def post_network(self) -> str:
        """The ``network`` value of this connector's posts."""
        return self.network or self.kind

    async def fetch(self, ctx: PluginContext, config: Any, cursor: Cursor | None) -> FetchResult:
        """Poll once from ``cursor``: new or changed posts, the next cursor, deletions."""
        raise PermanentError(f"the {self.kind} connector cannot poll", code="config")

    def stream(
        self, ctx: PluginContext, config: Any, cursor: Cursor | None
    ) -> AsyncGenerator[StreamBatch, None]:
        """Listen continuously from ``cursor``, yielding batches; raise to be reconnected."""
        raise PermanentError(f"the {self.kind} connector cannot stream", code="config")

    def uses_stream(self, config: Any) -> bool:
        """True when this source should run as a stream rather than be polled."""
        return False

    async def search(
        self,
        ctx: PluginContext,
        config: Any,
        terms: Sequence[str],
        since: datetime | None,
        limit: int,
    ) -> list[Post]:
        """Recent posts matching any of ``terms`` (backfill), newest first, at most ``limit``."""
        raise PermanentError(f"the {self.kind} connector cannot search", code="config")

    async def reply(
        self, ctx: PluginContext, config: Any, post: Post, text: str, idempotency_key: str
    ) -> ReplyResult:
        """Publish ``text`` as a reply to ``post``; the same key never publishes twice."""
        raise PermanentError(f"the {self.kind} connector cannot reply", code="config")

    async def test(self, ctx: PluginContext, config: Any) -> HealthReport:
        """Check reachability and credentials without changing anything."""
        return HealthReport(ok=True, message="nothing to check")

    def urls(self, config: Any) -> list[str]:
        """The user-given URLs in ``config`` (checked by the SSRF guard when a source is added)."""
        return [
            value
            for value in config.model_dump(mode="json").values()
            if isinstance(value, str) and value.startswith(("http://", "https://"))
        ]


DELIVERY_HEADER = "X-Slusha-Delivery"


class Notifier:
    """Base class of every notifier (e-mail, chat, webhook ...)."""

    kind: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    description: ClassVar[str] = ""
    Config: ClassVar[type[BaseModel]]

    async def send(
        self,
        ctx: PluginContext,
        config: Any,
        alert: Mapping[str, Any],
        *,
        delivery_id: str | None = None,
    ) -> None:
        """Deliver one alert; raise ``TransientError`` to be retried.

        ``delivery_id`` (the alert's id) is the same on every attempt and resumption of one
        delivery: send it along (Slusha's channels use the ``X-Slusha-Delivery`` header) so
        that a receiver can drop repeats.
        """
        raise NotImplementedError

    async def test(self, ctx: PluginContext, config: Any) -> HealthReport:
        """Check the destination without sending a real alert."""
        return HealthReport(ok=True, message="nothing to check")


@dataclass(frozen=True)
class IngestKey:
    """The credentials of one enabled webhook source (decrypted), as the ingest router needs.

    ``language`` is the source's language (ISO 639-1), sent on with its posts as a hint.
    """

    source_id: int
    source_name: str
    signing_secret: str | None = None
    api_token: str | None = None
    max_body_bytes: int = 1024 * 1024
    replay_window_seconds: int = 300
    language: str | None = None
