"""The error tree. Every failure carries a stable ``code`` that drives retries, health and UI."""

from __future__ import annotations


class SlushaError(Exception):
    """Base of every error Slusha raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class TransientError(SlushaError):
    """Worth retrying later: timeouts, 429, 5xx, a service that is down."""

    code = "transient"

    def __init__(
        self, message: str, *, code: str | None = None, retry_after_seconds: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after_seconds = retry_after_seconds


class PermanentError(SlushaError):
    """Retrying will not help until someone changes something."""

    code = "permanent"


class ConfigError(PermanentError):
    """A setting or a plugin configuration is wrong."""

    code = "config"


class InputError(PermanentError):
    """Input from a user or a network was rejected (malformed post, bad query, ...)."""

    code = "input"


class NotFound(PermanentError):
    """The thing asked for does not exist."""

    code = "not_found"


class Forbidden(PermanentError):
    """The caller may not do this."""

    code = "forbidden"


class Conflict(PermanentError):
    """The thing exists already or changed under the caller."""

    code = "conflict"
