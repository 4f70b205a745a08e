"""What the HTTP notifiers share: a validated webhook URL and the POST through ``ctx.http``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from slusha.plugins.api import DELIVERY_HEADER, PluginConfig, PluginContext

MAX_RESPONSE_BYTES = 64 * 1024


def check_webhook_url(value: str) -> str:
    """An absolute http(s) URL with a host and no user:password part."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("the URL must not contain a user name or password")
    return value


class WebhookUrlConfig(PluginConfig):
    """A channel that is one incoming-webhook URL (the URL is the credential)."""

    url: str = Field(
        description="The incoming webhook URL.",
        json_schema_extra={"secret": True},
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_webhook_url(value)


async def post_json(
    ctx: PluginContext,
    url: str,
    payload: Any,
    *,
    headers: dict[str, str] | None = None,
    delivery_id: str | None = None,
) -> None:
    """POST ``payload`` as JSON; a non-2xx status raises the outbound layer's typed error."""
    extra = {DELIVERY_HEADER: delivery_id} if delivery_id else {}
    await ctx.http.request(
        "POST",
        url,
        json_body=payload,
        headers={"Content-Type": "application/json", **extra, **(headers or {})},
        max_bytes=MAX_RESPONSE_BYTES,
    )
