"""Alert channels at rest and in use: parsed, secrets encrypted, masked, turned into notifiers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from slusha.clock import Clock
from slusha.config import Settings
from slusha.errors import ConfigError
from slusha.notifiers.channels import parse_channel
from slusha.notifiers.email import EmailNotifier, SmtpSettings
from slusha.notifiers.webhook import generate_secret
from slusha.plugins.api import Notifier, PluginContext, reveal, secret_fields
from slusha.plugins.net import HttpClient
from slusha.plugins.registry import Registry, build_registry
from slusha.services.secrets import SecretBox
from slusha.services.sources import build_http_client, plugin_context


@functools.cache
def default_registry() -> Registry:
    """The plugin registry (built-ins and entry points), loaded once per process."""
    return build_registry()


def notifier_classes(registry: Registry | None = None) -> Mapping[str, type[Notifier]]:
    """Notifier classes by channel kind, from the plugin registry."""
    return (registry or default_registry()).notifiers


@dataclass(frozen=True, slots=True)
class ParsedChannels:
    """Channels ready to store, and the webhook secrets to show the user once."""

    records: list[dict[str, Any]]
    secrets_token: str | None
    shown_secrets: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel of a rule, ready to deliver: its position, kind, masked target and config."""

    index: int
    kind: str
    target: str
    config: BaseModel


def mask_target(kind: str, config: BaseModel) -> str:
    """What people see of a channel: e-mail addresses and webhook URLs in full, chat webhook
    URLs (credentials) as scheme and host only."""
    if kind == "email":
        return "email:" + ",".join(getattr(config, "to", []))
    url = str(getattr(config, "url", ""))
    if kind == "webhook":
        return f"webhook:{url}"
    parts = urlsplit(url)
    return f"{kind}:{parts.scheme}://{parts.hostname}/…"


def parse_channels(
    texts: Sequence[str],
    *,
    settings: Settings,
    secret_factory: Callable[[], str] = generate_secret,
    registry: Registry | None = None,
) -> ParsedChannels:
    """Validate ``KIND:TARGET`` channels; ``ChannelError`` (an ``InputError``) for a bad one."""
    records: list[dict[str, Any]] = []
    secrets: list[dict[str, Any]] = []
    shown: list[tuple[str, str]] = []
    for text in texts:
        kind, config = parse_channel(
            text, secret_factory=secret_factory, plugins=notifier_classes(registry)
        )
        names = set(secret_fields(type(config)))
        dumped = config.model_dump(mode="json")
        plain = {k: v for k, v in dumped.items() if k not in names}
        hidden = {k: reveal(getattr(config, k)) for k in names if getattr(config, k) is not None}
        target = mask_target(kind, config)
        records.append({"kind": kind, "target": target, "config": plain})
        secrets.append(hidden)
        if kind == "webhook":
            shown.append((target, hidden["secret"]))
    token = None
    if any(secrets):
        token = SecretBox.from_settings(settings).encrypt({"channels": secrets})
    return ParsedChannels(records, token, shown)


def load_channels(
    records: Sequence[dict[str, Any]],
    token: str | None,
    *,
    settings: Settings,
    registry: Registry | None = None,
) -> list[Channel]:
    """The stored channels with their secrets decrypted; ``ConfigError`` when the key changed."""
    secrets: list[dict[str, Any]] = []
    if token:
        secrets = list(SecretBox.from_settings(settings).decrypt(token).get("channels", []))
    classes = notifier_classes(registry)
    out = []
    for index, record in enumerate(records):
        kind = record["kind"]
        values = dict(record.get("config") or {})
        if index < len(secrets):
            values.update(secrets[index])
        try:
            config = classes[kind].Config.model_validate(values)
        except (KeyError, ValidationError) as exc:
            raise ConfigError(f"stored {kind} channel #{index + 1} is invalid: {exc}") from None
        out.append(Channel(index, kind, record.get("target", kind), config))
    return out


def smtp_settings(settings: Settings) -> SmtpSettings | None:
    """The mail server from the settings, or None when e-mail is not set up."""
    if not settings.smtp_host:
        return None
    security = "tls" if settings.smtp_tls else "starttls" if settings.smtp_starttls else "none"
    password = settings.smtp_password.get_secret_value() or None
    try:
        return SmtpSettings.model_validate(
            {
                "host": settings.smtp_host,
                "port": settings.smtp_port,
                "security": security,
                "username": settings.smtp_username,
                "password": password,
                "from_address": settings.smtp_from or f"slusha@{settings.smtp_host}",
            }
        )
    except ValidationError:
        return None  # e-mail deliveries then fail with reason "config", visibly


def build_notifiers(settings: Settings, registry: Registry | None = None) -> dict[str, Notifier]:
    """One notifier per kind the plugin registry knows; e-mail gets the server's SMTP settings."""
    out: dict[str, Notifier] = {}
    for kind, cls in notifier_classes(registry).items():
        if issubclass(cls, EmailNotifier):
            out[kind] = cls(smtp=smtp_settings(settings))
        else:
            out[kind] = cls()
    return out


def delivery_context(
    settings: Settings, *, clock: Clock, http: HttpClient | None = None
) -> PluginContext:
    """The plugin context deliveries run with (the shared outbound client, SSRF guard on)."""
    return plugin_context(
        settings, http=http or build_http_client(settings), clock=clock, source_name="alerts"
    )
