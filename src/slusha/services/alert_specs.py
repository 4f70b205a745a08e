"""What a person types for an alert rule (CLI options, API fields) turned into the rule's JSON."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slusha.domain.alerts import parse_rule
from slusha.domain.alerts.rules import RULE_KINDS
from slusha.errors import InputError
from slusha.query import QuerySyntaxError, compile_query

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass
class RuleSpec:
    """An alert rule as the CLI and the API take it; strings are parsed by ``rule_config``."""

    team: str
    kind: str
    topics: Sequence[str] = ()
    channels: Sequence[str] = ()
    name: str | None = None
    filter_query: str | None = None
    networks: Sequence[str] = ()
    languages: Sequence[str] = ()
    sentiments: Sequence[str] = ()
    min_followers: int | None = None
    watch_list: Sequence[str] = ()
    throttle: str | None = None  # "10/1h": at most 10 alerts per hour
    quiet_hours: str | None = None  # "22:00-07:00"
    timezone: str = "UTC"
    sensitivity: float | None = None
    window: str | None = None  # "1h", "30m"
    min_count: int | None = None
    schedule: str | None = None  # "hourly", "daily 08:00", "weekly mon 08:00"
    extra: dict[str, Any] = field(default_factory=dict)


class FilterQueryError(InputError):
    """The refinement query does not parse; carries the position for a caret."""

    code = "query_syntax"

    def __init__(self, query: str, error: QuerySyntaxError) -> None:
        super().__init__(
            f"the --filter query is not valid: {error.message} (at character {error.position})"
        )
        self.query = query
        self.error = error
        self.position = error.position
        self.reason = error.message


def parse_duration(text: str, *, what: str) -> int:
    """``90``, ``30s``, ``15m``, ``1h``, ``1d``, ``1w`` in seconds."""
    match = _DURATION.match(text or "")
    if not match:
        raise InputError(f"{what} must be a duration like 30m, 1h or 1d, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def parse_throttle(text: str) -> dict[str, int]:
    """``N/DURATION`` (``10/1h``) as the rule's throttle object."""
    count, sep, period = text.partition("/")
    if not sep or not count.strip().isdigit() or int(count) < 1:
        raise InputError(f"--throttle must look like 10/1h (at most 10 per hour), got {text!r}")
    return {
        "max_alerts": int(count),
        "period_seconds": parse_duration(period, what="the throttle period"),
    }


def parse_quiet_hours(text: str, timezone: str) -> dict[str, Any]:
    """``HH:MM-HH:MM`` (optionally followed by weekdays ``mon,tue``) as quiet hours."""
    window, _, days = text.strip().partition(" ")
    start, sep, end = window.partition("-")
    if not sep:
        raise InputError(f"--quiet-hours must look like 22:00-07:00, got {text!r}")
    out: dict[str, Any] = {"start": start.strip(), "end": end.strip(), "timezone": timezone}
    if days.strip():
        out["weekdays"] = [_weekday(day) for day in days.replace(" ", "").split(",") if day]
    return out


def _weekday(text: str) -> int:
    key = text.strip().lower()[:3]
    if key not in WEEKDAYS:
        raise InputError(f"unknown weekday {text!r} (mon, tue, wed, thu, fri, sat, sun)")
    return WEEKDAYS.index(key)


def parse_schedule(text: str, timezone: str) -> dict[str, Any]:
    """``hourly [:MM]``, ``daily [HH:MM]`` or ``weekly DAY [HH:MM]`` as a digest schedule."""
    parts = text.replace("@", " ").split()
    if not parts or parts[0].lower() not in ("hourly", "daily", "weekly"):
        raise InputError(
            f"--schedule must be 'hourly', 'daily 08:00' or 'weekly mon 08:00', got {text!r}"
        )
    every = parts[0].lower()
    out: dict[str, Any] = {"every": every, "timezone": timezone}
    rest = parts[1:]
    if every == "weekly":
        if not rest:
            raise InputError("a weekly --schedule needs a day: 'weekly mon 08:00'")
        out["weekday"] = _weekday(rest.pop(0))
    if rest:
        at = rest[0]
        out["at"] = f"00{at}" if at.startswith(":") else at
    elif every == "hourly":
        out["at"] = "00:00"
    return out


def validate_filter_query(query: str) -> None:
    """Raise ``FilterQueryError`` when the refinement query does not compile."""
    try:
        compile_query(query)
    except QuerySyntaxError as exc:
        raise FilterQueryError(query, exc) from None


def rule_config(spec: RuleSpec, *, topic_ids: Sequence[int]) -> dict[str, Any]:
    """The rule's JSON (``slusha.domain.alerts.parse_rule`` form), validated."""
    if spec.kind not in RULE_KINDS:
        raise InputError(f"unknown alert kind {spec.kind!r} (one of: {', '.join(RULE_KINDS)})")
    filters: dict[str, Any] = {}
    if spec.networks:
        filters["networks"] = sorted(set(spec.networks))
    if spec.languages:
        filters["languages"] = sorted({lang.lower() for lang in spec.languages})
    if spec.sentiments:
        filters["sentiments"] = sorted(set(spec.sentiments))
    if spec.filter_query and spec.filter_query.strip():
        validate_filter_query(spec.filter_query)
        filters["query"] = spec.filter_query.strip()
    obj: dict[str, Any] = {
        "id": "new",
        "team": spec.team,
        "kind": spec.kind,
        "topic_ids": [str(t) for t in topic_ids],
        "filters": filters,
        **spec.extra,
    }
    if spec.min_followers is not None:
        if spec.kind == "influencer":
            obj["influencer_min_followers"] = spec.min_followers
        else:
            filters["min_followers"] = spec.min_followers
    if spec.watch_list:
        obj["watch_list"] = list(spec.watch_list)
    if spec.throttle:
        obj["throttle"] = parse_throttle(spec.throttle)
    if spec.quiet_hours:
        obj["quiet_hours"] = parse_quiet_hours(spec.quiet_hours, spec.timezone)
    if spec.sensitivity is not None:
        obj["sensitivity"] = float(spec.sensitivity)
    if spec.window:
        obj["window_seconds"] = parse_duration(spec.window, what="--window")
    if spec.min_count is not None:
        obj["min_count"] = spec.min_count
    if spec.schedule:
        obj["digest"] = parse_schedule(spec.schedule, spec.timezone)
    elif spec.kind == "digest":
        raise InputError("a digest rule needs --schedule (hourly, 'daily 08:00', 'weekly mon')")
    rule = parse_rule(obj)  # every remaining problem is an InputError naming the key
    out = rule.to_dict()
    for key in ("id", "team", "name", "enabled", "snoozed_until", "topic_ids", "filters"):
        out.pop(key, None)
    out["filters"] = rule.filters.to_dict()
    return out
