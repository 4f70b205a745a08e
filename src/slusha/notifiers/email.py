"""E-mail over SMTP (STARTTLS, implicit TLS or plain), HTML and plain text, inline charts.

``smtplib`` runs in a worker thread so a slow mail server never blocks the event loop. The SMTP
server is an operator setting (``SmtpSettings``), passed in by the composition root; a channel
only names its recipients.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from slusha.domain.alerts.messages import Alert
from slusha.errors import PermanentError, SlushaError, TransientError
from slusha.notifiers._render import STATE_COLORS, as_alert, facts, plain_text
from slusha.plugins.api import (
    HealthReport,
    InlineImage,
    Notifier,
    PluginConfig,
    PluginContext,
    reveal,
)

# Deliberately simple: one @, no spaces, a dot in the domain. Full RFC 5322 parsing accepts
# addresses no user means to type; the SMTP server has the last word anyway.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
MAX_RECIPIENTS = 50


def check_address(value: str) -> str:
    """A plain e-mail address (``name@example.org``), stripped."""
    value = value.strip()
    if not _ADDRESS.match(value):
        raise ValueError(f"{value!r} is not an e-mail address like name@example.org")
    return value


class SmtpSettings(BaseModel):
    """The mail server Slusha sends through (operator settings, not per channel)."""

    host: str = Field(description="SMTP server host name.")
    port: int = Field(587, ge=1, le=65535, description="587 for STARTTLS, 465 for TLS, 25.")
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls: upgrade after connecting (587); tls: TLS from the start (465); "
        "none: no encryption (only to a relay on the same host).",
    )
    username: str | None = Field(None, description="Login name, when the server needs one.")
    password: SecretStr | None = Field(
        None, description="Login password.", json_schema_extra={"secret": True}
    )
    from_address: str = Field(description="Sender address of alert e-mails.")
    timeout_seconds: float = Field(30.0, gt=0, description="Network timeout per SMTP step.")

    @field_validator("from_address")
    @classmethod
    def _check_from(cls, value: str) -> str:
        return check_address(value)


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1]


def _message_id(alert_or_id: str, domain: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9.\-_]", ".", alert_or_id)
    return f"<{safe}@{domain}>"


def render_html(alert: Alert, charts: Sequence[InlineImage] = ()) -> str:
    """The HTML body; every piece of post or rule text is escaped."""
    color = STATE_COLORS.get(alert.state, STATE_COLORS["info"])
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{escape(label)}</th>'
        f"<td>{escape(value)}</td></tr>"
        for label, value in facts(alert)
    )
    parts = [
        '<html><body style="font-family:sans-serif;line-height:1.4">',
        f'<h2 style="color:{color};margin:0 0 8px">{escape(alert.title)}</h2>',
        f"<p>{escape(alert.summary)}</p>",
        f'<table style="border-collapse:collapse">{rows}</table>',
        f"<p><em>Why:</em> {escape(alert.explanation.reason)}</p>",
    ]
    for chart in charts:
        parts.append(f'<p><img src="cid:{escape(chart.content_id)}" alt="{escape(chart.alt)}"></p>')
    if alert.posts:
        parts.append("<h3>Top posts</h3><ul>")
        for post in alert.posts:
            who = escape(post.author or "someone")
            text = escape(post.text)
            link = f' <a href="{escape(post.url)}">open</a>' if post.url else ""
            parts.append(f"<li><strong>{who}</strong> ({escape(post.network)}): {text}{link}</li>")
        parts.append("</ul>")
    words = alert.explanation.top_words
    if words:
        listed = ", ".join(f"{escape(w)} ({n})" for w, n in words)
        parts.append(f"<p><strong>Top words:</strong> {listed}</p>")
    authors = alert.explanation.top_authors
    if authors:
        listed = ", ".join(f"{escape(a)} ({n})" for a, n in authors)
        parts.append(f"<p><strong>Top authors:</strong> {listed}</p>")
    if alert.link:
        parts.append(f'<p><a href="{escape(alert.link)}">Open the stream</a></p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def build_message(
    alert: Alert,
    *,
    sender: str,
    recipients: Sequence[str],
    subject_prefix: str = "[Slusha]",
    charts: Sequence[InlineImage] = (),
    now: datetime | None = None,
) -> EmailMessage:
    """multipart/alternative: text/plain, then multipart/related (text/html + inline PNGs)."""
    message = EmailMessage()
    message["Subject"] = f"{subject_prefix} {alert.title}".strip()
    message["From"] = Address("Slusha", addr_spec=sender)
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now or alert.created_at)
    domain = _domain(sender)
    message["Message-ID"] = _message_id(alert.id, domain)
    # RFC 3834: automatic mail; vacation responders must not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Slusha-Alert-Id"] = alert.id
    if alert.state == "resolved" and alert.incident_id:
        # Thread "resolved" under the "firing" mail of the same incident.
        firing = _message_id(f"{alert.incident_id}:firing", domain)
        message["In-Reply-To"] = firing
        message["References"] = firing
    message.set_content(plain_text(alert))
    message.add_alternative(render_html(alert, charts), subtype="html")
    if charts:
        html_part = next(
            part for part in message.iter_parts() if part.get_content_type() == "text/html"
        )
        assert isinstance(html_part, EmailMessage)
        for chart in charts:
            html_part.add_related(
                chart.png,
                maintype="image",
                subtype="png",
                cid=f"<{chart.content_id}>",
                filename=f"{chart.content_id}.png",
                disposition="inline",
            )
    return message


def _smtp_error(exc: BaseException, host: str) -> SlushaError:
    """Classify an SMTP failure with a stable code (delivery decides about retries)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return PermanentError(f"{host} refused the login ({exc.smtp_code})", code="smtp_auth")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentError(f"{host} does not offer STARTTLS ({exc})", code="tls")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        transient = all(400 <= code < 500 for code in codes)
        detail = ", ".join(f"{addr}: {code}" for addr, (code, _) in exc.recipients.items())
        error_class = TransientError if transient else PermanentError
        return error_class(f"{host} refused the recipients ({detail})", code="smtp_rejected")
    if isinstance(exc, smtplib.SMTPResponseException):
        code = "smtp_4xx" if 400 <= exc.smtp_code < 500 else "smtp_5xx"
        error_class = TransientError if code == "smtp_4xx" else PermanentError
        return error_class(f"{host} answered {exc.smtp_code} {exc.smtp_error!r}", code=code)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return TransientError(f"TLS with {host} failed ({exc})", code="tls")
    if isinstance(exc, ConnectionRefusedError):
        return TransientError(f"{host} refused the connection", code="connect_refused")
    if isinstance(exc, TimeoutError):
        return TransientError(f"{host} did not answer in time", code="timeout")
    return TransientError(f"SMTP with {host} failed ({type(exc).__name__}: {exc})", code="connect")


class EmailNotifier(Notifier):
    """Sends alerts by e-mail through the operator's SMTP server."""

    kind: ClassVar[str] = "email"
    title: ClassVar[str] = "E-mail"
    summary: ClassVar[str] = "Send alerts by e-mail (SMTP with STARTTLS or TLS, HTML and text)."
    description: ClassVar[str] = (
        "Alerts go to the listed addresses through the server's SMTP settings, as HTML with a "
        "plain-text alternative; a resolved incident replies in the thread of its alert."
    )

    class Config(PluginConfig):
        """Who receives the e-mails."""

        to: list[str] = Field(
            min_length=1, max_length=MAX_RECIPIENTS, description="Recipient addresses."
        )
        subject_prefix: str = Field("[Slusha]", description="Put before every subject.")

        @field_validator("to")
        @classmethod
        def _check_to(cls, value: list[str]) -> list[str]:
            return [check_address(item) for item in value]

    target_hint: ClassVar[str] = "ADDR[,ADDR]"

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> EmailNotifier:
        """Sends through the server's SMTP settings (``values["smtp"]``); without them every
        delivery fails visibly with reason ``config``."""
        smtp = values.get("smtp")
        try:
            return cls(smtp=SmtpSettings.model_validate(smtp) if smtp else None)
        except ValidationError:
            return cls(smtp=None)

    @classmethod
    def parse_target(cls, target: str, *, new_secret: Callable[[], str]) -> BaseModel:
        """``email:ADDR[,ADDR...]`` (commas or semicolons between addresses)."""
        addresses = [part for part in target.replace(";", ",").split(",") if part.strip()]
        return cls.channel_config({"to": addresses} if addresses else {})

    def __init__(
        self, smtp: SmtpSettings | None = None, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.smtp = smtp
        # Injected so a private CA (or a test's self-signed one) can be trusted explicitly.
        self.ssl_context = ssl_context or ssl.create_default_context()

    def _settings(self) -> SmtpSettings:
        if self.smtp is None:
            raise PermanentError(
                "e-mail is not set up: the server has no SMTP settings", code="config"
            )
        return self.smtp

    async def send(
        self,
        ctx: PluginContext,
        config: Any,
        alert: Mapping[str, Any],
        *,
        charts: Sequence[InlineImage] = (),
        delivery_id: str | None = None,
    ) -> None:
        """Send one alert to the channel's recipients (its Message-ID is the same on every
        attempt, so mail servers and clients drop repeats)."""
        smtp = self._settings()
        message = build_message(
            as_alert(alert),
            sender=smtp.from_address,
            recipients=config.to,
            subject_prefix=config.subject_prefix,
            charts=charts,
            now=ctx.clock.now(),
        )
        await asyncio.to_thread(self._transmit, smtp, message, list(config.to))

    async def test(self, ctx: PluginContext, config: Any) -> HealthReport:
        """Connect, secure and log in without sending anything."""
        smtp = self._settings()
        try:
            await asyncio.to_thread(self._transmit, smtp, None, [])
        except SlushaError as exc:
            return HealthReport(ok=False, message=str(exc), code=exc.code)
        return HealthReport(ok=True, message=f"{smtp.host}:{smtp.port} accepted the login")

    def _transmit(
        self, smtp: SmtpSettings, message: EmailMessage | None, recipients: list[str]
    ) -> None:
        try:
            client: smtplib.SMTP
            if smtp.security == "tls":
                client = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=self.ssl_context
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
            with client:
                client.ehlo()
                if smtp.security == "starttls":
                    client.starttls(context=self.ssl_context)
                    client.ehlo()
                if smtp.username:
                    client.login(smtp.username, reveal(smtp.password))
                if message is None:
                    client.noop()
                    return
                client.send_message(message, from_addr=smtp.from_address, to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise _smtp_error(exc, smtp.host) from exc
