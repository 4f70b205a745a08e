"""The alerter on real databases, the memory bus and real HTTP receivers on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from tests.support.alerting import Stack, alert_settings, plugin_registry, start_stack
from tests.support.builders import post
from tests.support.enricher import shared_enricher
from tests.support.net_fixtures import origin
from tests.support.origin import Origin, Reply

from slusha.clock import FrozenClock
from slusha.demo import organisation as demo_org
from slusha.demo.corpus import SPIKE_DAYS_AGO, generate
from slusha.domain.ingest import Incoming
from slusha.notifiers.webhook import verify_signature
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.topics import TopicIndex
from slusha.services.alert_specs import RuleSpec
from slusha.services.alerts import create_rule, list_rules, set_rule_enabled
from slusha.store.db import Database
from slusha.store.schema import AlertDelivery, AlertRecord, AlertRuleRecord, Event, Mention

__all__ = ["origin"]
HOOK = "/hooks/slusha"


def _rule(stack: Stack, channels: list[str], **values: Any) -> tuple[int, list[str]]:
    values.setdefault("team", "Customer care")
    values.setdefault("kind", "match")
    values.setdefault("topics", ["Acme"])
    spec = RuleSpec(channels=channels, **values)
    created = create_rule(stack.db, spec=spec, settings=stack.alerter.settings,
                          clock=stack.clock, registry=plugin_registry())  # fmt: skip
    return created.rule.id, [secret for _target, secret in created.secrets]


def _rows(db: Database, model: type, *where: Any) -> list[Any]:
    with db.transaction() as tx:
        return list(tx.session.scalars(select(model).where(*where).order_by(model.id)))


async def test_a_mention_reaches_the_signed_webhook_with_its_explanation(
    stack: Stack, origin: Origin
) -> None:
    origin.route(HOOK, Reply(204), method="POST")
    rule_id, [secret] = _rule(stack, [f"webhook:{origin.url(HOOK)}"], filter_query="refund")
    await stack.alerter.refresh(force=True)
    await stack.ingest(
        [
            post("1", "acme, I want a refund now", author={"handle": "ana", "followers": 120}),
            post("2", "acme is lovely today"),  # filtered out by the refinement query
            post("3", "refund for an acme job"),  # another team's topic
        ]
    )
    [request] = origin.hits(HOOK)
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert verify_signature(
        secret,
        headers["x-slusha-timestamp"],
        request.body,
        headers["x-slusha-signature"],
        now=stack.clock.now(),
    )
    payload = request.json()
    assert payload["rule_id"] == str(rule_id) and payload["team"] == "Customer care"
    assert payload["explanation"]["top_posts"][0]["key"] == "mastodon:1"
    assert payload["explanation"]["stream_url"].startswith("https://slusha.example.org/stream")
    [delivery] = _rows(stack.db, AlertDelivery)
    assert (delivery.status, delivery.attempts, delivery.channel) == ("sent", 1, "webhook")
    # The browser hears of it through the outbox.
    events = _rows(stack.db, Event, Event.kind == "alert.created")
    assert [e.payload["alert"]["id"] for e in events] == [payload["id"]]
    assert events[0].published_at is not None


async def test_a_replayed_event_is_not_delivered_twice(stack: Stack, origin: Origin) -> None:
    origin.route(HOOK, Reply(200), method="POST")
    _rule(stack, [f"webhook:{origin.url(HOOK)}"])
    await stack.alerter.refresh(force=True)
    await stack.ingest([post("1", "acme again")])
    [event] = _rows(stack.db, Event, Event.kind == "mention.created")
    replay = {"v": 1, "kind": event.kind, "id": event.id, "payload": event.payload}
    await stack.alerter.handle_events([replay])
    await stack.alerter.drain()
    assert len(origin.hits(HOOK)) == 1
    assert len(_rows(stack.db, AlertRecord)) == 1


async def test_throttling_counts_in_the_stored_state_and_sends_one_summary(
    stack: Stack, origin: Origin
) -> None:
    origin.route(HOOK, Reply(200), method="POST")
    rule_id, _ = _rule(stack, [f"webhook:{origin.url(HOOK)}"], throttle="2/1h")
    await stack.alerter.refresh(force=True)
    await stack.ingest([post(str(i), f"acme complaint number {i}") for i in range(5)])
    assert len(origin.hits(HOOK)) == 2
    [rule] = _rows(stack.db, AlertRuleRecord, AlertRuleRecord.id == rule_id)
    assert rule.state["gate"]["suppressed"] == 3
    verdicts = sorted(a.verdict for a in _rows(stack.db, AlertRecord))
    assert verdicts == ["send", "send", "throttled", "throttled", "throttled"]
    stack.clock.advance(3601)
    await stack.tick()
    hits = origin.hits(HOOK)
    assert len(hits) == 3
    summary = hits[-1].json()
    assert summary["state"] == "info" and summary["title"].startswith("3 more mentions")
    [rule] = _rows(stack.db, AlertRuleRecord, AlertRuleRecord.id == rule_id)
    assert rule.state["gate"]["suppressed"] == 0


async def test_quiet_hours_hold_alerts_until_morning_local_time(
    stack: Stack, origin: Origin
) -> None:
    origin.route(HOOK, Reply(200), method="POST")
    stack.clock.set(datetime(2026, 11, 27, 23, 30, tzinfo=UTC))  # 00:30 in Skopje
    _rule(
        stack,
        [f"webhook:{origin.url(HOOK)}"],
        quiet_hours="22:00-07:00",
        timezone="Europe/Skopje",
    )
    await stack.alerter.refresh(force=True)
    await stack.ingest([post("1", "acme at midnight")])
    assert origin.hits(HOOK) == []
    [alert] = _rows(stack.db, AlertRecord)
    assert alert.verdict == "held"
    stack.clock.set(datetime(2026, 11, 28, 5, 59, tzinfo=UTC))  # 06:59 local: still quiet
    await stack.tick()
    assert origin.hits(HOOK) == []
    stack.clock.set(datetime(2026, 11, 28, 6, 1, tzinfo=UTC))  # 07:01 local
    await stack.tick()
    [request] = origin.hits(HOOK)
    assert request.json()["id"] == alert.alert_key
    [alert] = _rows(stack.db, AlertRecord)
    assert alert.verdict == "send"


async def test_failing_channels_are_recorded_and_the_pipeline_goes_on(
    stack: Stack, origin: Origin
) -> None:
    origin.route("/broken", Reply(500, b"oops"), method="POST")
    origin.route(HOOK, Reply(200), method="POST")
    closed = origin.url("/x").rsplit(":", 1)[0] + ":1/x"  # nothing listens on port 1
    _rule(
        stack,
        [
            f"webhook:{origin.url('/broken')}",
            f"webhook:{closed}",
            f"webhook:{origin.url(HOOK)}",
        ],
    )
    await stack.alerter.refresh(force=True)
    await stack.ingest([post("1", "acme broke"), post("2", "acme still broken")])
    with stack.db.transaction() as tx:
        mentions = tx.session.scalar(select(func.count()).select_from(Mention))
    assert mentions == 2
    deliveries = _rows(stack.db, AlertDelivery)
    outcome = sorted((d.channel_index, d.status, d.reason, d.attempts) for d in deliveries)
    assert outcome == [
        (0, "failed", "http_5xx", 2),
        (0, "failed", "http_5xx", 2),
        (1, "failed", "connection_refused", 2),
        (1, "failed", "connection_refused", 2),
        (2, "sent", None, 1),
        (2, "sent", None, 1),
    ]
    [view] = list_rules(stack.db)
    assert [c.health for c in view.channels] == ["failing", "failing", "ok"]
    assert view.is_failing and view.channels[1].reason == "connection_refused"
    assert len(origin.hits("/broken")) == 4  # two alerts, two attempts each


async def test_a_disabled_rule_is_dropped_by_the_running_alerter(
    stack: Stack, origin: Origin
) -> None:
    origin.route(HOOK, Reply(200), method="POST")
    rule_id, _ = _rule(stack, [f"webhook:{origin.url(HOOK)}"])
    await stack.ingest([post("1", "acme one")])
    set_rule_enabled(stack.db, name_or_id=str(rule_id), enabled=False, clock=stack.clock)
    await stack.ingest([post("2", "acme two")])
    assert len(origin.hits(HOOK)) == 1


async def test_the_demo_spike_fires_one_explained_alert(db: Database, origin: Origin) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    spike_start = (now - timedelta(days=SPIKE_DAYS_AGO)).replace(hour=9)
    clock = FrozenClock(spike_start + timedelta(minutes=100))
    demo_org.set_up(db, clock=clock)
    pipeline = Pipeline(
        db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0), enricher=shared_enricher()
    )
    posts = [p for p in generate(now=now) if p["created_at"] < clock.now().isoformat()]
    for start in range(0, len(posts), 1000):
        chunk = posts[start : start + 1000]
        pipeline.process([Incoming(data=p, where=str(i)) for i, p in enumerate(chunk)])
    origin.route(HOOK, Reply(200), method="POST")
    stack = await start_stack(db, clock, alert_settings(db))
    try:
        _rule(
            stack,
            [f"webhook:{origin.url(HOOK)}"],
            kind="spike",
            topics=["Lumio"],
            name="Lumio volume",
        )
        await stack.tick()
        [alert] = _rows(db, AlertRecord)
        explanation = alert.explanation
        assert (alert.kind, alert.state, alert.verdict) == ("spike", "firing", "send")
        assert explanation["observed"] >= explanation["threshold"] > explanation["expected"]
        assert explanation["top_posts"] and explanation["top_words"]
        assert "Spike for Lumio volume" in alert.title and "the usual" in alert.summary
        assert origin.hits(HOOK)[0].json()["incident_id"] == alert.incident_id
        clock.advance(60)
        await stack.tick()  # still high: the same incident, no second alert
        assert len(_rows(db, AlertRecord)) == 1
        assert len(origin.hits(HOOK)) == 1
    finally:
        await stack.close()


async def test_one_poisoned_event_goes_to_the_dead_letters_not_the_whole_batch(
    stack: Stack, origin: Origin
) -> None:
    # Before: any error in a batch was logged, the whole batch acknowledged and dropped.
    from slusha.bus.messages import SUBJECT_EVENTS
    from slusha.store.schema import DeadLetter

    origin.route(HOOK, Reply(204), method="POST")
    _rule(stack, [f"webhook:{origin.url(HOOK)}"])
    await stack.alerter.refresh(force=True)
    stack.bus.max_deliveries = 1  # give up on the first failure, to keep the test short
    poisoned = {"v": 1, "kind": "mention.created", "id": 999_999,
                "payload": {"team_id": "not a number"}}  # fmt: skip
    await stack.bus.publish(SUBJECT_EVENTS, poisoned, msg_id="event:999999")
    await stack.ingest([post("1", "acme, I want a refund now")])  # same batch as the poisoned
    assert len(origin.hits(HOOK)) == 1  # the good event's alert was delivered
    [dead] = _rows(stack.db, DeadLetter)
    assert dead.subject == SUBJECT_EVENTS and dead.error.startswith("ValueError")
    assert '"not a number"' in dead.payload
