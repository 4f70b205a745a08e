"""Reading caching and retry headers (RFC 9110, RFC 9111) into seconds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """``Retry-After`` (RFC 9110 §10.2.3) as seconds: delta-seconds or an HTTP-date."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = now or _server_date(headers) or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def _server_date(headers: Mapping[str, str]) -> datetime | None:
    # Comparing with the server's own Date header cancels clock skew between the two machines.
    value = headers.get("date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cache_max_age_seconds(headers: Mapping[str, str]) -> float | None:
    """``Cache-Control: max-age`` (RFC 9111 §5.2.2.1) in seconds; ``no-store`` counts as none."""
    value = headers.get("cache-control")
    if not value:
        return None
    match = _MAX_AGE.search(value)
    return float(match.group(1)) if match else None
