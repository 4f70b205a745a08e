"""Working the inbox through the services: statuses, assignment, handover, notes, bulk,
private mentions, reopening, collision detection, SLA checks and reports."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.support.builders import post
from tests.support.inbox import World, inbox_world

from slusha.clock import FrozenClock
from slusha.errors import Forbidden, InputError, NotFound
from slusha.services import inbox, presence, reports, sla
from slusha.store.db import Database
from slusha.store.schema import AuditEntry, Event, MentionHistory

pytestmark = pytest.mark.timeout(60)
MAJA = {"handle": "@maja@social.example", "name": "Maja"}


@pytest.fixture
def world(db: Database, clock: FrozenClock) -> World:
    return inbox_world(db, clock)


def _events(world: World, kind: str) -> list[dict[str, Any]]:
    with world.db.transaction() as tx:
        return list(tx.session.scalars(select(Event.payload).where(Event.kind == kind)))


def _complaint(world: World, post_id: str = "c1", **extra: Any) -> int:
    [mention_id] = world.ingest(post(post_id, "#acme my router is broken", author=MAJA, **extra))
    return mention_id


def test_status_flow_with_history_audit_and_events(world: World) -> None:
    ana = world.members["ana"]
    mention_id = _complaint(world)
    view = inbox.assign(
        world.db, principal=ana, mention_id=mention_id, user="ana", clock=world.clock
    )
    assert (view["status"], view["assignee"]) == ("open", "ana")  # taking a new one opens it
    for status in ("waiting", "resolved", "open", "resolved"):
        world.clock.advance(60)
        assert (
            inbox.set_status(
                world.db, principal=ana, mention_id=mention_id, status=status, clock=world.clock
            )["status"]
            == status
        )
    with pytest.raises(InputError, match="cannot become"):
        inbox.set_status(
            world.db, principal=ana, mention_id=mention_id, status="waiting", clock=world.clock
        )
    with world.db.transaction() as tx:
        changes = list(
            tx.session.execute(
                select(
                    MentionHistory.field,
                    MentionHistory.old_value,
                    MentionHistory.new_value,
                    MentionHistory.actor,
                )
                .where(MentionHistory.mention_id == mention_id)
                .order_by(MentionHistory.id)
            )
        )
        actions = list(
            tx.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "mention"))
        )
    assert [tuple(c) for c in changes] == [
        ("status", "new", "open", "ana"),
        ("assignee", None, "ana", "ana"),
        ("status", "open", "waiting", "ana"),
        ("status", "waiting", "resolved", "ana"),
        ("status", "resolved", "open", "ana"),
        ("status", "open", "resolved", "ana"),
    ]
    assert actions.count("mention.status") == 4 and "mention.assign" in actions
    assert len(_events(world, "inbox.status")) == 4


def test_assign_only_to_members_who_work_the_team(world: World) -> None:
    bob = world.members["bob"]
    mention_id = _complaint(world)
    with pytest.raises(InputError, match="no working role"):
        inbox.assign(world.db, principal=bob, mention_id=mention_id, user="vera", clock=world.clock)
    with pytest.raises(InputError, match="no working role"):
        inbox.assign(world.db, principal=bob, mention_id=mention_id, user="lea", clock=world.clock)
    view = inbox.assign(
        world.db, principal=bob, mention_id=mention_id, user="ana", clock=world.clock
    )
    assert view["assignee"] == "ana"
    mine = inbox.list_inbox(
        world.db,
        principal=world.members["ana"],
        filters=inbox.resolve_filter(world.db, principal=world.members["ana"], mine=True),
    )
    assert [m["mention_id"] for m in mine] == [mention_id]


def test_hand_over_to_another_team_with_a_note(world: World) -> None:
    ana, lea = world.members["ana"], world.members["lea"]
    mention_id = _complaint(world)
    inbox.assign(world.db, principal=ana, mention_id=mention_id, user="ana", clock=world.clock)
    view = inbox.hand_over(
        world.db,
        principal=ana,
        mention_id=mention_id,
        team="Legal",
        note="they mention a lawyer",
        clock=world.clock,
    )
    assert (view["team"], view["assignee"]) == ("Legal", None)
    legal = inbox.list_inbox(
        world.db, principal=lea, filters=inbox.resolve_filter(world.db, principal=lea, team="Legal")
    )
    assert [m["mention_id"] for m in legal] == [mention_id]
    detail = inbox.get_mention(world.db, principal=lea, mention_id=mention_id)
    assert detail["notes"][0]["text"] == "they mention a lawyer"
    assert _events(world, "inbox.handover")[0]["to_team_id"] == view["team_id"]
    # Care may still see it (the topic is shared) but can no longer work it.
    with pytest.raises(Forbidden):
        inbox.set_status(
            world.db, principal=ana, mention_id=mention_id, status="resolved", clock=world.clock
        )
    # Re-fetching the post (new metrics) does not route a second copy back to care.
    world.ingest(post("c1", "#acme my router is broken", author=MAJA, metrics={"likes": 3}))
    assert len(world.mentions_of("c1")) == 1


def test_notes_notify_mentioned_members(world: World) -> None:
    ana = world.members["ana"]
    mention_id = _complaint(world)
    inbox.add_note(
        world.db,
        principal=ana,
        mention_id=mention_id,
        text="@bob can we refund this? cc @nobody @ana",
        clock=world.clock,
    )
    [event] = _events(world, "inbox.mentioned")
    assert (event["username"], event["mention_id"]) == ("bob", mention_id)
    # A note that names nobody still tells other processes that the mention changed.
    inbox.add_note(
        world.db, principal=ana, mention_id=mention_id, text="checked the logs", clock=world.clock
    )
    notes = _events(world, "inbox.note")
    assert [n["mention_id"] for n in notes] == [mention_id, mention_id]
    assert len(_events(world, "inbox.mentioned")) == 1
    with pytest.raises(InputError):
        inbox.add_note(world.db, principal=ana, mention_id=mention_id, text="  ", clock=world.clock)


def test_priority_tags_and_filters(world: World) -> None:
    ana = world.members["ana"]
    mention_id = _complaint(world)
    inbox.set_priority(
        world.db, principal=ana, mention_id=mention_id, priority="urgent", clock=world.clock
    )
    view = inbox.tag(
        world.db,
        principal=ana,
        mention_id=mention_id,
        add=["VIP", "router"],
        remove=["complaint"],
        clock=world.clock,
    )
    assert (view["priority"], view["tags"]) == ("urgent", ["router", "vip"])
    found = inbox.list_inbox(
        world.db,
        principal=ana,
        filters=inbox.resolve_filter(world.db, principal=ana, tag_name="vip", priority="urgent"),
    )
    assert [m["mention_id"] for m in found] == [mention_id]


def test_bulk_actions_succeed_or_fail_one_by_one(world: World) -> None:
    ana = world.members["ana"]
    first, second = _complaint(world, "c1"), _complaint(world, "c2")
    [private] = world.ingest(post("f1", "falcon case: the lawyer called"))
    result = inbox.bulk(
        world.db,
        principal=ana,
        mention_ids=[first, second, private],
        clock=world.clock,
        status="ignored",
        add_tags=["duplicate"],
    )
    assert result.done == [first, second] and list(result.failed) == [private]
    assert "no mention" in result.failed[private]  # private: not even its existence leaks
    view = inbox.get_mention(world.db, principal=ana, mention_id=second)
    assert (view["status"], "duplicate" in view["tags"]) == ("ignored", True)


def test_a_member_of_another_team_cannot_see_or_act_on_a_private_mention(world: World) -> None:
    ana, lea, vera = world.members["ana"], world.members["lea"], world.members["vera"]
    [private] = world.ingest(post("f1", "falcon: my lawyer sends the papers tomorrow"))
    with pytest.raises(NotFound):
        inbox.get_mention(world.db, principal=ana, mention_id=private)
    with pytest.raises(NotFound):
        inbox.assign(world.db, principal=ana, mention_id=private, user="ana", clock=world.clock)
    with pytest.raises(NotFound):
        presence.touch(
            world.db,
            presence.MemoryPresence(),
            principal=ana,
            mention_id=private,
            clock=world.clock,
        )
    everything = inbox.resolve_filter(world.db, principal=ana, status="all")
    assert private not in {
        m["mention_id"] for m in inbox.list_inbox(world.db, principal=ana, filters=everything)
    }
    assert inbox.get_mention(world.db, principal=lea, mention_id=private)["team"] == "Legal"
    inbox.assign(world.db, principal=lea, mention_id=private, user="lea", clock=world.clock)
    # A viewer reads her team's inbox but does not work it.
    mention_id = _complaint(world)
    assert inbox.get_mention(world.db, principal=vera, mention_id=mention_id)
    with pytest.raises(Forbidden):
        inbox.set_status(
            world.db, principal=vera, mention_id=mention_id, status="open", clock=world.clock
        )


def test_the_author_writing_again_reopens_a_resolved_conversation(world: World) -> None:
    ana = world.members["ana"]
    mention_id = _complaint(world, "c1", thread="c1")
    inbox.set_status(
        world.db, principal=ana, mention_id=mention_id, status="resolved", clock=world.clock
    )
    # Someone else in the thread changes nothing.
    world.ingest(post("c2", "same here", reply_to="c1", thread="c1", author={"handle": "@x@y"}))
    assert inbox.get_mention(world.db, principal=ana, mention_id=mention_id)["status"] == "resolved"
    world.clock.advance(300)
    # The author answers without naming the brand: not a mention, but the thread reopens.
    world.ingest(post("c3", "still not working!", reply_to="c1", thread="c1", author=MAJA))
    view = inbox.get_mention(world.db, principal=ana, mention_id=mention_id)
    assert view["status"] == "open"
    assert view["history"][-1]["note"] == "the author wrote again in the conversation"
    assert [i["id"] for i in view["conversation"]] == ["c1", "c3"]
    assert _events(world, "inbox.reopened")[0]["mention_id"] == mention_id
    inbox.set_status(
        world.db, principal=ana, mention_id=mention_id, status="resolved", clock=world.clock
    )
    world.ingest(
        post(
            "c3",
            "still not working!",
            reply_to="c1",
            thread="c1",
            author=MAJA,
            metrics={"likes": 1},
        )
    )
    assert inbox.get_mention(world.db, principal=ana, mention_id=mention_id)["status"] == "resolved"


@pytest.mark.parametrize("kind", ["memory", "database"])
def test_two_members_on_one_mention_see_each_other(world: World, kind: str) -> None:
    ana, bob = world.members["ana"], world.members["bob"]
    store: presence.PresenceStore = (
        presence.MemoryPresence() if kind == "memory" else presence.DatabasePresence(world.db)
    )
    mention_id = _complaint(world)
    assert (
        presence.touch(world.db, store, principal=ana, mention_id=mention_id, clock=world.clock)
        == []
    )
    others = presence.touch(
        world.db,
        store,
        principal=bob,
        mention_id=mention_id,
        clock=world.clock,
        activity="replying",
    )
    assert [(p.username, p.activity) for p in others] == [("ana", "viewing")]
    others = presence.touch(
        world.db, store, principal=ana, mention_id=mention_id, clock=world.clock
    )
    assert [(p.username, p.activity) for p in others] == [("bob", "replying")]
    world.clock.advance(presence.TTL_SECONDS + 1)  # bob's page went quiet: he expires
    assert (
        presence.touch(world.db, store, principal=ana, mention_id=mention_id, clock=world.clock)
        == []
    )
    presence.leave(world.db, store, principal=ana, mention_id=mention_id, clock=world.clock)
    published = [[p["username"] for p in e["present"]] for e in _events(world, "inbox.presence")]
    assert published == [["ana"], ["ana", "bob"], ["ana"], []]


def test_sla_warning_reassignment_breach_and_report(world: World) -> None:
    bob = world.members["bob"]
    sla.set_policy(
        world.db,
        team="Customer care",
        clock=world.clock,
        first_response="30m",
        resolution="8h",
        warn_before="10m",
        reassign_after="15m",
    )
    mention_id = _complaint(world)
    inbox.assign(world.db, principal=bob, mention_id=mention_id, user="ana", clock=world.clock)
    world.clock.advance(16 * 60)  # ana did not reply within 15 minutes
    summary = sla.run_checks(world.db, clock=world.clock)
    assert (summary.reassigned, summary.warnings) == (1, 0)
    assert inbox.get_mention(world.db, principal=bob, mention_id=mention_id)["assignee"] == "bob"
    world.clock.advance(5 * 60)  # 21 minutes: within 10 minutes of the 30-minute deadline
    assert sla.run_checks(world.db, clock=world.clock).warnings == 1
    assert sla.run_checks(world.db, clock=world.clock).warnings == 0  # warned once
    world.clock.advance(10 * 60)
    summary = sla.run_checks(world.db, clock=world.clock)
    assert summary.breaches == 1
    [breach] = _events(world, "inbox.sla_breached")
    assert breach["notify_user_ids"] == [bob.user_id] and breach["target"] == "first"
    world.clock.advance(60)
    inbox.set_status(
        world.db, principal=bob, mention_id=mention_id, status="resolved", clock=world.clock
    )
    report = reports.sla_report(world.db, clock=world.clock, team="Customer care")
    [team] = report.teams
    assert (team.mentions, team.responded, team.first_response_within_pct) == (1, 1, 0.0)
    assert team.first_response_median_s == 32 * 60
    assert team.resolution_within_pct == 100.0
    assert report.backlog[-1]["open"] == 0
    assert sla.run_checks(world.db, clock=world.clock).breaches == 0


def test_reports_respect_membership(world: World) -> None:
    with pytest.raises(Forbidden):
        reports.sla_report(
            world.db, clock=world.clock, team="Legal", principal=world.members["ana"]
        )
