"""Routing decisions, status transitions, note mentions, placeholders and SLA timer checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slusha.domain import sla
from slusha.domain.business_hours import BusinessHours
from slusha.domain.inbox import check_transition, mentioned_names, render_saved_reply
from slusha.domain.routing import (
    RoutingRule,
    RuleActions,
    RuleConditions,
    TopicRef,
    decide,
    normalise_tag,
)
from slusha.errors import InputError

CARE, HR, LEGAL, PR = 1, 2, 3, 4
BRAND = TopicRef(id=10, team_id=CARE, kind="brand")
PRESS = TopicRef(id=11, team_id=PR, kind="brand")
CAMPAIGN = TopicRef(id=12, team_id=PR, kind="campaign")


def rule(rule_id: int, position: int, stop: bool = True, **actions: object) -> RoutingRule:
    conditions = actions.pop("conditions", RuleConditions())
    return RoutingRule(
        id=rule_id,
        name=f"r{rule_id}",
        position=position,
        query="x",
        actions=RuleActions(**actions),  # type: ignore[arg-type]
        conditions=conditions,  # type: ignore[arg-type]
        stop=stop,
    )


def test_without_rules_each_topic_goes_to_its_team() -> None:
    decisions = decide([BRAND, PRESS], [], set())
    assert [(d.topic_id, d.team_id, d.priority, d.status) for d in decisions] == [
        (10, CARE, "normal", "new"),
        (11, PR, "normal", "new"),
    ]


def test_replace_add_priority_tags_and_close() -> None:
    jobs = rule(1, 10, team_ids=(HR,), tags=("Job",))
    assert decide([BRAND], [jobs], {1})[0].team_id == HR
    legal = rule(2, 10, team_ids=(LEGAL,), mode="add", priority="urgent", tags=("legal",))
    both = decide([BRAND], [legal], {2})
    assert [(d.team_id, d.priority, d.tags) for d in both] == [
        (CARE, "urgent", ("legal",)),
        (LEGAL, "urgent", ("legal",)),
    ]
    spam = rule(3, 10, close=True, tags=("spam",))
    assert decide([BRAND], [spam], {3})[0].status == "ignored"
    assert decide([BRAND], [spam], set())[0].status == "new"  # the rule's query did not match


def test_order_and_stop() -> None:
    first = rule(1, 20, team_ids=(HR,))
    second = rule(2, 10, team_ids=(LEGAL,))
    assert decide([BRAND], [first, second], {1, 2})[0].team_id == LEGAL  # position 10 first
    tagger = rule(3, 5, stop=False, tags=("vip",))
    decision = decide([BRAND], [first, second, tagger], {1, 2, 3})[0]
    assert (decision.team_id, decision.tags, decision.rule_ids) == (LEGAL, ("vip",), (3, 2))


def test_conditions_on_topic_kind_topic_and_team() -> None:
    only_brand = rule(
        1, 10, team_ids=(HR,), conditions=RuleConditions(topic_kinds=frozenset({"brand"}))
    )
    result = decide([BRAND, CAMPAIGN], [only_brand], {1})
    assert [(d.topic_id, d.team_id) for d in result] == [(10, HR), (12, PR)]
    only_topic = rule(2, 10, priority="high", conditions=RuleConditions(topic_ids=frozenset({11})))
    assert [d.priority for d in decide([BRAND, PRESS], [only_topic], {2})] == ["normal", "high"]
    only_team = rule(3, 10, tags=("pr",), conditions=RuleConditions(team_ids=frozenset({PR})))
    assert [d.tags for d in decide([BRAND, PRESS], [only_team], {3})] == [(), ("pr",)]


def test_rule_json_round_trip_and_validation() -> None:
    actions = RuleActions(
        team_ids=(HR, LEGAL), mode="add", priority="high", tags=("a",), close=True
    )
    assert RuleActions.from_dict(actions.to_dict()) == actions
    conditions = RuleConditions(topic_ids=frozenset({1}), topic_kinds=frozenset({"brand"}))
    assert RuleConditions.from_dict(conditions.to_dict()) == conditions
    with pytest.raises(InputError, match="at least one action"):
        RuleActions()
    with pytest.raises(InputError, match="priority"):
        RuleActions(priority="asap")
    with pytest.raises(InputError, match="mode"):
        RuleActions(team_ids=(1,), mode="merge")
    with pytest.raises(InputError, match="kind"):
        RuleConditions(topic_kinds=frozenset({"planet"}))
    assert normalise_tag("  #Job Ads ") == "job-ads"
    with pytest.raises(InputError):
        normalise_tag("#")


def test_status_transitions() -> None:
    for old, new in [("new", "open"), ("open", "waiting"), ("waiting", "resolved"),
                     ("resolved", "open"), ("new", "ignored"), ("ignored", "open")]:  # fmt: skip
        check_transition(old, new)
    for old, new in [("resolved", "waiting"), ("ignored", "resolved"), ("open", "new")]:
        with pytest.raises(InputError, match="cannot become"):
            check_transition(old, new)
    with pytest.raises(InputError, match="already"):
        check_transition("open", "open")
    with pytest.raises(InputError, match="unknown status"):
        check_transition("open", "done")


def test_note_mentions() -> None:
    text = "@ana please check with @Marko.P and @ana; mail me at x@example.com."
    assert mentioned_names(text) == ["ana", "Marko.P"]


def test_saved_reply_placeholders_are_rendered_safely() -> None:
    values = {"author": "{team} Ana", "topic": "Lumio", "team": "Customer care"}
    text = render_saved_reply("Hi {author}, thanks for writing about {topic}. {team}", values)
    assert text == "Hi {team} Ana, thanks for writing about Lumio. Customer care"
    for bad in ("{author.__class__}", "{0}", "{author!r}", "{password}", "{author:>10}", "{"):
        with pytest.raises(InputError):
            render_saved_reply(bad, values)


def test_sla_checks_warn_breach_and_reassign() -> None:
    start = datetime(2026, 11, 27, 9, tzinfo=UTC)
    targets = sla.SlaTargets(
        hours=BusinessHours.parse("24/7"),
        first_response_minutes=30,
        resolution_minutes=240,
        warn_before_minutes=10,
        reassign_after_minutes=15,
    )
    state = sla.TimerState(
        started_at=start,
        first_response_due_at=targets.first_response_due(start),
        resolution_due_at=targets.resolution_due(start),
    )
    assert sla.next_check(state, targets) == start + timedelta(minutes=20)
    assert sla.due(state, targets, start + timedelta(minutes=21)) == [sla.WARN_FIRST]
    # Past the deadline the breach makes the warning moot.
    assert sla.due(state, targets, start + timedelta(minutes=31)) == [sla.BREACH_FIRST]
    state.warned = frozenset({"first"})
    state.breached = frozenset({"first"})
    assert sla.next_check(state, targets) == start + timedelta(minutes=230)
    state.assigned_at, state.has_assignee = start + timedelta(minutes=40), True
    assert sla.next_check(state, targets) == start + timedelta(minutes=55)
    state.first_response_at = start + timedelta(minutes=50)
    assert sla.next_check(state, targets) == start + timedelta(minutes=230)
    state.resolved_at = start + timedelta(minutes=60)
    assert sla.next_check(state, targets) is None


def test_percentile() -> None:
    assert sla.percentile([], 0.5) is None
    assert sla.percentile([5.0], 0.9) == 5.0
    assert sla.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert sla.percentile([float(v) for v in range(1, 11)], 0.9) == pytest.approx(9.1)
