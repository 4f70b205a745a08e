"""The composed decisions: mention -> alert, checks -> incident alerts, digests on schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import numpy as np

from slusha.domain.alerts import (
    AlertRule,
    DigestSchedule,
    MentionFacts,
    RuleState,
    Throttle,
    build_volume_baseline,
    check_volume,
    digest_due,
    on_check,
    on_digest,
    on_mention,
    on_tick,
    will_change,
)
from slusha.domain.post import Author, Post
from tests.domain.alerts.series import HOUR, START, counts, weekly_rates

BASE = "https://slusha.example.org"


def stored(state: RuleState) -> RuleState:
    return RuleState.from_dict(json.loads(json.dumps(state.to_dict())))


def mention(n: int, at: datetime, text: str = "acme payments outage") -> MentionFacts:
    post = Post(
        network="reddit",
        id=str(n),
        text=text,
        created_at=at,
        author=Author(handle=f"u{n % 3}", followers=100 * n),
    )
    return MentionFacts(post=post, topic_id="t1", team="Care", sentiment="negative")


def test_match_rule_end_to_end_with_throttle_summary_on_tick() -> None:
    rule = AlertRule(id="m", team="Care", kind="match", throttle=Throttle(2, 600))
    state = RuleState()
    delivered = []
    produced = 0
    t0 = datetime(2026, 7, 1, 12, tzinfo=UTC)
    for n in range(5):
        now = t0 + timedelta(seconds=n)
        outcome = on_mention(rule, stored(state), mention(n, now), now=now, stream_base_url=BASE)
        state = outcome.state
        delivered += outcome.deliver
        produced += outcome.produced is not None
    assert produced == 5 and len(delivered) == 2
    outcome = on_tick(rule, stored(state), now=t0 + timedelta(minutes=10))
    [summary] = outcome.deliver
    assert summary.title.startswith("3 more mentions")


def test_spike_rule_fires_once_and_resolves() -> None:
    rule = AlertRule(id="s", team="Care", kind="spike", clear_after_seconds=900)
    series = counts(weekly_rates(4, 10.0), seed=11)
    end = START + len(series) * HOUR
    baseline = build_volume_baseline(series, end=end)
    state = RuleState()
    alerts = []
    # A burst of 120 mentions per hour for 30 minutes, then calm; evaluated every minute.
    for minute in range(0, 120, 1):
        now = end + timedelta(minutes=minute)
        observed = 120 if 5 <= minute < 35 else 6
        check = check_volume(observed, baseline=baseline, window_start=now - HOUR, window_end=now)
        posts = (
            [mention(i, now) for i in range(8)] if will_change(rule, state, check, now=now) else []
        )
        outcome = on_check(
            rule, stored(state), check, now=now, mentions=posts, stream_base_url=BASE
        )
        state = outcome.state
        alerts += outcome.deliver
    assert [a.state for a in alerts] == ["firing", "resolved"]
    firing, resolved = alerts
    assert firing.incident_id == resolved.incident_id
    assert firing.explanation.observed == 120 and firing.explanation.top_posts
    assert ("outage", 8) in firing.explanation.top_words
    assert firing.link is not None and "since=" in firing.link
    assert "lasted" in resolved.summary


def test_daily_digest_in_local_time() -> None:
    schedule = DigestSchedule(every="daily", at=time(8), timezone="Europe/Skopje")
    rule = AlertRule(id="d", team="PR", kind="digest", digest=schedule)
    now = datetime(2026, 10, 24, 12, tzinfo=UTC)
    state = on_tick(rule, RuleState(), now=now).state
    # Saturday 08:00 CEST = 06:00 UTC was the last run before now.
    assert state.last_digest_at == datetime(2026, 10, 24, 6, tzinfo=UTC)
    assert digest_due(rule, state, now=now) is None
    # Sunday 08:00 is CET after the change: 07:00 UTC.
    sunday = datetime(2026, 10, 25, 7, 1, tzinfo=UTC)
    window = digest_due(rule, stored(state), now=sunday)
    assert window == (datetime(2026, 10, 24, 6, tzinfo=UTC), datetime(2026, 10, 25, 7, tzinfo=UTC))
    start, finish = window
    outcome = on_digest(
        rule,
        state,
        window_start=start,
        window_end=finish,
        total=340,
        previous_total=200,
        negative=34,
        now=sunday,
        mentions=[mention(i, sunday) for i in range(4)],
    )
    [digest] = outcome.deliver
    assert digest.title == "Digest for digest alert d: 340 mentions"
    assert "+70%" in digest.summary and "10% negative" in digest.summary
    assert digest_due(rule, outcome.state, now=sunday) is None


def test_weekly_and_hourly_schedules() -> None:
    weekly = DigestSchedule(every="weekly", at=time(9), weekday=0, timezone="UTC")
    assert weekly.next_run(datetime(2026, 7, 1, tzinfo=UTC)) == datetime(2026, 7, 6, 9, tzinfo=UTC)
    hourly = DigestSchedule(every="hourly", at=time(0, 15), timezone="Europe/Skopje")
    # The repeated hour of the autumn night gets its own run.
    first = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)
    assert hourly.next_run(first) == first + HOUR
    assert np.isclose((hourly.previous_run(first + HOUR) - first).total_seconds(), 3600)
