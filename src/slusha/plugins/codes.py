"""Stable error codes of the outbound layer, and the plain words shown to operators."""

from __future__ import annotations

import re
from collections.abc import Callable

from slusha.errors import PermanentError, SlushaError, TransientError

# code -> what an operator reads in ``slusha sources list`` and the sources page. The English
# words are also the msgids of the web catalogue, which translates them (the technical detail
# that comes with an error, such as the URL and the status, is shown as it is).
HEALTH_MESSAGES: dict[str, str] = {
    "dns": "the host name could not be resolved (DNS)",
    "tls": "the secure connection failed (TLS certificate or handshake)",
    "timeout": "the server did not answer in time",
    "connect": "the server refused or dropped the connection",
    "network": "the connection broke before the answer was complete",
    "http_400": "the network rejected the request as malformed (HTTP 400)",
    "http_401": "the credentials were refused (HTTP 401): check the token or app password",
    "http_403": "access is forbidden (HTTP 403): the account lacks permission or is blocked",
    "http_404": "the address does not exist (HTTP 404)",
    "http_410": "the address is gone for good (HTTP 410)",
    "http_429": "rate limited by the network (HTTP 429): Slusha waits as asked",
    "http_4xx": "the network rejected the request (HTTP 4xx)",
    "http_5xx": "the network's server failed (HTTP 5xx)",
    "parse": "the answer could not be read (malformed feed or JSON)",
    "too_large": "the answer was larger than allowed (or a compression bomb)",
    "redirect_loop": "the address redirects in a loop or too many times",
    "private_address": "the address is on a loopback or private network (refused)",
    "bad_url": "the address is not a valid http(s) URL",
    "config": "the source's configuration is invalid",
    "connector_bug": "the connector failed unexpectedly (a bug: the log has the details)",
    "stale": "no new item within the expected period",
}


_HTTP_STATUS = re.compile(r"http_([1-5])\d\d")


def _same(text: str) -> str:
    return text


def error_kind(code: str | None) -> str | None:
    """The kind of failure a stored error code names: a key of ``HEALTH_MESSAGES``, or None.

    A status without words of its own (``http_418``) is the kind of its class (``http_4xx``).
    """
    if not code:
        return None
    if code in HEALTH_MESSAGES:
        return code
    status = _HTTP_STATUS.fullmatch(code)
    if status is not None and status.group(1) in ("4", "5"):
        return f"http_{status.group(1)}xx"
    return None


def describe_code(code: str | None, gettext: Callable[[str], str] = _same) -> str:
    """Plain words for an error code, through ``gettext`` (the code itself when unknown)."""
    if not code:
        return ""
    kind = error_kind(code)
    return gettext(HEALTH_MESSAGES[kind]) if kind else code.replace("_", " ")


def private_address_message(url: str, reason: str) -> str:
    """Why a URL was refused by the SSRF guard, and how the operator allows it."""
    return (
        f"refused to fetch {url}: {reason}. Sources may not reach loopback, private, link-local "
        "or cloud-metadata addresses; an operator who trusts the network can allow them with "
        "SLUSHA_ALLOW_PRIVATE_NETWORKS=1"
    )


def http_status_error(status: int, url: str, *, retry_after: float | None = None) -> SlushaError:
    """The classified error for a non-success HTTP status."""
    if status == 429:
        return TransientError(
            f"{url} answered 429 Too Many Requests"
            + (f" (retry after {retry_after:g} s)" if retry_after is not None else ""),
            code="http_429",
            retry_after_seconds=retry_after,
        )
    if status >= 500:
        return TransientError(
            f"{url} answered {status} (server error)",
            code="http_5xx",
            retry_after_seconds=retry_after,
        )
    if status in (400, 401, 403, 404, 410):
        return PermanentError(f"{url} answered {status}", code=f"http_{status}")
    if status == 408:
        return TransientError(f"{url} answered 408 Request Timeout", code="timeout")
    return PermanentError(f"{url} answered {status}", code="http_4xx")
