"""A generic webhook: the alert as JSON, signed with HMAC-SHA256 over ``timestamp.body``.

Headers: ``X-Slusha-Timestamp`` (Unix seconds), ``X-Slusha-Signature: v1=<hex>`` (several
comma-separated ``v1=`` values while a secret is being rotated), ``X-Slusha-Delivery`` (the alert
id, the same on every retry, for de-duplication) and ``X-Slusha-Event``. The timestamp is signed
with the body so a captured request cannot be replayed later (the scheme Stripe and Slack use).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, Field, SecretStr, field_validator

from slusha.notifiers._common import MAX_RESPONSE_BYTES, check_webhook_url
from slusha.notifiers._render import as_alert
from slusha.plugins.api import (
    DELIVERY_HEADER,
    Notifier,
    PluginConfig,
    PluginContext,
    reveal,
)

SIGNATURE_HEADER = "X-Slusha-Signature"
TIMESTAMP_HEADER = "X-Slusha-Timestamp"
EVENT_HEADER = "X-Slusha-Event"
SIGNATURE_VERSION = "v1"
MIN_SECRET_CHARS = 16


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}." + body`` under ``secret``."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Slusha-Signature`` value: ``v1=<hex>``."""
    return f"{SIGNATURE_VERSION}={sign(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    *,
    tolerance_seconds: float = 300,
    now: datetime | float,
) -> bool:
    """Whether a received webhook is genuine and fresh: for receivers of Slusha's webhooks.

    ``timestamp`` and ``signature`` are the header values, ``body`` the raw request body (before
    any JSON parsing), ``now`` the receiver's time. Comparison is constant-time.
    """
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    current = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(current - sent_at) > tolerance_seconds:
        return False
    expected = sign(secret, sent_at, body)
    for part in signature.split(","):
        version, _, value = part.strip().partition("=")
        if version == SIGNATURE_VERSION and hmac.compare_digest(value, expected):
            return True
    return False


def webhook_body(alert: Mapping[str, Any], url: str) -> bytes:
    """The exact bytes the outbound client sends for this JSON payload.

    ``HttpClient.request`` takes a JSON value, not bytes, and lets httpx encode it; building the
    same request with httpx gives the identical body, so the signature covers what goes out.
    """
    return httpx.Request("POST", url, json=dict(alert)).content


class WebhookNotifier(Notifier):
    """POSTs alerts as signed JSON to any URL."""

    kind: ClassVar[str] = "webhook"
    title: ClassVar[str] = "Webhook"
    summary: ClassVar[str] = "POST alerts as JSON signed with HMAC-SHA256 to any URL."
    description: ClassVar[str] = (
        "Slusha POSTs each alert as JSON. Verify `X-Slusha-Signature` (HMAC-SHA256 over "
        "`X-Slusha-Timestamp + '.' + body` with the channel's secret) before reading it; "
        "see docs/alerts.md for the recipe."
    )

    class Config(PluginConfig):
        """Where to POST and the shared secret that signs each request."""

        url: str = Field(description="The URL that receives the alerts (http or https).")
        secret: SecretStr = Field(
            description="Shared secret for the HMAC-SHA256 signature (at least 16 characters).",
            json_schema_extra={"secret": True},
        )

        @field_validator("url")
        @classmethod
        def _check_url(cls, value: str) -> str:
            return check_webhook_url(value)

        @field_validator("secret")
        @classmethod
        def _check_secret(cls, value: SecretStr) -> SecretStr:
            if len(value.get_secret_value()) < MIN_SECRET_CHARS:
                raise ValueError(f"the secret must have at least {MIN_SECRET_CHARS} characters")
            return value

    @classmethod
    def parse_target(cls, target: str, *, new_secret: Callable[[], str]) -> BaseModel:
        """``webhook:URL``: the URL, and a new signing secret (shown to the user once)."""
        return cls.channel_config({"url": target, "secret": new_secret()})

    async def send(
        self,
        ctx: PluginContext,
        config: Any,
        alert: Mapping[str, Any],
        *,
        delivery_id: str | None = None,
    ) -> None:
        """POST one signed alert."""
        payload = as_alert(alert).to_dict()
        timestamp = int(ctx.clock.now().timestamp())
        body = webhook_body(payload, config.url)
        await ctx.http.request(
            "POST",
            config.url,
            json_body=payload,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: signature_header(reveal(config.secret), timestamp, body),
                DELIVERY_HEADER: delivery_id or str(payload["id"]),
                EVENT_HEADER: f"alert.{payload['state']}",
            },
            max_bytes=MAX_RESPONSE_BYTES,
        )
