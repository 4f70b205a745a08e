"""Microsoft Teams: a Workflows webhook ("When a Teams webhook request is received") with an
Adaptive Card."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from slusha.domain.alerts.messages import Alert
from slusha.notifiers._common import WebhookUrlConfig, post_json
from slusha.notifiers._render import as_alert, authors_line, clip, facts, post_line, words_line
from slusha.plugins.api import Notifier, PluginContext

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
STATE_STYLE = {"firing": "attention", "resolved": "good", "info": "accent"}


def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def adaptive_card(alert: Alert) -> dict[str, Any]:
    """The Adaptive Card (schema 1.4) for ``alert``."""
    body: list[dict[str, Any]] = [
        _text(
            clip(alert.title, 300),
            size="Medium",
            weight="Bolder",
            color=STATE_STYLE.get(alert.state, "default"),
        ),
        _text(clip(alert.summary, 2000)),
        {
            "type": "FactSet",
            "facts": [{"title": label, "value": value} for label, value in facts(alert)],
        },
    ]
    if alert.posts:
        body.append(_text("Top posts", weight="Bolder", spacing="Medium"))
        for post in alert.posts:
            line = post_line(post)
            body.append(_text(f"[{line}]({post.url})" if post.url else line, spacing="Small"))
    for extra in (words_line(alert), authors_line(alert), f"Why: {alert.explanation.reason}"):
        if extra:
            body.append(_text(extra, isSubtle=True, size="Small"))
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if alert.link:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "Open the stream", "url": alert.link}
        ]
    return card


def teams_payload(alert: Alert) -> dict[str, Any]:
    """The message a Teams workflow webhook expects: one Adaptive Card attachment."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": adaptive_card(alert),
            }
        ],
    }


class TeamsNotifier(Notifier):
    """Posts alerts to a Microsoft Teams channel through a Workflows webhook."""

    kind: ClassVar[str] = "teams"
    title: ClassVar[str] = "Microsoft Teams"
    summary: ClassVar[str] = "Post alerts to a Teams channel (Workflows webhook, Adaptive Card)."
    description: ClassVar[str] = (
        "In Teams, add the Workflows template *Post to a channel when a webhook request is "
        "received*, pick the channel, and paste the URL it shows."
    )

    class Config(WebhookUrlConfig):
        """The Teams Workflows webhook URL."""

    async def send(
        self,
        ctx: PluginContext,
        config: Any,
        alert: Mapping[str, Any],
        *,
        delivery_id: str | None = None,
    ) -> None:
        """Post one alert."""
        await post_json(ctx, config.url, teams_payload(as_alert(alert)), delivery_id=delivery_id)
