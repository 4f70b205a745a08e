"""Replies through the Mastodon connector against a loopback server speaking Mastodon's API.

The whole workflow: a complaint arrives through the Pipeline, is routed to Customer care,
taken, answered (the reply arrives exactly once although the first attempt times out),
resolved; the SLA timer stops and the report shows it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.support.builders import post
from tests.support.inbox import World, inbox_world
from tests.support.mastodon_server import MastodonServer
from tests.support.net_fixtures import make_client
from tests.support.origin import Origin, Reply, json_reply, serve_origin

from slusha.clock import FrozenClock
from slusha.config import Settings, load_settings
from slusha.errors import NotFound, PermanentError, TransientError
from slusha.plugins.host import PluginHost
from slusha.plugins.net import HttpClient
from slusha.plugins.registry import Registry, build_registry
from slusha.services import inbox, replies, reports, sla
from slusha.services.reply_checks import ReplyBlockedError
from slusha.services.sources import add_source
from slusha.store.db import Database
from slusha.store.schema import AuditEntry, Event, MentionTimer, ReplyRecord

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serve_origin() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    # Short timeouts so the slow first answer is a timeout; everything else is immediate.
    client = make_client(read_timeout_seconds=0.5, total_timeout_seconds=1.0)
    yield client
    await client.aclose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        environ={}, database_url=f"sqlite:///{tmp_path / 'unused.db'}", secret_key="test-secret-key"
    )


@pytest.fixture
def registry() -> Registry:
    return build_registry(include_entry_points=False)


@pytest.fixture
def world(db: Database, clock: FrozenClock) -> World:
    return inbox_world(db, clock)


async def _source(
    world: World, origin: Origin, settings: Settings, registry: Registry, http: HttpClient
) -> None:
    await add_source(
        world.db,
        host=PluginHost(settings=settings, clock=world.clock, registry=registry, http=http),
        kind="mastodon",
        name="acme on mastodon",
        config={"instance_url": origin.url(""), "timeline": "hashtag", "hashtag": "acme"},
        secrets={"access_token": "t" * 20},
    )


def _complaint(post_id: str = "https://social.example/users/maja/statuses/113") -> dict[str, Any]:
    return post(
        post_id,
        "My #acme router is broken, I want a refund!",
        lang="en",
        author={"handle": "@maja@social.example", "name": "Maja"},
        extra={"local_id": "113", "instance": "127.0.0.1"},
    )


async def test_complaint_routed_taken_answered_once_despite_a_timeout_and_resolved(
    world: World, origin: Origin, settings: Settings, registry: Registry, http: HttpClient
) -> None:
    server = MastodonServer(origin, slow_first=True)
    await _source(world, origin, settings, registry, http)
    sla.set_policy(
        world.db,
        team="Customer care",
        clock=world.clock,
        first_response="30m",
        resolution="8h",
        timezone="Europe/Skopje",
    )
    ana = world.members["ana"]
    [mention_id] = world.ingest(_complaint())
    view = inbox.get_mention(world.db, principal=ana, mention_id=mention_id)
    assert (view["team"], view["priority"], view["tags"]) == (
        "Customer care",
        "high",
        ["complaint"],
    )
    inbox.assign(world.db, principal=ana, mention_id=mention_id, user="ana", clock=world.clock)

    world.clock.advance(600)
    sent = await replies.send_reply(
        world.db,
        principal=ana,
        mention_id=mention_id,
        clock=world.clock,
        host=PluginHost(settings=settings, clock=world.clock, registry=registry, http=http),
        text="Sorry Maja, we are on it: DM us your number.",
        backoff_seconds=0,
    )
    assert sent.status == "sent" and sent.attempts == 2
    hits = origin.hits("/api/v1/statuses")
    assert len(hits) == 2 and len(server.created) == 1  # published exactly once
    assert {h.headers["idempotency-key"] for h in hits} == {sent.idempotency_key}
    assert "in_reply_to_id=113" in hits[0].body.decode()
    assert sent.external_id == "https://social.example/users/acme/statuses/900"

    again = await replies.send_reply(
        world.db,
        principal=ana,
        mention_id=mention_id,
        clock=world.clock,
        host=PluginHost(settings=settings, clock=world.clock, registry=registry, http=http),
        text="ignored",
        idempotency_key=sent.idempotency_key,
    )
    assert again.id == sent.id and len(origin.hits("/api/v1/statuses")) == 2

    view = inbox.get_mention(world.db, principal=ana, mention_id=mention_id)
    assert view["status"] == "waiting" and view["assignee"] == "ana"
    assert [i["kind"] for i in view["conversation"]] == ["post", "reply"]
    assert view["timer"]["first_response_seconds"] == 600 and view["timer"]["is_running"]

    world.clock.advance(1200)
    inbox.set_status(
        world.db, principal=ana, mention_id=mention_id, status="resolved", clock=world.clock
    )
    with world.db.transaction() as tx:
        timer = tx.session.get(MentionTimer, mention_id)
        assert timer is not None
        assert timer.resolution_seconds == 1800 and timer.next_check_at is None
        actions = list(tx.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        kinds = list(tx.session.scalars(select(Event.kind).order_by(Event.id)))
    assert {"mention.assign", "reply.compose", "reply.send", "mention.status"} <= set(actions)
    assert "inbox.reply_sent" in kinds

    report = reports.sla_report(world.db, clock=world.clock, team="Customer care")
    [team] = report.teams
    assert (team.responded, team.first_response_median_s, team.first_response_within_pct) == (
        1,
        600.0,
        100.0,
    )
    assert (team.resolved, team.resolution_median_s) == (1, 1800.0)
    assert [(m.member, m.responded, m.resolved) for m in report.members] == [("ana", 1, 1)]
    csv_text = reports.to_csv(report.rows())
    assert csv_text.splitlines()[0].startswith("scope,team,member,mentions")
    assert "team,Customer care,,1,1,600.0,600.0,100.0,1,1800.0,1800.0,100.0" in csv_text


async def test_pre_send_checks_block_empty_and_too_long_replies(
    world: World, origin: Origin, settings: Settings, registry: Registry, http: HttpClient
) -> None:
    MastodonServer(origin)
    await _source(world, origin, settings, registry, http)
    [mention_id] = world.ingest(_complaint())
    for text, code in (("   ", "reply_empty"), ("x" * 501, "reply_too_long")):
        with pytest.raises(ReplyBlockedError) as caught:
            await replies.send_reply(
                world.db,
                principal=world.members["ana"],
                mention_id=mention_id,
                clock=world.clock,
                host=PluginHost(settings=settings, clock=world.clock, registry=registry, http=http),
                text=text,
            )
        assert [i.code for i in caught.value.issues] == [code]
    assert origin.hits("/api/v1/statuses") == []
    with world.db.transaction() as tx:
        assert list(tx.session.scalars(select(ReplyRecord))) == []


async def test_a_reply_that_keeps_timing_out_stays_pending_and_is_sent_once_later(
    world: World, origin: Origin, settings: Settings, registry: Registry, http: HttpClient
) -> None:
    await _source(world, origin, settings, registry, http)
    origin.route("/api/v1/statuses", Reply(503), method="POST")
    [mention_id] = world.ingest(_complaint())
    with pytest.raises(TransientError, match="tries again by itself"):
        await replies.send_reply(
            world.db,
            principal=world.members["ana"],
            mention_id=mention_id,
            clock=world.clock,
            host=PluginHost(settings=settings, clock=world.clock, registry=registry, http=http),
            text="On it!",
            max_attempts=2,
            backoff_seconds=0,
        )
    with world.db.transaction() as tx:
        [row] = tx.session.scalars(select(ReplyRecord))
        assert (row.status, row.attempts) == ("pending", 2)
        assert row.next_attempt_at is not None  # due again after the policy's wait, not at once
        due = row.next_attempt_at
    server = MastodonServer(origin)
    host = PluginHost(settings=settings, clock=world.clock, registry=registry, http=http)
    if due > world.clock.now():
        assert await replies.retry_pending(world.db, clock=world.clock, host=host) == []
        assert server.created == {}
    world.clock.advance(3600)
    done = await replies.retry_pending(
        world.db,
        clock=world.clock,
        host=PluginHost(settings=settings, clock=world.clock, registry=registry, http=http),
    )
    assert [d.status for d in done] == ["sent"] and len(server.created) == 1
    assert (
        await replies.retry_pending(
            world.db,
            clock=world.clock,
            host=PluginHost(settings=settings, clock=world.clock, registry=registry, http=http),
        )
        == []
    )
    keys = {h.headers["idempotency-key"] for h in origin.hits("/api/v1/statuses")}
    assert keys == {row.idempotency_key}


async def test_a_refused_reply_is_marked_failed(
    world: World, origin: Origin, settings: Settings, registry: Registry, http: HttpClient
) -> None:
    await _source(world, origin, settings, registry, http)
    origin.route("/api/v1/statuses", json_reply({"error": "Validation failed"}, 422), method="POST")
    [mention_id] = world.ingest(_complaint())
    with pytest.raises(PermanentError):
        await replies.send_reply(
            world.db,
            principal=world.members["ana"],
            mention_id=mention_id,
            clock=world.clock,
            host=PluginHost(settings=settings, clock=world.clock, registry=registry, http=http),
            text="On it!",
        )
    with world.db.transaction() as tx:
        [row] = tx.session.scalars(select(ReplyRecord))
        assert row.status == "failed" and row.attempts == 1 and row.last_error


def test_saved_replies_fill_placeholders_per_team(world: World) -> None:
    bob, ana = world.members["bob"], world.members["ana"]
    replies.save_reply_template(
        world.db,
        principal=bob,
        team="Customer care",
        name="sorry",
        text="Hi {author}, sorry about {topic}. {agent} from {team}",
        clock=world.clock,
    )
    [mention_id] = world.ingest(_complaint())
    text = replies.saved_reply_text(world.db, principal=ana, mention_id=mention_id, name="sorry")
    assert text == "Hi Maja, sorry about Acme. ana from Customer care"
    assert replies.list_saved_replies(world.db, principal=ana, team="Customer care")[0]["name"] == (
        "sorry"
    )
    with pytest.raises(PermanentError):  # a responder does not edit the team's templates
        replies.save_reply_template(
            world.db, principal=ana, team="Customer care", name="x", text="hi", clock=world.clock
        )
    with pytest.raises(PermanentError, match="placeholder"):
        replies.save_reply_template(
            world.db,
            principal=bob,
            team="Customer care",
            name="x",
            text="hi {author.__class__}",
            clock=world.clock,
        )


async def test_a_reply_the_network_keeps_refusing_fails_after_the_policy_and_is_sent_again(
    world: World, origin: Origin, make_settings: Any, registry: Registry, http: HttpClient
) -> None:
    """Every failed attempt waits longer (full jitter, ``Retry-After`` honoured); after the
    policy's attempts the reply is failed, listed with the deliveries, and sent again from
    there with the same key: published once."""
    from slusha.services import deliveries

    settings = make_settings(secret_key="test-secret-key", reply_delivery_attempts=3)
    await _source(world, origin, settings, registry, http)
    origin.route("/api/v1/statuses", Reply(503, headers={"retry-after": "900"}), method="POST")
    [mention_id] = world.ingest(_complaint())
    host = PluginHost(settings=settings, clock=world.clock, registry=registry, http=http)
    with pytest.raises(TransientError, match="tries again by itself"):
        await replies.send_reply(
            world.db, principal=world.members["ana"], mention_id=mention_id, clock=world.clock,
            host=host, text="On it!", max_attempts=1, backoff_seconds=0,
        )  # fmt: skip
    with world.db.read() as tx:
        [row] = tx.session.scalars(select(ReplyRecord))
        assert row.next_attempt_at is not None
        assert row.next_attempt_at - world.clock.now() >= timedelta(seconds=900)
    world.clock.advance(899)
    assert await replies.retry_pending(world.db, clock=world.clock, host=host) == []
    world.clock.advance(3600)
    assert await replies.retry_pending(world.db, clock=world.clock, host=host) == []  # attempt 2
    world.clock.advance(3600)
    assert await replies.retry_pending(world.db, clock=world.clock, host=host) == []  # attempt 3
    with world.db.read() as tx:
        [row] = tx.session.scalars(select(ReplyRecord))
        assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    world.clock.advance(7200)
    assert await replies.retry_pending(world.db, clock=world.clock, host=host) == []
    assert len(origin.hits("/api/v1/statuses")) == 3
    [failed] = deliveries.list_deliveries(world.db, status="failed")
    assert (failed.kind, failed.id, failed.reason) == ("reply", row.id, "http_5xx")
    assert deliveries.count_deliveries(world.db)["failed"] == 1
    with pytest.raises(NotFound):
        deliveries.send_again(world.db, job_ids=None, reply_ids=[row.id + 1], clock=world.clock)
    server = MastodonServer(origin)
    origin.route("/api/v1/statuses", server.handle, method="POST")
    assert deliveries.send_again(world.db, job_ids=None, reply_ids=[row.id], clock=world.clock) == 1
    [sent] = await replies.retry_pending(world.db, clock=world.clock, host=host)
    assert sent.status == "sent" and len(server.created) == 1
    keys = {h.headers["idempotency-key"] for h in origin.hits("/api/v1/statuses")}
    assert keys == {row.idempotency_key}  # the same delivery id on every attempt
