"""Dashboard charts from the daily rollups: data rows plus a Vega-Lite spec per chart.

A chart covers whole UTC days: the last ``days`` days, today included.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from slusha.clock import Clock
from slusha.domain import charts
from slusha.errors import InputError, NotFound
from slusha.services.access import Principal, require
from slusha.store import dashboards as store_dashboards
from slusha.store.db import Database
from slusha.store.rollups import day_of

CHARTS = ("volume", "sentiment", "networks", "languages", "topics")
MAX_DAYS = 366


def _window(clock: Clock, days: int) -> tuple[datetime, datetime]:
    if not 1 <= days <= MAX_DAYS:
        raise InputError(f"days is 1 to {MAX_DAYS}", code="bad_filter")
    until = day_of(clock.now()) + timedelta(days=1)
    return until - timedelta(days=days), until


def _by_day(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    days: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in rows:
        day, *rest, count = row
        days[(day.date().isoformat(), *rest)] += int(count)
    return days


def chart(
    db: Database,
    *,
    principal: Principal,
    name: str,
    clock: Clock,
    team_id: int | None = None,
    days: int = 30,
) -> dict[str, Any]:
    """One chart's rows and Vega-Lite spec, for a team or (``team_id=None``) the organisation."""
    if name not in CHARTS:
        raise NotFound(f"no chart named {name!r} (charts: {', '.join(CHARTS)})")
    if team_id is not None and not principal.is_member(team_id):
        raise NotFound(f"no team with id {team_id}")
    require(principal, "dashboards.read", team_id)
    since, until = _window(clock, days)
    common: dict[str, Any] = {
        "since": since, "until": until, "visibility": principal.visibility, "team_id": team_id,
    }  # fmt: skip
    with db.read() as tx:
        session = tx.session
        if name == "volume":
            grouped = _by_day(
                store_dashboards.rollup_counts(
                    session, dimension="sentiment", group_by=["day"], **common
                )
            )
            values = [{"day": k[0], "mentions": v} for k, v in sorted(grouped.items())]
            spec = charts.volume_spec(values)
        elif name == "sentiment":
            rows = store_dashboards.rollup_counts(
                session, dimension="sentiment", group_by=["day", "value"], **common
            )
            grouped = _by_day(rows)
            values = [
                {"day": k[0], "sentiment": k[1] or "unknown", "mentions": v}
                for k, v in sorted(grouped.items())
            ]
            spec = charts.sentiment_spec(values)
        elif name in ("networks", "languages"):
            dim = "network" if name == "networks" else "lang"
            rows = store_dashboards.rollup_counts(
                session, dimension=dim, group_by=["value"], **common
            )
            values = sorted(
                ({dim: r[0] or "unknown", "mentions": int(r[1])} for r in rows),
                key=lambda v: -int(v["mentions"]),
            )
            spec = charts.ranking_spec(values, field=dim)
        else:
            rows = store_dashboards.rollup_counts(
                session, dimension="sentiment", group_by=["topic_id"], limit=10, **common
            )
            names = store_dashboards.topic_names(session, ids=[int(r[0]) for r in rows])
            values = [
                {"topic": names.get(int(r[0]), str(r[0])), "mentions": int(r[1])} for r in rows
            ]
            spec = charts.ranking_spec(values, field="topic")
    return {
        "chart": name,
        "team_id": team_id,
        "since": since,
        "until": until,
        "values": values,
        "spec": spec,
    }
