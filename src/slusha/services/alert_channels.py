"""Alert channels at rest and in use: parsed, secrets encrypted, masked, turned into notifiers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from slusha.config import Settings
from slusha.errors import ConfigError, InputError
from slusha.plugins.api import reveal, secret_fields
from slusha.plugins.host import new_secret
from slusha.plugins.registry import Registry
from slusha.services.secrets import SecretBox


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
    registry: Registry,
    secret_factory: Callable[[], str] = new_secret,
) -> ParsedChannels:
    """Validate ``KIND:TARGET`` channels; an ``InputError`` (code ``channel``) for a bad one.

    The notifier of ``KIND`` reads ``TARGET``; a webhook gets a fresh signing secret from
    ``secret_factory``, which the caller shows to the user once."""
    records: list[dict[str, Any]] = []
    secrets: list[dict[str, Any]] = []
    shown: list[tuple[str, str]] = []
    for text in texts:
        kind, config = parse_channel(text, registry=registry, secret_factory=secret_factory)
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
    registry: Registry,
) -> list[Channel]:
    """The stored channels with their secrets decrypted; ``ConfigError`` when the key changed."""
    secrets: list[dict[str, Any]] = []
    if token:
        secrets = list(SecretBox.from_settings(settings).decrypt(token).get("channels", []))
    classes = registry.notifiers
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


def parse_channel(
    text: str, *, registry: Registry, secret_factory: Callable[[], str] = new_secret
) -> tuple[str, BaseModel]:
    """``(kind, config)`` of one ``KIND:TARGET``; the notifier of ``KIND`` reads the target."""
    kind, sep, target = text.strip().partition(":")
    kind = kind.strip().lower()
    cls = registry.notifiers.get(kind) if sep else None
    if cls is None:
        forms = ", ".join(
            f"{k}:{registry.notifiers[k].target_hint}" for k in sorted(registry.notifiers)
        )
        raise InputError(f"unknown channel {text!r}: expected {forms}", code="channel")
    return kind, cls.parse_target(target.strip(), new_secret=secret_factory)
