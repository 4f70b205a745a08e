"""THE extension API: what a connector or a notifier is, and what it gets to work with.

A plugin is a class that declares itself with class attributes (``kind``, ``title``, ``summary``,
``description``, ``Config``, ``capabilities``) and implements a few async methods. It receives a
validated config, a cursor and a ``PluginContext``, and returns data; it never touches the
database or the bus; the pipeline persists what it returns.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from slusha.clock import Clock
from slusha.domain.post import Post
from slusha.errors import InputError, PermanentError
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


@dataclass(frozen=True)
class IngestKey:
    """The credentials of one enabled source that receives pushes (decrypted).

    ``language`` is the source's language (ISO 639-1), sent on with its posts as a hint.
    """

    source_id: int
    source_name: str
    signing_secret: str | None = None
    api_token: str | None = None
    max_body_bytes: int = 1024 * 1024
    replay_window_seconds: int = 300
    language: str | None = None
    config: Any = None
    """The source's validated config, for connectors whose credentials have other names."""


class ReceiveRefused(Exception):
    """A pushed request refused before or while it is read: the HTTP status and why."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Admission:
    """What the headers of a pushed request allow before its body is read.

    ``keys``: the sources it may belong to; ``max_body_bytes``: the largest body to read;
    ``authenticated``: the headers alone proved who sends it (a token), so the body may be
    read at once; otherwise (a signature over the body) reads are rationed.
    """

    keys: tuple[IngestKey, ...]
    max_body_bytes: int
    authenticated: bool


@dataclass
class Received:
    """A pushed request authenticated and parsed: its source, posts and rejected items.

    ``replay_token`` names the request for the connector's replay check; handing it back to
    ``release`` lets the very same request in again (it was not taken, the sender resends).
    """

    key: IngestKey
    posts: list[Post]
    rejected: list[dict[str, Any]] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    replay_token: str | None = None


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

    def ingest_key(
        self, config: Any, *, source_id: int, source_name: str, language: str | None
    ) -> IngestKey:
        """The credentials of one source that receives pushes, as ``admit`` reads them."""
        return IngestKey(source_id, source_name, language=language, config=config)

    def admit(
        self,
        ctx: PluginContext,
        keys: Sequence[IngestKey],
        headers: Mapping[str, str],
        *,
        now: float,
    ) -> Admission:
        """Check a pushed request's credentials as far as the headers allow, before its body
        is read (headers have lower-case names); raise ``ReceiveRefused`` to refuse it."""
        raise ReceiveRefused(404, f"the {self.kind} connector does not receive pushes")

    def receive(
        self,
        ctx: PluginContext,
        admission: Admission,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float,
    ) -> Received:
        """Authenticate the whole request and parse its posts; raise ``ReceiveRefused``."""
        raise ReceiveRefused(404, f"the {self.kind} connector does not receive pushes")

    def release(self, received: Received) -> None:
        """Forget a received request that was not taken, so that its sender may resend it."""

    def urls(self, config: Any) -> list[str]:
        """The user-given URLs in ``config`` (checked by the SSRF guard when a source is added)."""
        return [
            value
            for value in config.model_dump(mode="json").values()
            if isinstance(value, str) and value.startswith(("http://", "https://"))
        ]


DELIVERY_HEADER = "X-Slusha-Delivery"


@dataclass(frozen=True)
class InlineImage:
    """A PNG shown inside an HTML message, referenced as ``cid:<content_id>``."""

    content_id: str
    png: bytes
    alt: str = "chart"


class Notifier:
    """Base class of every notifier (e-mail, chat, webhook ...)."""

    kind: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    description: ClassVar[str] = ""
    Config: ClassVar[type[BaseModel]]
    target_hint: ClassVar[str] = "URL"
    """How the target of ``KIND:TARGET`` reads (``slusha alerts add --channel``)."""

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> Notifier:
        """An instance for this server; ``values`` holds server settings (``smtp``)."""
        return cls()

    @classmethod
    def parse_target(cls, target: str, *, new_secret: Callable[[], str]) -> BaseModel:
        """The channel config of ``KIND:TARGET``: by default ``{"url": TARGET}``.

        ``new_secret`` makes a signing secret, for channels that sign what they send."""
        return cls.channel_config({"url": target} if target else {})

    @classmethod
    def channel_config(cls, values: Mapping[str, Any]) -> BaseModel:
        """``Config`` validated, or ``InputError`` (code ``channel``) saying what is wrong."""
        if not values:
            raise InputError(f"the {cls.kind} channel needs a target after '{cls.kind}:'",
                             code="channel")  # fmt: skip
        try:
            return cls.Config.model_validate(dict(values))
        except ValidationError as exc:
            message = str(exc.errors()[0].get("msg", "invalid value"))
            target = next(iter(values.values()), "")
            raise InputError(
                f"bad {cls.kind} channel {target!r}: {message.removeprefix('Value error, ')}",
                code="channel",
            ) from None

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
