"""Rule value objects: validation, JSON round trip, which mentions a rule takes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from slusha.domain.alerts import AlertRule, Filters, MentionFacts, parse_rule, rule_accepts
from slusha.domain.post import Author, Post
from slusha.errors import InputError

WHEN = datetime(2026, 2, 1, 12, tzinfo=UTC)

FULL = {
    "id": "r1",
    "team": "PR",
    "kind": "spike",
    "name": "Acme volume",
    "topic_ids": ["t2", "t1"],
    "filters": {
        "networks": ["mastodon"],
        "languages": ["MK", "en"],
        "sentiments": ["negative"],
        "min_followers": 100,
        "query": "outage OR down",
    },
    "throttle": {"max_alerts": 5, "period_seconds": 600},
    "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Europe/Skopje"},
    "snoozed_until": "2026-02-02T08:00:00+01:00",
    "sensitivity": 0.5,
    "window_seconds": 1800,
    "min_count": 8,
}


def mention(**post: object) -> MentionFacts:
    base: dict[str, object] = {
        "network": "mastodon",
        "id": "1",
        "text": "acme is down",
        "created_at": WHEN,
        "author": Author(handle="@Maja", followers=500),
        "lang": "mk",
    }
    base.update(post)
    return MentionFacts(post=Post(**base), topic_id="t1", team="PR", sentiment="negative")  # type: ignore[arg-type]


def test_json_round_trip() -> None:
    rule = parse_rule(FULL)
    assert rule.filters.languages == frozenset({"mk", "en"})
    assert rule.quiet_hours is not None and rule.quiet_hours.timezone == "Europe/Skopje"
    again = parse_rule(json.loads(json.dumps(rule.to_dict())))
    assert again == rule


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"kind": "panic"}, "unknown alert kind"),
        ({"sensitivity": 0}, "false alarms per month"),
        ({"quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Mars/Base"}}, "time zone"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "time of day"),
        ({"filters": {"sentiments": ["angry"]}}, "unknown sentiment"),
        ({"kind": "influencer"}, "follower threshold or a watch list"),
        ({"kind": "digest"}, "needs a schedule"),
        ({"snoozed_until": "tomorrow"}, "ISO 8601"),
        ({"topic_ids": "t1"}, "list of strings"),
    ],
)
def test_bad_rules_say_why(change: dict[str, object], says: str) -> None:
    with pytest.raises(InputError) as info:
        parse_rule({**FULL, **change})
    assert says in str(info.value)


def test_filters_and_refinement() -> None:
    rule = parse_rule(FULL)
    assert rule_accepts(rule, mention(), refine=lambda post: "down" in post.text)
    assert not rule_accepts(rule, mention(), refine=lambda post: False)
    assert not rule_accepts(rule, mention(network="reddit"), refine=lambda post: True)
    assert not rule_accepts(rule, mention(lang="de"), refine=lambda post: True)
    assert not rule_accepts(
        rule, mention(author=Author(handle="@x", followers=5)), refine=lambda post: True
    )
    with pytest.raises(ValueError, match="refine"):
        rule_accepts(rule, mention())


def test_rule_scope_is_team_and_topics() -> None:
    rule = AlertRule(id="r", team="PR", kind="match", topic_ids=frozenset({"t9"}))
    assert not rule_accepts(rule, mention())
    everything = AlertRule(id="r", team="PR", kind="match")
    assert rule_accepts(everything, mention())
    other_team = AlertRule(id="r", team="HR", kind="match")
    assert not rule_accepts(other_team, mention())


def test_influencer_by_followers_or_watch_list() -> None:
    by_reach = AlertRule(id="i", team="PR", kind="influencer", influencer_min_followers=400)
    assert rule_accepts(by_reach, mention())
    assert not rule_accepts(by_reach, mention(author=Author(handle="@a", followers=10)))
    watched = AlertRule(id="i", team="PR", kind="influencer", watch_list=frozenset({"@MAJA"}))
    assert rule_accepts(watched, mention())
    assert not rule_accepts(watched, mention(author=None))


def test_snooze() -> None:
    rule = AlertRule(id="r", team="PR", kind="match", filters=Filters())
    snoozed = rule.snoozed(WHEN)
    assert snoozed.is_snoozed(datetime(2026, 2, 1, 11, tzinfo=UTC))
    assert not snoozed.is_snoozed(WHEN)
    assert not rule.is_snoozed(WHEN)
