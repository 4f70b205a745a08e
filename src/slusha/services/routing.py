"""Routing rules: add (validated, audited), list, enable and disable, load for the route stage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slusha.clock import Clock
from slusha.domain.routing import RoutingRule, RuleActions, RuleConditions, normalise_tag
from slusha.errors import Conflict, InputError, NotFound
from slusha.services.access import Principal
from slusha.services.inbox_access import operator, require_inbox
from slusha.services.topics import validate_query
from slusha.store import routing as store_routing
from slusha.store import teams as store_teams
from slusha.store import topics as store_topics
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import RoutingRuleRecord


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as a user gives it: names, not ids."""

    name: str
    query: str
    teams: tuple[str, ...] = ()
    mode: str = "replace"
    priority: str | None = None
    tags: tuple[str, ...] = ()
    close: bool = False
    topics: tuple[str, ...] = ()
    topic_kinds: tuple[str, ...] = ()
    topic_teams: tuple[str, ...] = ()
    position: int | None = None
    stop: bool = True


def to_domain(row: RoutingRuleRecord) -> RoutingRule:
    """A stored rule as the domain sees it."""
    return RoutingRule(
        id=row.id,
        name=row.name,
        position=row.position,
        query=row.query,
        actions=RuleActions.from_dict(row.actions or {}),
        conditions=RuleConditions.from_dict(row.conditions or {}),
        stop=row.stop,
    )


def _team_ids(session: Any, names: Sequence[str]) -> tuple[int, ...]:
    ids = []
    for name in names:
        team = store_teams.get_team_by_name(session, name=name)
        if team is None:
            known = ", ".join(t.name for t in store_teams.list_teams(session)) or "none"
            raise InputError(f"no team named {name!r} (teams: {known})")
        ids.append(team.id)
    return tuple(dict.fromkeys(ids))


def add_rule(
    db: Database, spec: RuleSpec, *, clock: Clock, principal: Principal | None = None
) -> RoutingRule:
    """Add a rule at the end (or at ``position``); the query is compiled first."""
    principal = principal or operator()
    require_inbox(principal, "routing.write")
    name = " ".join(spec.name.split())
    if not name:
        raise InputError("a routing rule needs a name")
    validate_query(spec.query)
    now = clock.now()
    with db.transaction() as tx:
        session = tx.session
        if store_routing.get_rule(session, name_or_id=name) is not None and not name.isdigit():
            raise Conflict(f"a routing rule named {name!r} exists already")
        topic_ids = []
        for topic_name in spec.topics:
            topic = store_topics.get_topic(session, name_or_id=topic_name)
            if topic is None:
                raise InputError(f"no topic named {topic_name!r} (see 'slusha topics list')")
            topic_ids.append(topic.id)
        actions = RuleActions(
            team_ids=_team_ids(session, spec.teams),
            mode=spec.mode,
            priority=spec.priority,
            tags=tuple(dict.fromkeys(normalise_tag(t) for t in spec.tags)),
            close=spec.close,
        )
        conditions = RuleConditions(
            topic_ids=frozenset(topic_ids),
            topic_kinds=frozenset(spec.topic_kinds),
            team_ids=frozenset(_team_ids(session, spec.topic_teams)),
        )
        position = spec.position
        if position is None:
            position = store_routing.next_position(session)
        row = store_routing.add_rule(
            session,
            name=name,
            query=spec.query,
            conditions=conditions.to_dict(),
            actions=actions.to_dict(),
            position=position,
            stop=spec.stop,
            actor=principal.username,
            now=now,
        )
        record_action(
            session,
            at=now,
            actor=principal.username,
            actor_id=principal.user_id or None,
            action="routing_rule.add",
            target_type="routing_rule",
            target_id=row.id,
            details={
                "name": name,
                "query": spec.query,
                "actions": actions.to_dict(),
                "conditions": conditions.to_dict(),
            },
        )
        return to_domain(row)


def set_rule_enabled(
    db: Database,
    *,
    name: str,
    enabled: bool,
    clock: Clock,
    principal: Principal | None = None,
) -> RoutingRuleRecord:
    """Enable or disable a rule (the route stage notices within seconds)."""
    principal = principal or operator()
    require_inbox(principal, "routing.write")
    now = clock.now()
    with db.transaction() as tx:
        rule = store_routing.get_rule(tx.session, name_or_id=name)
        if rule is None:
            raise NotFound(f"no routing rule named {name!r} (see 'slusha routing list')")
        rule.enabled = enabled
        rule.updated_at = now
        record_action(
            tx.session,
            at=now,
            actor=principal.username,
            actor_id=principal.user_id or None,
            action="routing_rule.enable" if enabled else "routing_rule.disable",
            target_type="routing_rule",
            target_id=rule.id,
            details={"name": rule.name},
        )
        return rule


def list_rules(db: Database) -> list[dict[str, Any]]:
    """Every rule in order, with team and topic names, as the CLI and API show it."""
    with db.transaction() as tx:
        session = tx.session
        teams = {t.id: t.name for t in store_teams.list_teams(session)}
        topics = {t.id: t.name for t, _team in store_topics.list_topics(session)}
        out = []
        for row in store_routing.list_rules(session):
            rule = to_domain(row)
            out.append(
                {
                    "id": row.id,
                    "position": row.position,
                    "name": row.name,
                    "enabled": row.enabled,
                    "query": row.query,
                    "teams": [teams.get(t, str(t)) for t in rule.actions.team_ids],
                    "mode": rule.actions.mode,
                    "priority": rule.actions.priority,
                    "tags": list(rule.actions.tags),
                    "close": rule.actions.close,
                    "topics": [topics.get(t, str(t)) for t in sorted(rule.conditions.topic_ids)],
                    "topic_kinds": sorted(rule.conditions.topic_kinds),
                    "topic_teams": [teams.get(t, str(t)) for t in sorted(rule.conditions.team_ids)],
                    "stop": row.stop,
                }
            )
        return out
