"""Charts for alert e-mails: the dashboards' Vega-Lite specs (``slusha.domain.charts``) with the
rule's own numbers, rendered to PNG with vl-convert and attached inline (``cid:``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from slusha.domain import charts
from slusha.plugins.api import InlineImage
from slusha.services import alert_runs
from slusha.store.alerts import RollupScope
from slusha.store.db import Database

log = logging.getLogger("slusha.alerts.charts")
HISTORY_HOURS = 24


def render_png(spec: Mapping[str, Any], *, scale: float = 1.0) -> bytes:
    """A Vega-Lite spec as PNG bytes (vl-convert's embedded engine; no browser, no network)."""
    import vl_convert

    png: bytes = vl_convert.vegalite_to_png(charts.fixed_width(dict(spec)), scale=scale)
    return png


def chart_specs(
    db: Database, *, scope: RollupScope, alert: Mapping[str, Any], now: datetime
) -> list[tuple[str, str, dict[str, Any]]]:
    """``(content id, alt text, spec)`` for the alert: mentions per hour over the last day, and
    observed against expected when the alert has both."""
    alert_id = str(alert.get("id", "alert"))
    safe = "".join(c if c.isalnum() else "-" for c in alert_id)[-60:]
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=HISTORY_HOURS)
    counts = alert_runs.hourly_history(db, scope=scope, start=start, end=end)
    by_hour = {hour.replace(tzinfo=None): total for hour, (total, _neg) in counts.items()}
    values = []
    for step in range(HISTORY_HOURS):
        hour = start + timedelta(hours=step)
        values.append(
            {"hour": hour.isoformat(), "mentions": by_hour.get(hour.replace(tzinfo=None), 0)}
        )
    out = [(f"volume-{safe}", "Mentions per hour, last 24 hours",
            charts.volume_spec(values, x="hour"))]  # fmt: skip
    explanation = alert.get("explanation") or {}
    observed, expected = explanation.get("observed"), explanation.get("expected")
    if observed is not None and expected is not None:
        unit = str(explanation.get("unit") or "mentions")
        out.append((f"observed-{safe}", "Observed against expected",
                    charts.observed_expected_spec(observed, expected, unit=unit)))  # fmt: skip
    return out


def email_charts(
    db: Database, *, scope: RollupScope, alert: Mapping[str, Any], now: datetime
) -> list[InlineImage]:
    """The alert's charts as inline PNGs; none (logged) when they cannot be made, so the
    e-mail still goes out."""
    try:
        return [
            InlineImage(content_id=cid, png=render_png(spec), alt=alt)
            for cid, alt, spec in chart_specs(db, scope=scope, alert=alert, now=now)
        ]
    except Exception:  # a chart must never stop an alert
        log.exception("alerts.charts_failed", extra={"alert_id": alert.get("id")})
        return []
