"""Throttling, quiet hours across DST changes, snooze, and the gate's JSON state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from slusha.domain.alerts import (
    AlertRule,
    GateState,
    MentionFacts,
    QuietHours,
    Throttle,
    admit_alert,
    flush_gate,
    match_alert,
)
from slusha.domain.alerts.messages import Alert
from slusha.domain.post import Author, Post

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
SKOPJE_NIGHTS = QuietHours(start=time(22), end=time(7), timezone="Europe/Skopje")


def mention(n: int, at: datetime) -> MentionFacts:
    post = Post(
        network="bluesky",
        id=f"p{n}",
        text=f"post number {n} about acme",
        created_at=at,
        author=Author(handle=f"@user{n}"),
    )
    return MentionFacts(post=post, topic_id="t1", team="Care")


def alert(rule: AlertRule, n: int, at: datetime) -> Alert:
    return match_alert(rule, mention(n, at), now=at)


def roundtrip(state: GateState) -> GateState:
    return GateState.from_dict(json.loads(json.dumps(state.to_dict())))


def test_throttle_sends_n_then_one_summary() -> None:
    rule = AlertRule(id="m1", team="Care", kind="match", throttle=Throttle(3, 3600))
    state = GateState()
    sent: list[Alert] = []
    verdicts = []
    for n in range(10):
        now = T0 + timedelta(minutes=n)
        state, out, verdict = admit_alert(rule, roundtrip(state), alert(rule, n, now), now=now)
        sent += out
        verdicts.append(verdict)
    assert verdicts == ["send"] * 3 + ["throttled"] * 7
    assert [a.explanation.top_posts[0].key for a in sent] == [
        "bluesky:p0",
        "bluesky:p1",
        "bluesky:p2",
    ]
    state, out = flush_gate(rule, roundtrip(state), now=T0 + timedelta(minutes=59))
    assert out == []  # the period is not over yet
    state, out = flush_gate(rule, state, now=T0 + timedelta(hours=1))
    [summary] = out
    assert summary.state == "info" and summary.title.startswith("7 more mentions")
    assert len(summary.posts) == 5 and summary.posts[0].key == "bluesky:p3"
    assert state.suppressed == 0
    # A fresh period sends again.
    later = T0 + timedelta(hours=1, minutes=5)
    _, out, verdict = admit_alert(rule, state, alert(rule, 99, later), now=later)
    assert verdict == "send" and len(out) == 1


def test_quiet_hours_hold_alerts_and_release_one_summary_after_the_autumn_change() -> None:
    rule = AlertRule(id="m2", team="Care", kind="match", quiet_hours=SKOPJE_NIGHTS)
    # Saturday 24 October 2026, 23:00 in Skopje (CEST, UTC+2); the clocks go back at 03:00.
    evening = datetime(2026, 10, 24, 21, tzinfo=UTC)
    state = GateState()
    for n, minutes in enumerate((0, 90, 300)):
        now = evening + timedelta(minutes=minutes)
        state, out, verdict = admit_alert(rule, state, alert(rule, n, now), now=now)
        assert (out, verdict) == ([], "held")
    # 06:59 local is 05:59 UTC after the change (CET, UTC+1): still quiet.
    state, out = flush_gate(rule, roundtrip(state), now=datetime(2026, 10, 25, 5, 59, tzinfo=UTC))
    assert out == []
    # 07:00 local = 06:00 UTC: the night lasted ten hours, not nine.
    assert SKOPJE_NIGHTS.ends_at(evening) == datetime(2026, 10, 25, 6, tzinfo=UTC)
    state, out = flush_gate(rule, state, now=datetime(2026, 10, 25, 6, tzinfo=UTC))
    [summary] = out
    assert summary.title == "During quiet hours: 3 alerts for match alert m2"
    assert state.held_count == 0


def test_quiet_hours_in_spring_are_eight_hours() -> None:
    # Saturday 28 March 2026, 22:00 CET = 21:00 UTC; 07:00 CEST on Sunday = 05:00 UTC.
    start = datetime(2026, 3, 28, 21, tzinfo=UTC)
    assert not SKOPJE_NIGHTS.contains(start - timedelta(seconds=1))
    assert SKOPJE_NIGHTS.contains(start)
    assert SKOPJE_NIGHTS.ends_at(start) == datetime(2026, 3, 29, 5, tzinfo=UTC)
    assert not SKOPJE_NIGHTS.contains(datetime(2026, 3, 29, 5, tzinfo=UTC))


def test_a_single_held_alert_is_released_as_itself() -> None:
    rule = AlertRule(id="m3", team="Care", kind="match", quiet_hours=SKOPJE_NIGHTS)
    night = datetime(2026, 6, 1, 23, tzinfo=UTC)  # 01:00 local
    held = alert(rule, 1, night)
    state, _, verdict = admit_alert(rule, GateState(), held, now=night)
    assert verdict == "held"
    _, out = flush_gate(rule, state, now=datetime(2026, 6, 2, 5, tzinfo=UTC))
    assert out == [held]


def test_quiet_hours_on_chosen_weekdays_only() -> None:
    weekends = QuietHours(
        start=time(0), end=time(23, 59), timezone="UTC", weekdays=frozenset({5, 6})
    )
    assert weekends.contains(datetime(2026, 6, 6, 12, tzinfo=UTC))  # Saturday
    assert not weekends.contains(datetime(2026, 6, 8, 12, tzinfo=UTC))  # Monday


def test_snooze_drops_until_it_ends() -> None:
    rule = AlertRule(id="m4", team="Care", kind="match").snoozed(T0 + timedelta(hours=2))
    state, out, verdict = admit_alert(rule, GateState(), alert(rule, 1, T0), now=T0)
    assert (out, verdict, state.snoozed_count) == ([], "snoozed", 1)
    after = T0 + timedelta(hours=2)
    _, out, verdict = admit_alert(rule, state, alert(rule, 2, after), now=after)
    assert verdict == "send" and len(out) == 1


def test_disabled_rule_sends_nothing() -> None:
    rule = AlertRule(id="m5", team="Care", kind="match", enabled=False)
    _, out, verdict = admit_alert(rule, GateState(), alert(rule, 1, T0), now=T0)
    assert (out, verdict) == ([], "disabled")
