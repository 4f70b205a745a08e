"""Alert rules as value objects, their JSON form, and which mentions a rule looks at."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, cast

from slusha.domain.alerts.schedule import (
    ALL_WEEKDAYS,
    DigestSchedule,
    QuietHours,
    parse_clock,
)
from slusha.domain.post import Post, parse_datetime
from slusha.errors import InputError

RuleKind = Literal["match", "spike", "sentiment", "influencer", "digest"]
RULE_KINDS: tuple[str, ...] = ("match", "spike", "sentiment", "influencer", "digest")
SENTIMENTS: frozenset[str] = frozenset({"positive", "neutral", "negative"})
# Kinds that fire per mention; the others are evaluated on a timer over a window.
PER_MENTION_KINDS: frozenset[str] = frozenset({"match", "influencer"})

#: Evaluates a rule's refinement query against a post (the matcher lives in ``slusha.query``).
Refinement = Callable[[Post], bool]


@dataclass(frozen=True, slots=True)
class MentionFacts:
    """What a rule looks at in one mention: the post, its topic, team, language and sentiment."""

    post: Post
    topic_id: str
    team: str
    sentiment: str | None = None
    lang: str | None = None

    @property
    def language(self) -> str | None:
        """The detected language, else the one the network declared."""
        return self.lang or self.post.lang


@dataclass(frozen=True, slots=True)
class Filters:
    """Optional conditions a mention must meet; an empty set means "any"."""

    networks: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    sentiments: frozenset[str] = frozenset()
    min_followers: int | None = None
    query: str | None = None

    def __post_init__(self) -> None:
        unknown = self.sentiments - SENTIMENTS
        if unknown:
            raise InputError(
                f"unknown sentiment {sorted(unknown)} (one of: {', '.join(sorted(SENTIMENTS))})"
            )
        if self.min_followers is not None and self.min_followers < 0:
            raise InputError("min_followers must not be negative")

    def to_dict(self) -> dict[str, Any]:
        """The filters as JSON (empty ones left out)."""
        out: dict[str, Any] = {}
        for key in ("networks", "languages", "sentiments"):
            values = getattr(self, key)
            if values:
                out[key] = sorted(values)
        if self.min_followers is not None:
            out["min_followers"] = self.min_followers
        if self.query:
            out["query"] = self.query
        return out


@dataclass(frozen=True, slots=True)
class Throttle:
    """At most ``max_alerts`` per-mention alerts per ``period_seconds``, then one summary."""

    max_alerts: int = 10
    period_seconds: int = 3600

    def __post_init__(self) -> None:
        if self.max_alerts < 1 or self.period_seconds < 1:
            raise InputError("throttle needs max_alerts >= 1 and period_seconds >= 1")


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One alert rule of a team. Fields that a kind does not use are ignored for it.

    ``sensitivity`` is the number of false alarms per month the rule accepts (spike, sentiment):
    1.0 means "about one false alarm a month", 0.1 about one a year.
    """

    id: str
    team: str
    kind: RuleKind
    name: str = ""
    topic_ids: frozenset[str] = frozenset()
    filters: Filters = field(default_factory=Filters)
    throttle: Throttle = field(default_factory=Throttle)
    quiet_hours: QuietHours | None = None
    snoozed_until: datetime | None = None
    enabled: bool = True
    sensitivity: float = 1.0
    window_seconds: int = 3600
    min_count: int = 10
    min_ratio: float = 1.5
    min_shift: float = 0.1
    clear_after_seconds: int = 900
    influencer_min_followers: int | None = None
    watch_list: frozenset[str] = frozenset()
    digest: DigestSchedule | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.team:
            raise InputError("an alert rule needs an id and a team")
        if self.kind not in RULE_KINDS:
            raise InputError(f"unknown alert kind {self.kind!r} (one of: {', '.join(RULE_KINDS)})")
        if not (math.isfinite(self.sensitivity) and 0.001 <= self.sensitivity <= 1000):
            raise InputError(
                "sensitivity is false alarms per month and must be between 0.001 and 1000"
            )
        if not 60 <= self.window_seconds <= 7 * 24 * 3600:
            raise InputError("window_seconds must be between 60 and 604800")
        if self.min_count < 1 or self.min_ratio < 1.0 or not 0.0 <= self.min_shift < 1.0:
            raise InputError("min_count >= 1, min_ratio >= 1 and 0 <= min_shift < 1 are required")
        if self.clear_after_seconds < 0:
            raise InputError("clear_after_seconds must not be negative")
        if self.snoozed_until is not None and self.snoozed_until.tzinfo is None:
            raise InputError("snoozed_until needs a time-zone offset")
        if (
            self.kind == "influencer"
            and self.influencer_min_followers is None
            and not (self.watch_list)
        ):
            raise InputError("an influencer rule needs a follower threshold or a watch list")
        if self.kind == "digest" and self.digest is None:
            raise InputError("a digest rule needs a schedule (hourly, daily or weekly)")
        object.__setattr__(self, "watch_list", frozenset(_handle(h) for h in self.watch_list))

    @property
    def display_name(self) -> str:
        """The name people see: the given name, else kind and id."""
        return self.name or f"{self.kind} alert {self.id}"

    def is_snoozed(self, now: datetime) -> bool:
        """Whether the rule is snoozed at ``now``."""
        return self.snoozed_until is not None and now < self.snoozed_until

    def snoozed(self, until: datetime | None) -> AlertRule:
        """A copy snoozed until ``until`` (None wakes it)."""
        return replace(self, snoozed_until=until)

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON; ``parse_rule(rule.to_dict()) == rule``."""
        out: dict[str, Any] = {
            "id": self.id,
            "team": self.team,
            "kind": self.kind,
            "name": self.name,
            "topic_ids": sorted(self.topic_ids),
            "filters": self.filters.to_dict(),
            "throttle": {
                "max_alerts": self.throttle.max_alerts,
                "period_seconds": self.throttle.period_seconds,
            },
            "enabled": self.enabled,
            "sensitivity": self.sensitivity,
            "window_seconds": self.window_seconds,
            "min_count": self.min_count,
            "min_ratio": self.min_ratio,
            "min_shift": self.min_shift,
            "clear_after_seconds": self.clear_after_seconds,
            "watch_list": sorted(self.watch_list),
        }
        if self.quiet_hours is not None:
            out["quiet_hours"] = self.quiet_hours.to_dict()
        if self.snoozed_until is not None:
            out["snoozed_until"] = self.snoozed_until.isoformat()
        if self.influencer_min_followers is not None:
            out["influencer_min_followers"] = self.influencer_min_followers
        if self.digest is not None:
            out["digest"] = self.digest.to_dict()
        return out


def _handle(value: str) -> str:
    return value.strip().lstrip("@").casefold()


def rule_accepts(
    rule: AlertRule, mention: MentionFacts, *, refine: Refinement | None = None
) -> bool:
    """Whether ``mention`` is one this rule watches (team, topics, filters, influencer test).

    A rule with a refinement query needs ``refine``; it is an error to ignore the query silently.
    """
    if not rule.enabled or mention.team != rule.team:
        return False
    if rule.topic_ids and mention.topic_id not in rule.topic_ids:
        return False
    filters = rule.filters
    if filters.networks and mention.post.network not in filters.networks:
        return False
    if filters.languages and mention.language not in filters.languages:
        return False
    if filters.sentiments and mention.sentiment not in filters.sentiments:
        return False
    followers = mention.post.author_followers or 0
    if filters.min_followers is not None and followers < filters.min_followers:
        return False
    if rule.kind == "influencer" and not _is_influencer(rule, mention.post):
        return False
    if filters.query:
        if refine is None:
            raise ValueError(f"rule {rule.id} has a refinement query; pass refine=")
        return refine(mention.post)
    return True


def _is_influencer(rule: AlertRule, post: Post) -> bool:
    author = post.author
    if author is None:
        return False
    if author.handle and _handle(author.handle) in rule.watch_list:
        return True
    threshold = rule.influencer_min_followers
    return threshold is not None and (author.followers or 0) >= threshold


def _strings(obj: Mapping[str, Any], key: str) -> frozenset[str]:
    value = obj.get(key) or []
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InputError(f"'{key}' must be a list of strings")
    if not all(isinstance(item, str) for item in value):
        raise InputError(f"'{key}' must be a list of strings")
    return frozenset(value)


def _number(obj: Mapping[str, Any], key: str, default: float) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"'{key}' must be a number, got {value!r}")
    return float(value)


def _integer(obj: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = obj.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"'{key}' must be a whole number, got {value!r}")
    return value


def _object(obj: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise InputError(f"'{key}' must be an object")
    return value


def parse_rule(obj: Any) -> AlertRule:
    """Validate a rule's JSON form; every problem is an ``InputError`` naming the key."""
    if not isinstance(obj, Mapping):
        raise InputError("an alert rule must be a JSON object")
    for key in ("id", "team", "kind"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise InputError(f"'{key}' is required and must be a string")
    defaults = AlertRule(id="-", team="-", kind="match")
    filters_in = _object(obj, "filters") or {}
    query = filters_in.get("query")
    if query is not None and not isinstance(query, str):
        raise InputError("'filters.query' must be a string")
    filters = Filters(
        networks=_strings(filters_in, "networks"),
        languages=frozenset(lang.lower() for lang in _strings(filters_in, "languages")),
        sentiments=_strings(filters_in, "sentiments"),
        min_followers=_integer(filters_in, "min_followers", None),
        query=query or None,
    )
    throttle_in = _object(obj, "throttle") or {}
    throttle = Throttle(
        max_alerts=_integer(throttle_in, "max_alerts", defaults.throttle.max_alerts) or 0,
        period_seconds=_integer(throttle_in, "period_seconds", defaults.throttle.period_seconds)
        or 0,
    )
    quiet = None
    quiet_in = _object(obj, "quiet_hours")
    if quiet_in is not None:
        weekdays = quiet_in.get("weekdays", sorted(ALL_WEEKDAYS))
        if not isinstance(weekdays, list) or not all(isinstance(d, int) for d in weekdays):
            raise InputError("'quiet_hours.weekdays' must be a list of numbers 0-6")
        quiet = QuietHours(
            start=parse_clock(quiet_in.get("start"), key="quiet_hours.start"),
            end=parse_clock(quiet_in.get("end"), key="quiet_hours.end"),
            timezone=str(quiet_in.get("timezone", "UTC")),
            weekdays=frozenset(weekdays),
        )
    digest = None
    digest_in = _object(obj, "digest")
    if digest_in is not None:
        digest = DigestSchedule(
            every=cast(Any, digest_in.get("every", "daily")),
            at=parse_clock(digest_in.get("at", "08:00"), key="digest.at"),
            weekday=_integer(digest_in, "weekday", 0) or 0,
            timezone=str(digest_in.get("timezone", "UTC")),
        )
    snoozed = obj.get("snoozed_until")
    name = obj.get("name", "")
    if not isinstance(name, str):
        raise InputError("'name' must be a string")
    enabled = obj.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InputError("'enabled' must be true or false")
    return AlertRule(
        id=obj["id"],
        team=obj["team"],
        kind=obj["kind"],
        name=name,
        topic_ids=_strings(obj, "topic_ids"),
        filters=filters,
        throttle=throttle,
        quiet_hours=quiet,
        snoozed_until=None if snoozed is None else parse_datetime(snoozed, key="snoozed_until"),
        enabled=enabled,
        sensitivity=_number(obj, "sensitivity", defaults.sensitivity),
        window_seconds=_integer(obj, "window_seconds", defaults.window_seconds) or 0,
        min_count=_integer(obj, "min_count", defaults.min_count) or 0,
        min_ratio=_number(obj, "min_ratio", defaults.min_ratio),
        min_shift=_number(obj, "min_shift", defaults.min_shift),
        clear_after_seconds=_integer(obj, "clear_after_seconds", defaults.clear_after_seconds) or 0,
        influencer_min_followers=_integer(obj, "influencer_min_followers", None),
        watch_list=_strings(obj, "watch_list"),
        digest=digest,
    )
