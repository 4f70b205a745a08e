"""The stream filters of the mentions page, read from the query string."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from fastapi import Request

from slusha.clock import Clock
from slusha.services.stream import StreamQuery

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
FIELDS = ("team_id", "topic_id", "network", "lang", "sentiment", "period", "from", "to", "q")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _day(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def read_filters(request: Request) -> dict[str, str]:
    """The filter fields present in the query string (bounded, strings)."""
    params = request.query_params
    return {k: params[k][:200] for k in FIELDS if params.get(k)}


def stream_query(values: dict[str, str], *, clock: Clock, cursor: str | None = None) -> StreamQuery:
    """The filters as a service query; unknown values are ignored rather than refused."""
    since = until = None
    period = values.get("period")
    if period in PERIODS:
        since = clock.now() - PERIODS[period]
    if _day(values.get("from")):
        since = _day(values.get("from"))
    if _day(values.get("to")):
        until = (_day(values.get("to")) or clock.now()) + timedelta(days=1)
    sentiment = values.get("sentiment")
    lang = values.get("lang")
    return StreamQuery(
        team_id=_int(values.get("team_id")),
        topic_id=_int(values.get("topic_id")),
        network=values.get("network") or None,
        lang=lang if lang and lang.isalpha() and len(lang) <= 3 else None,
        sentiment=sentiment if sentiment in ("negative", "neutral", "positive") else None,
        since=since,
        until=until,
        q=values.get("q") or None,
        cursor=cursor,
        limit=50,
    )


def query_string(values: dict[str, str], **extra: str) -> str:
    """The filters (and ``extra``) as a query string."""
    return urlencode({**values, **extra})
