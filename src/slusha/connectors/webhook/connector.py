"""The webhook connector: a source whose posts are pushed to ``POST /api/v1/ingest``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator

from slusha.connectors.webhook import receive as receiving
from slusha.plugins.api import (
    Admission,
    Connector,
    HealthReport,
    IngestKey,
    PluginConfig,
    PluginContext,
    Received,
    reveal,
)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class WebhookConfig(PluginConfig):
    """How senders authenticate to the ingest endpoint."""

    signing_secret: SecretStr | None = Field(
        None,
        description=(
            "Shared secret for the X-Slusha-Signature header (HMAC-SHA256 of "
            "'<timestamp>.<body>'). Preferred over a token."
        ),
        json_schema_extra={"secret": True},
    )
    api_token: SecretStr | None = Field(
        None,
        description="Bearer token accepted in the Authorization header (when signing is hard).",
        json_schema_extra={"secret": True},
    )
    max_body_bytes: int = Field(
        DEFAULT_MAX_BODY_BYTES,
        ge=1024,
        le=10 * 1024 * 1024,
        description="Largest request body accepted, in bytes (larger ones get 413).",
    )
    replay_window_seconds: int = Field(
        300,
        ge=30,
        le=3600,
        description="How old a signed request's timestamp may be before it is refused.",
    )

    @model_validator(mode="after")
    def _needs_credentials(self) -> WebhookConfig:
        if self.signing_secret is None and self.api_token is None:
            raise ValueError("set signing_secret or api_token (or both)")
        for value in (self.signing_secret, self.api_token):
            if value is not None and len(value.get_secret_value()) < 16:
                raise ValueError("secrets and tokens must be at least 16 characters")
        return self


class WebhookConnector(Connector):
    """Posts pushed by other systems (scrapers, forms, CRMs) in the post format."""

    kind = "webhook"
    title = "Webhook (inbound)"
    summary = "Anything that can POST the post format, signed with HMAC or a token."
    description = (
        "Other systems push posts to `POST /api/v1/ingest`: one post-format object or an "
        "array. Each request is authenticated by an `X-Slusha-Signature` HMAC-SHA256 of "
        "`<timestamp>.<body>` with `X-Slusha-Timestamp` (refused outside the replay window), "
        "or by `Authorization: Bearer <token>`. Forged signatures get 401 and are logged; "
        "oversized bodies get 413; invalid posts are rejected by index, the rest ingested."
    )
    Config = WebhookConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"webhook"})
    default_interval_seconds = 3600

    async def test(self, ctx: PluginContext, config: WebhookConfig) -> HealthReport:
        """Nothing to reach: report which authentication methods are configured."""
        methods = [
            name
            for name, value in (("signature", config.signing_secret), ("token", config.api_token))
            if value is not None
        ]
        return HealthReport(ok=True, message=f"accepts {' and '.join(methods)} authentication")

    def __init__(self) -> None:
        self._replays = receiving.ReplayCache()

    def ingest_key(
        self, config: WebhookConfig, *, source_id: int, source_name: str, language: str | None
    ) -> IngestKey:
        """The source's secret and token, decrypted, and its limits."""
        return IngestKey(
            source_id=source_id,
            source_name=source_name,
            signing_secret=reveal(config.signing_secret) or None,
            api_token=reveal(config.api_token) or None,
            max_body_bytes=config.max_body_bytes,
            replay_window_seconds=config.replay_window_seconds,
            language=language,
            config=config,
        )

    def admit(
        self,
        ctx: PluginContext,
        keys: Sequence[IngestKey],
        headers: Mapping[str, str],
        *,
        now: float,
    ) -> Admission:
        """A token is checked here in full; a signature's timestamp and window."""
        return receiving.admit(keys, headers, now=now)

    def receive(
        self,
        ctx: PluginContext,
        admission: Admission,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float,
    ) -> Received:
        """The signature over the body, the replay check, then the posts."""
        return receiving.receive(
            admission, headers, body, now=now, replays=self._replays, network="webhook"
        )

    def release(self, received: Received) -> None:
        """The same signed request may come again (it was not stored)."""
        if received.replay_token:
            self._replays.forget(received.replay_token)
