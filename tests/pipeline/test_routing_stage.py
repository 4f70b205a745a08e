"""Routing rules in the route stage: evaluated by the matcher, ordered, refreshed with topics."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.support.builders import post
from tests.support.inbox import World, inbox_world

from slusha.clock import FrozenClock
from slusha.pipeline.topics import TopicIndex
from slusha.services.routing import RuleSpec, add_rule, list_rules, set_rule_enabled
from slusha.store.db import Database
from slusha.store.schema import MentionTag, MentionTimer, Team

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def world(db: Database, clock: FrozenClock) -> World:
    return inbox_world(db, clock)


def _routes(world: World, external_id: str) -> list[tuple[str, str, str, list[str]]]:
    out = []
    mentions = world.mentions_of(external_id)
    with world.db.transaction() as tx:
        teams = {t.id: t.name for t in tx.session.scalars(select(Team))}
        for mention in mentions:
            tags = sorted(
                tx.session.scalars(
                    select(MentionTag.tag).where(MentionTag.mention_id == mention.id)
                )
            )
            out.append((teams[mention.team_id], mention.status, mention.priority, tags))
    return out


def test_job_post_goes_to_hr_legal_threat_to_legal_complaint_to_care(world: World) -> None:
    world.ingest(
        post("job", "Acme is hiring support agents in Skopje #jobs"),
        post("legal", "My lawyer will sue acme over these charges"),
        post("complaint", "acme sent no refund, my router is broken"),
        post("praise", "love my new acme router"),
        post("spam", "free followers for #acme fans, click here"),
    )
    assert _routes(world, "job") == [("HR", "new", "normal", ["job"])]
    assert _routes(world, "legal") == [("Legal", "new", "urgent", ["legal"])]
    assert _routes(world, "complaint") == [("Customer care", "new", "high", ["complaint"])]
    assert _routes(world, "praise") == [("Customer care", "new", "normal", [])]
    assert _routes(world, "spam") == [("Customer care", "ignored", "normal", ["spam"])]
    with world.db.transaction() as tx:  # every mention but the auto-closed one has a timer
        timers = set(tx.session.scalars(select(MentionTimer.mention_id)))
    assert {m.id for m in world.mentions_of("spam")}.isdisjoint(timers)
    assert {m.id for m in world.mentions_of("complaint")} <= timers


def test_a_rule_may_add_teams_and_a_refetch_creates_no_copies(world: World) -> None:
    add_rule(
        world.db,
        RuleSpec("Outages to PR too", "outage", teams=("HR",), mode="add", position=1, stop=False),
        clock=world.clock,
    )
    world.ingest(post("o1", "acme outage again"))
    assert sorted(r[0] for r in _routes(world, "o1")) == ["Customer care", "HR"]
    world.ingest(post("o1", "acme outage again", metrics={"likes": 9}))
    assert len(world.mentions_of("o1")) == 2


def test_disabling_a_rule_is_noticed_by_the_running_index(world: World) -> None:
    world.ingest(post("j1", "acme is hiring"))
    assert _routes(world, "j1")[0][0] == "HR"
    set_rule_enabled(world.db, name="Job posts to HR", enabled=False, clock=world.clock)
    world.ingest(post("j2", "acme is hiring"))
    assert _routes(world, "j2")[0][0] == "Customer care"
    assert [r["enabled"] for r in list_rules(world.db) if r["name"] == "Job posts to HR"] == [False]


def test_route_without_a_post_keeps_the_old_signature(world: World) -> None:
    index = TopicIndex(world.db, refresh_seconds=0)
    index.refresh(force=True)
    acme = world.topics["Acme"]
    [routed] = index.route([acme])
    assert (routed.topic_id, routed.priority, routed.status) == (acme, "normal", "new")
    assert len(index.rules) == 4
