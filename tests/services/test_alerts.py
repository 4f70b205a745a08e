"""Alert rule use cases on real databases: validation, secrets at rest, audit, test sends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.support.alerting import alert_settings, plugin_registry
from tests.support.builders import organisation
from tests.support.net_fixtures import make_client, origin
from tests.support.origin import Origin, Reply

from slusha.clock import FrozenClock
from slusha.config import Settings
from slusha.errors import Conflict, InputError, NotFound
from slusha.plugins.host import PluginHost
from slusha.services.alert_specs import FilterQueryError, RuleSpec
from slusha.services.alerts import (
    create_rule,
    list_deliveries,
    list_rules,
    send_test_alerts,
    set_rule_enabled,
    snooze_rule,
)
from slusha.store.db import Database
from slusha.store.schema import AlertRuleRecord, AuditEntry

__all__ = ["origin"]
SLACK = "slack:https://hooks.slack.com/services/T000/B000/very-secret-token"


@pytest.fixture
def settings(db: Database, clock: FrozenClock) -> Settings:
    organisation(db, clock=clock)
    return alert_settings(db)


def _add(db: Database, settings: Settings, clock: FrozenClock, **values: Any) -> Any:
    values.setdefault("team", "Customer care")
    values.setdefault("kind", "match")
    values.setdefault("topics", ["Acme"])
    values.setdefault("channels", ["email:care@example.org"])
    return create_rule(
        db, spec=RuleSpec(**values), settings=settings, clock=clock, registry=plugin_registry()
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"team": "Nobody"}, "no team named 'Nobody' (teams: Customer care, HR)"),
        ({"topics": ["Nope"]}, "no topic named 'Nope' (topics of Customer care: Acme, Refunds)"),
        ({"topics": ["Acme jobs"]}, "belongs to another team"),
        ({"channels": ["pager:123"]}, "unknown channel 'pager:123'"),
        ({"channels": ["slack:not a url"]}, "bad slack channel"),
        ({"channels": ["email:nobody"]}, "is not an e-mail address"),
        ({"kind": "digest"}, "needs --schedule"),
        ({"kind": "influencer"}, "follower threshold or a watch list"),
        ({"throttle": "lots"}, "--throttle must look like 10/1h"),
        ({"quiet_hours": "22:00-07:00", "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"kind": "spike", "sensitivity": 0.0}, "sensitivity"),
    ],
)
def test_bad_input_is_refused_with_a_clear_reason(
    db: Database, settings: Settings, clock: FrozenClock, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as info:
        _add(db, settings, clock, **values)
    assert message in str(info.value)
    assert list_rules(db) == []


def test_a_bad_filter_query_says_where(db: Database, settings: Settings, clock) -> None:
    with pytest.raises(FilterQueryError) as info:
        _add(db, settings, clock, filter_query="refund AND (")
    assert info.value.position == 11


def test_channel_secrets_are_encrypted_at_rest_and_masked(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    created = _add(db, settings, clock, channels=[SLACK, "webhook:https://example.org/in"])
    [(target, secret)] = created.secrets
    assert target == "webhook:https://example.org/in" and secret.startswith("whsec_")
    with db.transaction() as tx:
        row = tx.session.scalars(select(AlertRuleRecord)).one()
        stored = str(row.channels) + str(row.secrets) + str(row.config)
    assert "very-secret-token" not in stored and secret not in stored
    assert [c.target for c in created.rule.channels] == [
        "slack:https://hooks.slack.com/…",
        "webhook:https://example.org/in",
    ]


def test_every_change_is_audited(db: Database, settings: Settings, clock: FrozenClock) -> None:
    rule = _add(db, settings, clock, name="Refund watch").rule
    with pytest.raises(Conflict):
        _add(db, settings, clock, name="refund watch")
    set_rule_enabled(db, name_or_id="Refund watch", enabled=False, clock=clock)
    snooze_rule(db, name_or_id=str(rule.id), until=clock.now() + timedelta(hours=2), clock=clock)
    with pytest.raises(NotFound):
        set_rule_enabled(db, name_or_id="missing", enabled=False, clock=clock)
    with db.transaction() as tx:
        actions = [e.action for e in tx.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["alert_rule.create", "alert_rule.disable", "alert_rule.snooze"]
    [view] = list_rules(db)
    assert not view.enabled and view.snoozed_until == clock.now() + timedelta(hours=2)


async def test_test_sends_the_sample_through_every_channel_and_records_it(
    db: Database, settings: Settings, clock: FrozenClock, origin: Origin
) -> None:
    origin.route("/ok", Reply(200), method="POST")
    origin.route("/down", Reply(503), method="POST")
    _add(
        db, settings, clock, name="Two hooks",
        channels=[f"webhook:{origin.url('/ok')}", f"mattermost:{origin.url('/down')}"],
    )  # fmt: skip
    async with PluginHost(
        settings=settings, clock=clock, registry=plugin_registry(), http=make_client()
    ) as host:
        results = await send_test_alerts(db, name_or_id="two hooks", host=host)
        await host.http.aclose()
    assert [(t.result.status, t.result.reason) for t in results] == [
        ("sent", None),
        ("failed", "http_5xx"),
    ]
    assert origin.hits("/ok")[0].json()["title"] == "Test alert from Slusha"
    deliveries = list_deliveries(db, name_or_id="Two hooks")
    assert sorted(d.status for d in deliveries) == ["failed", "sent"]
    [view] = list_rules(db)
    assert [c.health for c in view.channels] == ["ok", "failing"]
