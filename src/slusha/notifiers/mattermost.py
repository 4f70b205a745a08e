"""Mattermost: an incoming webhook with a message attachment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from slusha.domain.alerts.messages import Alert
from slusha.notifiers._common import WebhookUrlConfig, post_json
from slusha.notifiers._render import (
    STATE_COLORS,
    as_alert,
    authors_line,
    clip,
    facts,
    post_line,
    words_line,
)
from slusha.plugins.api import Notifier, PluginContext

TEXT_CHARS = 7000  # well under Mattermost's 16383-character post limit


def escape(text: str) -> str:
    """Keep untrusted post text from turning into Markdown links, mentions or headings."""
    for char in ("\\", "[", "]", "*", "_", "`", "#", "<", ">"):
        text = text.replace(char, "\\" + char)
    # @channel / @all in a post must not notify a whole channel.
    return text.replace("@", "@\u200b")


def mattermost_payload(alert: Alert, *, username: str | None = None) -> dict[str, Any]:
    """The webhook payload with one attachment (colour by state, fields, top posts)."""
    lines = [escape(alert.summary)]
    if alert.posts:
        lines.append("")
        lines.append("**Top posts**")
        for post in alert.posts:
            line = escape(post_line(post))
            lines.append(f"- [{line}]({post.url})" if post.url else f"- {line}")
    for extra in (words_line(alert), authors_line(alert)):
        if extra:
            lines += ["", escape(extra)]
    attachment: dict[str, Any] = {
        "fallback": clip(f"{alert.title}: {alert.summary}", 500),
        "color": STATE_COLORS.get(alert.state, STATE_COLORS["info"]),
        "title": clip(alert.title, 250),
        "text": clip("\n".join(lines), TEXT_CHARS),
        "fields": [
            {"short": True, "title": label, "value": escape(value)} for label, value in facts(alert)
        ],
        "footer": f"Slusha · {alert.explanation.reason}",
    }
    if alert.link:
        attachment["title_link"] = alert.link
    payload: dict[str, Any] = {"attachments": [attachment]}
    if username:
        payload["username"] = username
    return payload


class MattermostNotifier(Notifier):
    """Posts alerts to a Mattermost channel through an incoming webhook."""

    kind: ClassVar[str] = "mattermost"
    title: ClassVar[str] = "Mattermost"
    summary: ClassVar[str] = "Post alerts to a Mattermost channel (incoming webhook)."
    description: ClassVar[str] = (
        "In Mattermost open Integrations → Incoming Webhooks, add one for the channel and paste "
        "its URL."
    )

    class Config(WebhookUrlConfig):
        """The Mattermost incoming webhook URL."""

        username: str | None = Field(
            None, description="Name shown as the sender (needs username override enabled)."
        )

    async def send(
        self,
        ctx: PluginContext,
        config: Any,
        alert: Mapping[str, Any],
        *,
        delivery_id: str | None = None,
    ) -> None:
        """Post one alert."""
        payload = mattermost_payload(as_alert(alert), username=config.username)
        await post_json(ctx, config.url, payload, delivery_id=delivery_id)
