"""Delivery: send an alert through a notifier with retries, and record what happened.

``deliver`` never raises (cancellation aside): every failure becomes a ``DeliveryResult`` with a
stable reason code, so the caller (a background task off the pipeline's path) only stores it.
Retries use exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
And Jitter", 2015), so channels that failed together do not retry in lockstep.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from slusha.domain.alerts.messages import Alert
from slusha.errors import SlushaError, TransientError
from slusha.plugins.api import Notifier, PluginContext

log = logging.getLogger("slusha.deliveries")

DeliveryStatus = Literal["sent", "failed"]

#: Reason codes and the words an operator reads on the admin page.
REASONS: dict[str, str] = {
    "timeout": "the channel did not answer in time",
    "connection_refused": "the channel's server refused the connection",
    "connection_error": "the connection to the channel broke",
    "tls_error": "the secure connection failed (certificate or handshake)",
    "dns": "the channel's host name could not be resolved",
    "http_4xx": "the channel rejected the message (HTTP 4xx): check the URL or the app",
    "http_5xx": "the channel's server failed (HTTP 5xx)",
    "rate_limited": "the channel asked Slusha to slow down (HTTP 429)",
    "blocked_address": "the URL points at a private or loopback address (refused)",
    "smtp_auth": "the mail server refused the login",
    "smtp_rejected": "the mail server refused the recipients",
    "smtp_4xx": "the mail server deferred the message (4xx)",
    "smtp_5xx": "the mail server rejected the message (5xx)",
    "config": "the channel or the server settings are incomplete or invalid",
    "error": "an unexpected error",
}
RETRYABLE: frozenset[str] = frozenset(
    {
        "timeout",
        "connection_refused",
        "connection_error",
        "tls_error",
        "dns",
        "http_5xx",
        "rate_limited",
        "smtp_4xx",
    }
)
_CODE_REASONS: dict[str, str] = {
    "timeout": "timeout",
    "connect": "connection_error",
    "connect_refused": "connection_refused",
    "network": "connection_error",
    "tls": "tls_error",
    "dns": "dns",
    "http_429": "rate_limited",
    "http_5xx": "http_5xx",
    "private_address": "blocked_address",
    "bad_url": "config",
    "config": "config",
    "smtp_auth": "smtp_auth",
    "smtp_rejected": "smtp_rejected",
    "smtp_4xx": "smtp_4xx",
    "smtp_5xx": "smtp_5xx",
    "too_large": "error",
    "parse": "error",
}


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a failed delivery."""

    max_attempts: int = 5
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 120.0

    def delay(self, attempt: int, rng: random.Random, *, at_least: float = 0.0) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based): full jitter, capped."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        return min(self.max_delay_seconds, max(at_least, rng.uniform(0, ceiling)))


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one delivery: sent or failed, after how many attempts, and why."""

    status: DeliveryStatus
    attempts: int
    reason: str | None = None
    message: str = ""
    channel: str = ""
    alert_id: str = ""

    @property
    def is_sent(self) -> bool:
        """True when the channel accepted the alert."""
        return self.status == "sent"

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON (what the store records)."""
        return {
            "status": self.status,
            "attempts": self.attempts,
            "reason": self.reason,
            "message": self.message,
            "channel": self.channel,
            "alert_id": self.alert_id,
        }


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify_failure(exc: BaseException) -> tuple[str, bool, float | None]:
    """``(reason, retryable, retry_after_seconds)`` for any exception a notifier raised."""
    chain = _chain(exc)
    refused = any(
        isinstance(e, ConnectionRefusedError)
        or (isinstance(e, OSError) and e.errno == errno.ECONNREFUSED)
        or "connection refused" in str(e).lower()
        for e in chain
    )
    if isinstance(exc, SlushaError):
        reason = _CODE_REASONS.get(exc.code)
        if reason is None and exc.code.startswith("http_"):
            reason = "http_4xx"
        reason = reason or "error"
        if reason == "connection_error" and refused:
            reason = "connection_refused"
        retry_after = exc.retry_after_seconds if isinstance(exc, TransientError) else None
        retryable = reason in RETRYABLE or (reason == "error" and isinstance(exc, TransientError))
        return reason, retryable, retry_after
    if refused:
        return "connection_refused", True, None
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain):
        return "tls_error", True, None
    if any(isinstance(e, TimeoutError) for e in chain):
        return "timeout", True, None
    if isinstance(exc, OSError):
        return "connection_error", True, None
    return "error", False, None


async def deliver(
    notifier: Notifier,
    ctx: PluginContext,
    config: Any,
    alert: Alert | Mapping[str, Any],
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
    **send_options: Any,
) -> DeliveryResult:
    """Send ``alert`` through ``notifier``, retrying what may succeed later; never raises.

    ``send_options`` go to ``notifier.send`` (e.g. ``charts=`` for e-mail). Run it as a task
    off the pipeline's path; the retries can take minutes by design.
    """
    policy = policy or RetryPolicy()
    rng = rng or random.Random()
    payload = alert.to_dict() if isinstance(alert, Alert) else dict(alert)
    alert_id = str(payload.get("id", ""))
    attempt = 0
    while True:
        attempt += 1
        try:
            await notifier.send(ctx, config, payload, **send_options)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure is recorded, none escapes
            reason, retryable, retry_after = classify_failure(exc)
            message = str(exc) or type(exc).__name__
            log.warning(
                "alert delivery failed",
                extra={
                    "channel": notifier.kind,
                    "alert_id": alert_id,
                    "attempt": attempt,
                    "reason": reason,
                },
            )
            if not retryable or attempt >= policy.max_attempts:
                return DeliveryResult(
                    "failed", attempt, reason, message, channel=notifier.kind, alert_id=alert_id
                )
            await sleep(policy.delay(attempt, rng, at_least=retry_after or 0.0))
            continue
        return DeliveryResult("sent", attempt, channel=notifier.kind, alert_id=alert_id)
