"""A third-party notifier from the plugin registry works as an alert channel: parsed, stored,
loaded and built like the built-in ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from pydantic import Field

from slusha.clock import SystemClock
from slusha.config import load_settings
from slusha.errors import InputError
from slusha.plugins.api import Notifier, PluginConfig, PluginContext
from slusha.plugins.host import PluginHost
from slusha.plugins.registry import build_registry
from slusha.services.alert_channels import load_channels, parse_channels


class PagerNotifier(Notifier):
    """A pager service reached by URL (what a plugin package would ship)."""

    kind: ClassVar[str] = "pager"
    title: ClassVar[str] = "Pager"
    summary: ClassVar[str] = "Page the on-call person."

    class Config(PluginConfig):
        url: str = Field(description="The pager endpoint.")

    async def send(self, ctx: PluginContext, config: Any, alert: Mapping[str, Any]) -> None:
        return None


def test_a_notifier_plugin_is_a_channel_kind() -> None:
    registry = build_registry(include_entry_points=False, extra_notifiers=[PagerNotifier])
    settings = load_settings(environ={}, secret_key="test-secret-key-for-alert-channels")
    parsed = parse_channels(
        ["pager:https://pager.example.org/in", "email:care@example.org"],
        settings=settings, registry=registry,
    )  # fmt: skip
    assert [r["kind"] for r in parsed.records] == ["pager", "email"]
    channels = load_channels(parsed.records, parsed.secrets_token, settings=settings,
                             registry=registry)  # fmt: skip
    assert channels[0].config.url == "https://pager.example.org/in"  # type: ignore[attr-defined]
    host = PluginHost(settings=settings, clock=SystemClock(), registry=registry)
    assert isinstance(host.notifier("pager"), PagerNotifier)
    assert host.notifier("email").smtp is None  # type: ignore[attr-defined]  # no SMTP configured
    with pytest.raises(InputError, match="pager"):
        parse_channels(["pager:https://pager.example.org/in"], settings=settings,
                       registry=build_registry(include_entry_points=False))  # fmt: skip
