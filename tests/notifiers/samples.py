"""Alerts built the way the pipeline builds them: through the domain's own functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slusha.domain.alerts import (
    AlertRule,
    Check,
    IncidentState,
    MentionFacts,
    advance_incident,
    incident_alert,
)
from slusha.domain.alerts.messages import Alert
from slusha.domain.post import Author, Post

OPENED = datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
RULE = AlertRule(id="r1", team="PR", kind="spike", name="Acme volume", topic_ids=frozenset({"t1"}))


def mentions() -> list[MentionFacts]:
    texts = [
        ("ana", 1200, "Acme outage again! <script>alert(1)</script> payments down"),
        ("bojan", 80, "Acme payments down since morning, outage everywhere"),
        ("ana", 1200, "Still no payments. @acme_support any news? https://x.example/1"),
        ("cveta", 50000, "Реков: Acme плаќања не работат, outage"),
    ]
    return [
        MentionFacts(
            post=Post(
                network="mastodon",
                id=str(i),
                text=text,
                created_at=OPENED - timedelta(minutes=10 * i),
                url=f"https://social.example/@{handle}/{i}",
                author=Author(handle=f"@{handle}", followers=followers),
                metrics={"likes": 10 * i},
            ),
            topic_id="t1",
            team="PR",
            sentiment="negative",
        )
        for i, (handle, followers, text) in enumerate(texts)
    ]


def spike_check(observed: float, at: datetime) -> Check:
    return Check(
        kind="spike",
        window_start=at - timedelta(hours=1),
        window_end=at,
        observed=observed,
        expected=6.0,
        threshold=18.0,
        resolve_below=12.0,
        p_value=1e-6,
        is_anomaly=observed >= 18,
        is_clear=observed < 12,
        usual_low=2.0,
        usual_high=11.0,
    )


def firing_alert(base_url: str | None = "https://slusha.example.org") -> Alert:
    _, change = advance_incident(
        IncidentState(), spike_check(42, OPENED), rule_id=RULE.id, now=OPENED
    )
    assert change is not None
    return incident_alert(
        RULE, change, spike_check(42, OPENED), mentions(), stream_base_url=base_url
    )


def resolved_alert() -> Alert:
    state, _ = advance_incident(IncidentState(), spike_check(42, OPENED), rule_id="r1", now=OPENED)
    later = OPENED + timedelta(hours=2)
    state, _ = advance_incident(state, spike_check(5, later), rule_id="r1", now=later)
    end = later + timedelta(minutes=20)
    state, change = advance_incident(state, spike_check(4, end), rule_id="r1", now=end)
    assert change is not None and change.kind == "resolved"
    return incident_alert(RULE, change, spike_check(4, end), mentions())
