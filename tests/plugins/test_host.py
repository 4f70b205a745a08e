"""The plugin host: one registry and one outbound client per process, every plugin call."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from pydantic import Field

from slusha.clock import FrozenClock
from slusha.config import load_settings
from slusha.errors import NotFound, TransientError
from slusha.plugins.api import Notifier, PluginConfig, PluginContext
from slusha.plugins.delivery import RetryPolicy
from slusha.plugins.host import PluginHost, new_secret
from slusha.plugins.registry import build_registry

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


class Flaky(Notifier):
    """Fails with a retryable error ``failures`` times, then takes the alert."""

    kind: ClassVar[str] = "flaky"
    title: ClassVar[str] = "Flaky"
    summary: ClassVar[str] = "A channel that fails a few times first."
    failures = 2
    seen: ClassVar[list[tuple[str | None, str]]] = []

    class Config(PluginConfig):
        url: str = Field(description="Where to.")

    async def send(
        self,
        ctx: PluginContext,
        config: Any,
        alert: Mapping[str, Any],
        *,
        delivery_id: str | None = None,
    ) -> None:
        self.seen.append((delivery_id, str(ctx.source_name)))
        if len(self.seen) <= self.failures:
            raise TransientError("not now", code="http_5xx", retry_after_seconds=0.0)


def _host(**settings: Any) -> PluginHost:
    registry = build_registry(include_entry_points=False, extra_notifiers=[Flaky])
    return PluginHost(
        settings=load_settings(environ={}, **settings), clock=FrozenClock(NOW), registry=registry
    )


def test_a_host_that_only_lists_plugins_opens_no_client() -> None:
    host = _host()
    assert "rss" in host.registry.connectors and host._http is None
    with pytest.raises(NotFound, match="known kinds"):
        host.connector("nosuch")
    with pytest.raises(NotFound, match="unknown notifier kind"):
        host.notifier("nosuch")


def test_one_notifier_per_kind_and_e_mail_gets_the_servers_smtp_settings() -> None:
    bare = _host()
    assert bare.notifier("email") is bare.notifier("email")
    assert bare.notifier("email").smtp is None  # type: ignore[attr-defined]
    mailing = _host(smtp_host="mail.example.org", smtp_from="alerts@example.org")
    smtp = mailing.notifier("email").smtp  # type: ignore[attr-defined]
    assert (smtp.host, smtp.from_address) == ("mail.example.org", "alerts@example.org")
    assert mailing.smtp_configured and not bare.smtp_configured


async def test_send_retries_with_one_delivery_id_and_reports_the_outcome() -> None:
    Flaky.seen.clear()
    host = _host()
    result = await host.send(
        "flaky",
        Flaky.Config(url="https://example.org/in"),
        {"id": "a1"},
        delivery_id="a1",
        policy=RetryPolicy(max_attempts=3, base_delay_seconds=0.0),
    )
    assert result.is_sent and result.attempts == 3
    assert Flaky.seen == [("a1", "alerts")] * 3  # the same id on every attempt
    Flaky.seen.clear()
    failed = await host.send(
        "flaky", Flaky.Config(url="https://example.org/in"), {"id": "a2"}, delivery_id="a2",
        policy=RetryPolicy(max_attempts=2, base_delay_seconds=0.0),
    )  # fmt: skip
    assert (failed.status, failed.reason, failed.attempts) == ("failed", "http_5xx", 2)


def test_each_event_loop_gets_its_own_client_closed_when_the_loop_ends() -> None:
    host = _host()

    async def client() -> Any:
        return host.http

    first = asyncio.run(client())
    assert first._client.is_closed  # closed by its loop's shutdown, not left to the collector
    second = asyncio.run(client())
    assert second is not first and second._client.is_closed


async def test_a_client_given_to_the_host_is_the_callers_to_close() -> None:
    from tests.support.net_fixtures import make_client

    given = make_client()
    host = PluginHost(settings=load_settings(environ={}), clock=FrozenClock(NOW), http=given,
                      registry=build_registry(include_entry_points=False))  # fmt: skip
    assert host.http is given and host.context("x").http is given
    await host.aclose()
    assert not given._client.is_closed
    await given.aclose()


def test_new_secrets_are_long_and_different() -> None:
    one, two = new_secret(), new_secret()
    assert one.startswith("whsec_") and len(one) > 40 and one != two
