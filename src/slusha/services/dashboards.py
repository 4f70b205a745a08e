"""Dashboard charts from the hourly rollups: data rows plus a Vega-Lite spec per chart."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from slusha.clock import Clock
from slusha.errors import InputError, NotFound
from slusha.services.access import Principal, require
from slusha.store import dashboards as store_dashboards
from slusha.store.db import Database

CHARTS = ("volume", "sentiment", "networks", "languages", "topics")
MAX_DAYS = 366
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _window(clock: Clock, days: int) -> tuple[datetime, datetime]:
    if not 1 <= days <= MAX_DAYS:
        raise InputError(f"days is 1 to {MAX_DAYS}", code="bad_filter")
    now = clock.now()
    until = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return until - timedelta(days=days), until


def _spec(mark: str, encoding: dict[str, Any], values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": {"type": mark, "tooltip": True, **({"point": True} if mark == "line" else {})},
        "encoding": encoding,
    }


def _by_day(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    days: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in rows:
        hour, *rest, count = row
        days[(hour.date().isoformat(), *rest)] += int(count)
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
            grouped = _by_day(store_dashboards.rollup_counts(session, group_by=["hour"], **common))
            values = [{"day": k[0], "mentions": v} for k, v in sorted(grouped.items())]
            spec = _spec("line", {
                "x": {"field": "day", "type": "temporal", "title": None},
                "y": {"field": "mentions", "type": "quantitative", "title": None},
            }, values)  # fmt: skip
        elif name == "sentiment":
            rows = store_dashboards.rollup_counts(session, group_by=["hour", "sentiment"], **common)
            grouped = _by_day(rows)
            values = [
                {"day": k[0], "sentiment": k[1] or "unknown", "mentions": v}
                for k, v in sorted(grouped.items())
            ]
            spec = _spec("area", {
                "x": {"field": "day", "type": "temporal", "title": None},
                "y": {"field": "mentions", "type": "quantitative", "stack": "normalize",
                      "title": None},
                "color": {"field": "sentiment", "type": "nominal",
                          "scale": {"domain": ["negative", "neutral", "positive", "unknown"],
                                    "range": ["#c0392b", "#95a5a6", "#27ae60", "#dddddd"]}},
            }, values)  # fmt: skip
        elif name in ("networks", "languages"):
            dim = "network" if name == "networks" else "lang"
            rows = store_dashboards.rollup_counts(session, group_by=[dim], **common)
            values = sorted(
                ({dim: r[0] or "unknown", "mentions": int(r[1])} for r in rows),
                key=lambda v: -int(v["mentions"]),
            )
            spec = _spec("bar", {
                "y": {"field": dim, "type": "nominal", "sort": "-x", "title": None},
                "x": {"field": "mentions", "type": "quantitative", "title": None},
            }, values)  # fmt: skip
        else:
            rows = store_dashboards.rollup_counts(
                session, group_by=["topic_id"], limit=10, **common
            )
            names = store_dashboards.topic_names(session, ids=[int(r[0]) for r in rows])
            values = [
                {"topic": names.get(int(r[0]), str(r[0])), "mentions": int(r[1])} for r in rows
            ]
            spec = _spec("bar", {
                "y": {"field": "topic", "type": "nominal", "sort": "-x", "title": None},
                "x": {"field": "mentions", "type": "quantitative", "title": None},
            }, values)  # fmt: skip
    return {
        "chart": name,
        "team_id": team_id,
        "since": since,
        "until": until,
        "values": values,
        "spec": spec,
    }
