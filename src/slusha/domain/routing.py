"""Routing rules: which teams' inboxes a matched post reaches, with priority, tags and status.

A post that matches a topic goes to the topic's team. Rules refine this, in order: a rule whose
query matched the post and whose conditions hold for the topic applies its actions, then
processing stops unless the rule says ``continue``. Pure: the caller tells which rules' queries
matched (the matcher does that for every rule at once).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slusha.errors import InputError

PRIORITIES = ("low", "normal", "high", "urgent")
ROUTE_MODES = ("replace", "add")
TOPIC_KINDS = ("brand", "competitor", "campaign", "person", "other")
MAX_TAG_CHARS = 50


def normalise_tag(tag: str) -> str:
    """Tags are lower case, without '#', spaces become '-'; ``InputError`` when empty or long."""
    value = "-".join(tag.strip().lstrip("#").casefold().split())
    if not value or len(value) > MAX_TAG_CHARS:
        raise InputError(f"tag {tag!r} must have 1 to {MAX_TAG_CHARS} characters")
    return value


@dataclass(frozen=True, slots=True)
class RuleActions:
    """What a rule does: route to teams, set priority, add tags, auto-close."""

    team_ids: tuple[int, ...] = ()
    mode: str = "replace"  # replace the topic's team, or add these teams to it
    priority: str | None = None
    tags: tuple[str, ...] = ()
    close: bool = False  # auto-close: the mention arrives as "ignored" (spam, job ads)

    def __post_init__(self) -> None:
        if self.mode not in ROUTE_MODES:
            raise InputError(f"route mode {self.mode!r} is not one of {', '.join(ROUTE_MODES)}")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise InputError(f"priority {self.priority!r} is not one of {', '.join(PRIORITIES)}")
        if not (self.team_ids or self.priority or self.tags or self.close):
            raise InputError(
                "a routing rule needs at least one action (team, priority, tag, close)"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as stored."""
        return {
            "team_ids": list(self.team_ids),
            "mode": self.mode,
            "priority": self.priority,
            "tags": list(self.tags),
            "close": self.close,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleActions:
        """Read the stored JSON form."""
        return cls(
            team_ids=tuple(int(t) for t in data.get("team_ids") or ()),
            mode=str(data.get("mode") or "replace"),
            priority=data.get("priority"),
            tags=tuple(normalise_tag(t) for t in data.get("tags") or ()),
            close=bool(data.get("close")),
        )


@dataclass(frozen=True, slots=True)
class RuleConditions:
    """Conditions on the matched topic; an empty set means any."""

    topic_ids: frozenset[int] = frozenset()
    topic_kinds: frozenset[str] = frozenset()
    team_ids: frozenset[int] = frozenset()  # the topic's owning team

    def __post_init__(self) -> None:
        unknown = set(self.topic_kinds) - set(TOPIC_KINDS)
        if unknown:
            raise InputError(f"unknown topic kind(s) {sorted(unknown)} (one of {TOPIC_KINDS})")

    def holds(self, topic: TopicRef) -> bool:
        """True when the topic satisfies every condition."""
        return (
            (not self.topic_ids or topic.id in self.topic_ids)
            and (not self.topic_kinds or topic.kind in self.topic_kinds)
            and (not self.team_ids or topic.team_id in self.team_ids)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as stored."""
        return {
            "topic_ids": sorted(self.topic_ids),
            "topic_kinds": sorted(self.topic_kinds),
            "team_ids": sorted(self.team_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleConditions:
        """Read the stored JSON form."""
        return cls(
            topic_ids=frozenset(int(t) for t in data.get("topic_ids") or ()),
            topic_kinds=frozenset(str(k) for k in data.get("topic_kinds") or ()),
            team_ids=frozenset(int(t) for t in data.get("team_ids") or ()),
        )


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """One ordered rule of the organisation."""

    id: int
    name: str
    position: int
    query: str
    actions: RuleActions
    conditions: RuleConditions = field(default_factory=RuleConditions)
    stop: bool = True  # later rules are not looked at once this one applied


@dataclass(frozen=True, slots=True)
class TopicRef:
    """What routing needs to know about a matched topic."""

    id: int
    team_id: int
    kind: str = "brand"


@dataclass(frozen=True, slots=True)
class Decision:
    """Where one matched topic's mention goes: one entry per team."""

    topic_id: int
    team_id: int
    priority: str = "normal"
    status: str = "new"
    tags: tuple[str, ...] = ()
    rule_ids: tuple[int, ...] = ()


def decide_topic(
    topic: TopicRef, rules: Sequence[RoutingRule], matched_rule_ids: Collection[int]
) -> list[Decision]:
    """Apply the rules (in position order) to one matched topic."""
    teams: list[int] = [topic.team_id]
    priority = "normal"
    status = "new"
    tags: list[str] = []
    applied: list[int] = []
    for rule in sorted(rules, key=lambda r: (r.position, r.id)):
        if rule.id not in matched_rule_ids or not rule.conditions.holds(topic):
            continue
        actions = rule.actions
        if actions.team_ids:
            if actions.mode == "replace":
                teams = list(dict.fromkeys(actions.team_ids))
            else:
                teams = list(dict.fromkeys([*teams, *actions.team_ids]))
        if actions.priority is not None:
            priority = actions.priority
        for tag in actions.tags:
            if tag not in tags:
                tags.append(tag)
        if actions.close:
            status = "ignored"
        applied.append(rule.id)
        if rule.stop:
            break
    return [
        Decision(topic.id, team_id, priority, status, tuple(tags), tuple(applied))
        for team_id in teams
    ]


def decide(
    topics: Iterable[TopicRef], rules: Sequence[RoutingRule], matched_rule_ids: Collection[int]
) -> list[Decision]:
    """Every matched topic's decisions, in topic order; one per (topic, team)."""
    out: list[Decision] = []
    for topic in topics:
        out.extend(decide_topic(topic, rules, matched_rule_ids))
    return out
