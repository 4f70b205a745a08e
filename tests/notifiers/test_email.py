"""E-mail against a real aiosmtpd server: STARTTLS with login, implicit TLS, failures."""

from __future__ import annotations

import pytest

from slusha.notifiers.email import EmailNotifier, InlineImage, SmtpSettings
from slusha.plugins.api import PluginContext
from slusha.plugins.delivery import RetryPolicy, deliver
from tests.notifiers.conftest import free_port
from tests.notifiers.samples import firing_alert, resolved_alert
from tests.notifiers.smtp_sink import PASSWORD, USER, smtp_server
from tests.notifiers.tls import SelfSigned

FAST = RetryPolicy(max_attempts=3, base_delay_seconds=0.001, max_delay_seconds=0.01)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
CONFIG = EmailNotifier.Config(to=["pr@example.org", "oncall@example.org"])


def settings(port: int, security: str = "starttls", **extra: object) -> SmtpSettings:
    return SmtpSettings.model_validate(
        {
            "host": "127.0.0.1",
            "port": port,
            "security": security,
            "from_address": "slusha@example.org",
            "timeout_seconds": 2,
            **extra,
        }
    )


async def test_starttls_login_and_multipart_message(ctx: PluginContext, cert: SelfSigned) -> None:
    port = free_port()
    smtp = settings(port, username=USER, password=PASSWORD)
    notifier = EmailNotifier(smtp, ssl_context=cert.client_context())
    alert = firing_alert()
    with smtp_server(port, starttls=cert.server_context()) as sink:
        result = await deliver(
            notifier, ctx, CONFIG, alert, policy=FAST, charts=[InlineImage("volume", PNG)]
        )
    assert result.status == "sent" and result.attempts == 1
    [received] = sink.received
    assert received.mail_from == "slusha@example.org"
    assert received.rcpt_tos == ["pr@example.org", "oncall@example.org"]
    message = received.message
    assert message["Subject"] == f"[Slusha] {alert.title}"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert "42 mentions" in plain.get_content() and "Open the stream:" in plain.get_content()
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    body = html.get_content()
    assert 'src="cid:volume"' in body
    assert "<script>" not in body and "&lt;script&gt;" in body  # post text is inert
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<volume>"
    assert image.get_content() == PNG


async def test_resolved_mail_threads_under_the_firing_one(
    ctx: PluginContext, cert: SelfSigned
) -> None:
    port = free_port()
    notifier = EmailNotifier(settings(port, "tls"), ssl_context=cert.client_context())
    with smtp_server(port, implicit_tls=cert.server_context()) as sink:
        first = await deliver(notifier, ctx, CONFIG, firing_alert(), policy=FAST)
        second = await deliver(notifier, ctx, CONFIG, resolved_alert(), policy=FAST)
    assert first.is_sent and second.is_sent
    firing, resolved = (r.message for r in sink.received)
    assert resolved["In-Reply-To"] == firing["Message-ID"]
    assert resolved["Subject"].startswith("[Slusha] Resolved:")


async def test_untrusted_certificate_is_a_tls_error_retried_and_recorded(
    ctx: PluginContext, cert: SelfSigned
) -> None:
    port = free_port()
    notifier = EmailNotifier(settings(port))  # the system trust store, which lacks the cert
    with smtp_server(port, starttls=cert.server_context()) as sink:
        result = await deliver(notifier, ctx, CONFIG, firing_alert(), policy=FAST)
    assert result.status == "failed"
    assert result.reason == "tls_error"
    assert result.attempts == FAST.max_attempts
    assert sink.received == []


async def test_wrong_password_is_not_retried(ctx: PluginContext, cert: SelfSigned) -> None:
    port = free_port()
    smtp = settings(port, username=USER, password="wrong")
    notifier = EmailNotifier(smtp, ssl_context=cert.client_context())
    with smtp_server(port, starttls=cert.server_context()):
        result = await deliver(notifier, ctx, CONFIG, firing_alert(), policy=FAST)
    assert (result.status, result.reason, result.attempts) == ("failed", "smtp_auth", 1)


async def test_connection_refused_is_retried_and_recorded(ctx: PluginContext) -> None:
    notifier = EmailNotifier(settings(free_port(), "none"))
    result = await deliver(notifier, ctx, CONFIG, firing_alert(), policy=FAST)
    assert result.status == "failed"
    assert result.reason == "connection_refused"
    assert result.attempts == FAST.max_attempts


async def test_health_check_logs_in_without_sending(ctx: PluginContext, cert: SelfSigned) -> None:
    port = free_port()
    smtp = settings(port, username=USER, password=PASSWORD)
    notifier = EmailNotifier(smtp, ssl_context=cert.client_context())
    with smtp_server(port, starttls=cert.server_context()) as sink:
        report = await notifier.test(ctx, CONFIG)
    assert report.ok, report.message
    assert sink.received == []


async def test_without_smtp_settings_delivery_fails_as_config(ctx: PluginContext) -> None:
    result = await deliver(EmailNotifier(), ctx, CONFIG, firing_alert(), policy=FAST)
    assert (result.status, result.reason, result.attempts) == ("failed", "config", 1)


@pytest.mark.parametrize("bad", [[], ["not-an-address"], ["a@b"]])
def test_recipients_are_validated(bad: list[str]) -> None:
    with pytest.raises(ValueError):
        EmailNotifier.Config(to=bad)
