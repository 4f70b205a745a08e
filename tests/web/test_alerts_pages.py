"""The alerts page of a team: rules, the create form, snooze and test, recent alerts with their
explanations, delivery records, and failing channels on the teams page."""

from __future__ import annotations

import re
from datetime import timedelta

from slusha.domain.alerts.explain import Explanation, PostSummary
from slusha.domain.alerts.messages import Alert
from slusha.services import alert_runs
from slusha.services.alerts import list_rules
from slusha.store.alerts import NewAlert
from tests.web.support import World


def _create(world: World, who: str = "care_manager", **fields: str) -> object:
    client = world.client(who)
    data = {"kind": "match", "channels": "email:care@example.org", **fields}
    return client.post(f"/alerts/teams/{world.teams['care']}/rules", data=data)


def _fire(world: World, rule_id: int) -> Alert:
    now = world.clock.now()
    alert = Alert(
        id=f"{rule_id}:test-fire:{now.isoformat()}", rule_id=str(rule_id), rule_name="Spikes",
        team="Customer care", kind="spike", state="firing", title="Acme spike: 42 mentions",
        summary="42 mentions in the last hour, 6 expected", created_at=now,
        explanation=Explanation(
            reason="volume far above the usual", window_start=now - timedelta(hours=1),
            window_end=now, observed=42, expected=6, usual_low=2, usual_high=11,
            top_posts=(PostSummary(key="mastodon:9", network="mastodon", text="acme <b>down</b>",
                                   created_at=now, author="ana"),),
            top_words=(("outage", 12),), top_authors=(("ana", 3),),
        ),
    )  # fmt: skip
    new = NewAlert(rule_id, world.teams["care"], alert.to_dict(), "send")
    alert_runs.record_decisions(world.db, states={}, alerts=[new], clock=world.clock)
    return alert


def test_a_manager_creates_a_rule_and_sees_it(world: World) -> None:
    response = _create(world, name="Refund watch", filter="refund", sentiments="negative",
                       channels="webhook:https://hooks.example.org/slusha",
                       quiet_hours="22:00-07:00", timezone="Europe/Skopje")  # fmt: skip
    assert response.status_code == 200
    secret = re.search(r'<code class="token">([^<]+)</code>', response.text)
    assert secret and len(secret.group(1)) >= 20  # the webhook secret, shown once
    [rule] = list_rules(world.db, team="Customer care")
    assert rule.name == "Refund watch" and rule.filters["query"] == "refund"
    page = world.client("care_viewer").get(f"/alerts/teams/{world.teams['care']}").text
    assert "Refund watch" in page and "22:00–07:00 Europe/Skopje" in page
    assert secret.group(1) not in page
    assert 'action="/alerts/teams/' not in page  # viewers read, they do not edit


def test_form_errors_are_the_apis_and_a_bad_filter_shows_its_position(world: World) -> None:
    response = _create(world, filter="acme AND (down")
    assert response.status_code == 422
    position = int(re.search(r'data-position="(\d+)"', response.text).group(1))  # type: ignore[union-attr]
    assert 0 < position <= len("acme AND (down")
    assert "acme AND (down" in response.text  # the form keeps what was typed
    response = _create(world, channels="carrier-pigeon:home", min_followers="many")
    assert response.status_code == 422
    assert "min_followers" in response.text
    response = _create(world, channels="carrier-pigeon:home")
    assert response.status_code == 422 and "unknown channel" in response.text
    assert list_rules(world.db, team="Customer care") == []
    assert (
        world.client("care_manager").post("/alerts/check", data={"filter": "a ("}).status_code
        == 200
    )


def test_disable_enable_snooze_and_wake(world: World) -> None:
    assert _create(world, name="Any").status_code == 303
    [rule] = list_rules(world.db, team="Customer care")
    client = world.client("care_manager")
    assert client.post(f"/alerts/rules/{rule.id}/disable").status_code == 303
    assert list_rules(world.db)[0].enabled is False
    assert client.post(f"/alerts/rules/{rule.id}/enable").status_code == 303
    assert client.post(f"/alerts/rules/{rule.id}/snooze", data={"hours": "4"}).status_code == 303
    [snoozed] = list_rules(world.db)
    assert snoozed.enabled and snoozed.snoozed_until is not None
    page = client.get(f"/alerts/teams/{world.teams['care']}").text
    assert "Snoozed until" in page and ">Wake<" in page
    assert client.post(f"/alerts/rules/{rule.id}/snooze", data={"hours": "0"}).status_code == 303
    assert list_rules(world.db)[0].snoozed_until is None
    # Members of the team read but do not change; other teams do not see the rule at all.
    assert world.client("care_viewer").post(f"/alerts/rules/{rule.id}/disable").status_code == 403
    assert world.client("hr_manager").post(f"/alerts/rules/{rule.id}/disable").status_code == 404
    assert world.client("hr_manager").get(f"/alerts/teams/{world.teams['care']}").status_code == 404


def test_a_failing_test_shows_in_deliveries_and_on_the_teams_page(world: World) -> None:
    # No SMTP server is set up: the e-mail channel fails with reason "config", visibly.
    assert _create(world, name="Mail").status_code == 303
    [rule] = list_rules(world.db)
    response = world.client("care_manager").post(f"/alerts/rules/{rule.id}/test")
    assert response.status_code == 200
    assert 'id="test-results"' in response.text and "config" in response.text
    page = world.client("care_viewer").get(f"/alerts/teams/{world.teams['care']}").text
    assert 'class="delivery-failed"' in page and "email:care@example.org" in page
    teams = world.client("admin").get("/teams").text
    assert 'id="failing-channels"' in teams and "Mail" in teams
    assert 'id="failing-channels"' not in world.client("hr_viewer").get("/teams").text


def test_recent_alerts_explain_themselves(world: World) -> None:
    assert _create(world, name="Spikes", kind="spike").status_code == 303
    [rule] = list_rules(world.db)
    _fire(world, rule.id)
    page = world.client("care_viewer").get(f"/alerts/teams/{world.teams['care']}").text
    assert "Acme spike: 42 mentions" in page and "volume far above the usual" in page
    assert 'class="observed">42 mentions' in page and 'class="expected">6 mentions' in page
    assert "outage (12)" in page and "ana (3)" in page
    assert "acme &lt;b&gt;down&lt;/b&gt;" in page  # post text escaped
    link = re.search(r'href="(/mentions\?[^"]+)" class="stream-link"', page)
    assert link and f"team_id={world.teams['care']}" in link.group(1)
    assert world.client("care_viewer").get(link.group(1).replace("&amp;", "&")).status_code == 200
    assert (
        "Acme spike" not in world.client("hr_viewer").get(f"/alerts/teams/{world.teams['hr']}").text
    )
