"""Channel failures: retried with backoff, recorded with a reason, never raised."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel

from slusha.notifiers.slack import SlackNotifier
from slusha.notifiers.webhook import WebhookNotifier
from slusha.plugins.api import Notifier, PluginContext
from slusha.plugins.delivery import RetryPolicy, classify_failure, deliver
from tests.notifiers.samples import firing_alert
from tests.support.origin import Origin, Reply

FAST = RetryPolicy(max_attempts=3, base_delay_seconds=0.001, max_delay_seconds=0.01)
SECRET = "whsec_0123456789abcdef"


def hook(origin: Origin, *replies: Reply) -> SlackNotifier.Config:
    origin.route("/hook", list(replies), method="POST")
    return SlackNotifier.Config(url=origin.url("/hook"))


async def test_500_then_success_is_sent_on_the_second_attempt(
    ctx: PluginContext, origin: Origin
) -> None:
    config = hook(origin, Reply(500, b"oops"), Reply(200, b"ok"))
    result = await deliver(SlackNotifier(), ctx, config, firing_alert(), policy=FAST)
    assert (result.status, result.attempts, result.reason) == ("sent", 2, None)
    assert len(origin.hits("/hook")) == 2


async def test_persistent_500_fails_after_all_attempts(ctx: PluginContext, origin: Origin) -> None:
    config = hook(origin, Reply(503, b"down"))
    result = await deliver(SlackNotifier(), ctx, config, firing_alert(), policy=FAST)
    assert (result.status, result.attempts, result.reason) == ("failed", 3, "http_5xx")
    assert "503" in result.message
    assert len(origin.hits("/hook")) == 3


async def test_4xx_is_not_retried(ctx: PluginContext, origin: Origin) -> None:
    config = hook(origin, Reply(404, b"no_service"))
    result = await deliver(SlackNotifier(), ctx, config, firing_alert(), policy=FAST)
    assert (result.status, result.attempts, result.reason) == ("failed", 1, "http_4xx")


async def test_429_honours_retry_after(ctx: PluginContext, origin: Origin) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    # Longer than the outbound client waits by itself, so delivery schedules the retry.
    config = hook(origin, Reply(429, headers={"retry-after": "7"}), Reply(200, b"ok"))
    policy = RetryPolicy(max_attempts=3, base_delay_seconds=0.001, max_delay_seconds=60)
    result = await deliver(
        SlackNotifier(), ctx, config, firing_alert(), policy=policy, sleep=record
    )
    assert result.is_sent and result.attempts == 2 and waits == [7.0]


async def test_timeout_is_retried_and_recorded(ctx: PluginContext, origin: Origin) -> None:
    config = hook(origin, Reply(200, b"ok", delay_seconds=2.0))
    result = await deliver(SlackNotifier(), ctx, config, firing_alert(), policy=FAST)
    assert (result.status, result.attempts, result.reason) == ("failed", 3, "timeout")


async def test_connection_refused_is_retried_and_recorded(
    ctx: PluginContext, closed_port: int
) -> None:
    config = WebhookNotifier.Config(url=f"http://127.0.0.1:{closed_port}/hook", secret=SECRET)
    result = await deliver(WebhookNotifier(), ctx, config, firing_alert(), policy=FAST)
    assert (result.status, result.attempts, result.reason) == ("failed", 3, "connection_refused")


async def test_tls_error_is_retried_and_recorded(ctx: PluginContext, tls_port: int) -> None:
    config = WebhookNotifier.Config(url=f"https://127.0.0.1:{tls_port}/hook", secret=SECRET)
    result = await deliver(WebhookNotifier(), ctx, config, firing_alert(), policy=FAST)
    assert (result.status, result.attempts, result.reason) == ("failed", 3, "tls_error")


async def test_backoff_grows_and_is_capped(ctx: PluginContext, origin: Origin) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(max_attempts=5, base_delay_seconds=1.0, max_delay_seconds=3.0)
    config = hook(origin, Reply(500))
    result = await deliver(
        SlackNotifier(), ctx, config, firing_alert(), policy=policy, sleep=record
    )
    assert result.attempts == 5 and len(waits) == 4
    ceilings = [1.0, 2.0, 3.0, 3.0]
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(waits, ceilings, strict=True))


class BrokenNotifier(Notifier):
    """A third-party notifier with a bug: its failure must still be recorded, not raised."""

    kind: ClassVar[str] = "broken"
    title: ClassVar[str] = "Broken"
    summary: ClassVar[str] = "Always fails."

    class Config(BaseModel):
        """Nothing to configure."""

    async def send(self, ctx: PluginContext, config: Any, alert: Mapping[str, Any]) -> None:
        raise RuntimeError("bug in a plugin")


async def test_unexpected_errors_are_recorded_not_raised(ctx: PluginContext) -> None:
    result = await deliver(
        BrokenNotifier(), ctx, BrokenNotifier.Config(), firing_alert(), policy=FAST
    )
    assert (result.status, result.attempts, result.reason) == ("failed", 1, "error")
    assert result.message == "bug in a plugin"
    assert result.to_dict()["channel"] == "broken"


def test_classify_plain_os_errors() -> None:
    assert classify_failure(ConnectionRefusedError())[:2] == ("connection_refused", True)
    assert classify_failure(TimeoutError())[:2] == ("timeout", True)
    assert classify_failure(ValueError("x"))[:2] == ("error", False)


async def test_a_channel_that_keeps_answering_429_gets_each_attempt_once(
    ctx: PluginContext, origin: Origin
) -> None:
    # Before: the outbound client retried a 429 three times inside each of the delivery's
    # attempts, so one alert reached the channel up to 15 times.
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    config = hook(origin, Reply(429, headers={"retry-after": "0"}))
    policy = RetryPolicy(max_attempts=5, base_delay_seconds=0.001, max_delay_seconds=0.01)
    result = await deliver(SlackNotifier(), ctx, config, firing_alert(), policy=policy,
                           sleep=record)  # fmt: skip
    assert (result.status, result.attempts, result.reason) == ("failed", 5, "rate_limited")
    assert len(origin.hits("/hook")) == 5 and len(waits) == 4


async def test_chat_channels_carry_the_delivery_id(ctx: PluginContext, origin: Origin) -> None:
    config = hook(origin, Reply(200, b"ok"))
    result = await deliver(SlackNotifier(), ctx, config, firing_alert(), policy=FAST,
                           delivery_id="alert-7")  # fmt: skip
    assert result.is_sent
    [hit] = origin.hits("/hook")
    assert {k.lower(): v for k, v in hit.headers.items()}["x-slusha-delivery"] == "alert-7"
