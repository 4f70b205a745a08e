"""Slack: an incoming webhook with a Block Kit message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from slusha.domain.alerts.messages import Alert
from slusha.notifiers._common import WebhookUrlConfig, post_json
from slusha.notifiers._render import (
    as_alert,
    authors_line,
    clip,
    facts,
    post_line,
    words_line,
)
from slusha.plugins.api import Notifier, PluginContext

# Block Kit limits (api.slack.com/reference/block-kit/blocks): header 150, section text 3000,
# at most 10 fields of 2000 characters each.
HEADER_CHARS = 150
SECTION_CHARS = 3000
MAX_FIELDS = 10


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack's mrkdwn requires (post text is untrusted)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: Alert) -> dict[str, Any]:
    """The Block Kit message for ``alert``."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(alert.title, HEADER_CHARS)}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip(escape(alert.summary), SECTION_CHARS)},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": clip(f"*{escape(label)}*\n{escape(value)}", 2000)}
                for label, value in facts(alert)[:MAX_FIELDS]
            ],
        },
    ]
    if alert.posts:
        lines = []
        for post in alert.posts:
            line = escape(post_line(post))
            lines.append(f"• <{post.url}|{line}>" if post.url else f"• {line}")
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip("*Top posts*\n" + "\n".join(lines), 3000)},
            }
        )
    context = [line for line in (words_line(alert), authors_line(alert)) if line]
    context.append(f"Why: {alert.explanation.reason}")
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(escape(line), 2000)} for line in context],
        }
    )
    if alert.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the stream"},
                        "url": alert.link,
                    }
                ],
            }
        )
    # ``text`` is the notification and screen-reader fallback when blocks are present.
    return {"text": clip(f"{alert.title}: {alert.summary}", SECTION_CHARS), "blocks": blocks}


class SlackNotifier(Notifier):
    """Posts alerts to a Slack channel through an incoming webhook."""

    kind: ClassVar[str] = "slack"
    title: ClassVar[str] = "Slack"
    summary: ClassVar[str] = "Post alerts to a Slack channel (incoming webhook, Block Kit)."
    description: ClassVar[str] = (
        "Create an incoming webhook in a Slack app (Features → Incoming Webhooks), pick the "
        "channel, and paste its `https://hooks.slack.com/services/...` URL."
    )

    class Config(WebhookUrlConfig):
        """The Slack incoming webhook URL."""

    async def send(
        self,
        ctx: PluginContext,
        config: Any,
        alert: Mapping[str, Any],
        *,
        delivery_id: str | None = None,
    ) -> None:
        """Post one alert."""
        await post_json(ctx, config.url, slack_payload(as_alert(alert)), delivery_id=delivery_id)
