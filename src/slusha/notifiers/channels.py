"""The ``KIND:TARGET`` channel form of ``slusha alerts add --channel`` and the API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from slusha.domain.alerts.explain import Explanation
from slusha.domain.alerts.messages import Alert
from slusha.errors import InputError
from slusha.notifiers.email import EmailNotifier
from slusha.notifiers.mattermost import MattermostNotifier
from slusha.notifiers.slack import SlackNotifier
from slusha.notifiers.teams import TeamsNotifier
from slusha.notifiers.webhook import WebhookNotifier, generate_secret

CHANNEL_KINDS: tuple[str, ...] = ("email", "slack", "teams", "mattermost", "webhook")
_FORMS = "email:ADDR, slack:URL, teams:URL, mattermost:URL or webhook:URL"


class ChannelError(InputError):
    """A ``--channel`` value that cannot be used; the message says what is expected."""

    code = "channel"


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def parse_channel(
    text: str,
    *,
    secret_factory: Callable[[], str] = generate_secret,
    plugins: Mapping[str, type[Any]] | None = None,
) -> tuple[str, BaseModel]:
    """``(kind, config)`` for ``email:ADDR[,ADDR]``, ``slack:URL``, ``teams:URL``,
    ``mattermost:URL`` or ``webhook:URL``, or ``KIND:URL`` for a notifier plugin in ``plugins``
    (its ``Config`` gets ``{"url": URL}``).

    A webhook gets a fresh secret from ``secret_factory``; the caller shows it to the user once.
    """
    kind, sep, target = text.strip().partition(":")
    kind = kind.strip().lower()
    target = target.strip()
    extra = {k: v for k, v in (plugins or {}).items() if k not in CHANNEL_KINDS}
    if not sep or (kind not in CHANNEL_KINDS and kind not in extra):
        more = f" (or a plugin: {', '.join(sorted(extra))})" if extra else ""
        raise ChannelError(f"unknown channel {text!r}: expected {_FORMS}{more}")
    if not target:
        raise ChannelError(f"the {kind} channel needs a target after '{kind}:' ({_FORMS})")
    try:
        if kind in extra:
            return kind, extra[kind].Config.model_validate({"url": target})
        if kind == "email":
            addresses = [part for part in target.replace(";", ",").split(",") if part.strip()]
            return kind, EmailNotifier.Config.model_validate({"to": addresses})
        if kind == "webhook":
            return kind, WebhookNotifier.Config.model_validate(
                {"url": target, "secret": secret_factory()}
            )
        models: dict[str, type[BaseModel]] = {
            "slack": SlackNotifier.Config,
            "teams": TeamsNotifier.Config,
            "mattermost": MattermostNotifier.Config,
        }
        model = models[kind]
        return kind, model.model_validate({"url": target})
    except ValidationError as exc:
        raise ChannelError(f"bad {kind} channel {target!r}: {_first_error(exc)}") from None


def sample_alert(*, rule_id: str, team: str, now: datetime, link: str | None = None) -> Alert:
    """A harmless alert for ``slusha alerts test``: proves the channel works end to end."""
    return Alert(
        id=f"{rule_id}:test:{now.isoformat()}",
        rule_id=rule_id,
        rule_name="Test",
        team=team,
        kind="match",
        state="info",
        title="Test alert from Slusha",
        summary="If you can read this, alerts of this rule reach this channel.",
        created_at=now,
        explanation=Explanation(
            reason="someone ran a channel test", stream_url=link, facts=(("Team", team),)
        ),
    )
