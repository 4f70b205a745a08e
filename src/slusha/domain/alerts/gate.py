"""What happens to an alert before it leaves: snooze, quiet hours and throttling.

Pure functions over a JSON-serialisable ``GateState``:

- snoozed: the alert is dropped (counted); the people asked for silence;
- quiet hours: the alert is held, and when quiet hours end the held alerts go out as one summary
  (or as themselves when there is only one);
- throttle: per-mention alerts (match, influencer) beyond ``max_alerts`` per period are counted
  and, when the period ends, reported in one "N more" summary. Incidents and digests are rare by
  construction and never throttled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from slusha.domain.alerts.explain import Explanation, PostSummary, stream_url
from slusha.domain.alerts.messages import Alert
from slusha.domain.alerts.rules import PER_MENTION_KINDS, AlertRule

Verdict = Literal["send", "throttled", "held", "snoozed", "disabled"]
SAMPLE_POSTS = 5
MAX_HELD = 20


@dataclass(frozen=True, slots=True)
class GateState:
    """Throttle window, suppressed mentions, alerts held over quiet hours, snoozed count."""

    window_start: datetime | None = None
    sent_in_window: int = 0
    suppressed: int = 0
    suppressed_posts: tuple[PostSummary, ...] = ()
    held: tuple[Alert, ...] = ()
    held_count: int = 0
    snoozed_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON."""
        return {
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "sent_in_window": self.sent_in_window,
            "suppressed": self.suppressed,
            "suppressed_posts": [p.to_dict() for p in self.suppressed_posts],
            "held": [a.to_dict() for a in self.held],
            "held_count": self.held_count,
            "snoozed_count": self.snoozed_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> GateState:
        """Read the JSON form back (None or {} is the empty state)."""
        if not data:
            return cls()
        start = data.get("window_start")
        return cls(
            window_start=datetime.fromisoformat(start) if start else None,
            sent_in_window=int(data.get("sent_in_window", 0)),
            suppressed=int(data.get("suppressed", 0)),
            suppressed_posts=tuple(
                PostSummary.from_dict(p) for p in data.get("suppressed_posts", [])
            ),
            held=tuple(Alert.from_dict(a) for a in data.get("held", [])),
            held_count=int(data.get("held_count", 0)),
            snoozed_count=int(data.get("snoozed_count", 0)),
        )


def _is_quiet(rule: AlertRule, now: datetime) -> bool:
    return rule.quiet_hours is not None and rule.quiet_hours.contains(now)


def _hold(state: GateState, alert: Alert) -> GateState:
    held = state.held if len(state.held) >= MAX_HELD else (*state.held, alert)
    return replace(state, held=held, held_count=state.held_count + 1)


def admit_alert(
    rule: AlertRule,
    state: GateState,
    alert: Alert,
    *,
    now: datetime,
    stream_base_url: str | None = None,
) -> tuple[GateState, list[Alert], Verdict]:
    """Decide about ``alert``: the next state, the alerts to deliver now, and the verdict.

    The alerts to deliver may include summaries that came due (see ``flush_gate``).
    """
    state, out = flush_gate(rule, state, now=now, stream_base_url=stream_base_url)
    if not rule.enabled:
        return state, out, "disabled"
    if rule.is_snoozed(now):
        return replace(state, snoozed_count=state.snoozed_count + 1), out, "snoozed"
    if _is_quiet(rule, now):
        return _hold(state, alert), out, "held"
    if alert.kind in PER_MENTION_KINDS and alert.state == "firing":
        period = timedelta(seconds=rule.throttle.period_seconds)
        if state.window_start is None or now >= state.window_start + period:
            state = replace(state, window_start=now, sent_in_window=0)
        if state.sent_in_window >= rule.throttle.max_alerts:
            posts = state.suppressed_posts
            if len(posts) < SAMPLE_POSTS:
                posts = (*posts, *alert.posts[: SAMPLE_POSTS - len(posts)])
            return (
                replace(state, suppressed=state.suppressed + 1, suppressed_posts=posts),
                out,
                "throttled",
            )
        state = replace(state, sent_in_window=state.sent_in_window + 1)
    out.append(alert)
    return state, out, "send"


def flush_gate(
    rule: AlertRule, state: GateState, *, now: datetime, stream_base_url: str | None = None
) -> tuple[GateState, list[Alert]]:
    """Summaries that are due at ``now``: a throttle period ended, or quiet hours did.

    Call it on a timer too (every minute), so a summary does not wait for the next mention.
    """
    out: list[Alert] = []
    period = timedelta(seconds=rule.throttle.period_seconds)
    if (
        state.window_start is not None
        and now >= state.window_start + period
        and state.suppressed > 0
    ):
        summary = _throttle_summary(
            rule, state, end=state.window_start + period, base=stream_base_url
        )
        state = replace(
            state, window_start=None, sent_in_window=0, suppressed=0, suppressed_posts=()
        )
        if _is_quiet(rule, now) or rule.is_snoozed(now):
            state = _hold(state, summary)
        else:
            out.append(summary)
    if state.held_count and not _is_quiet(rule, now) and not rule.is_snoozed(now):
        released = state.held[0] if state.held_count == 1 else _held_summary(rule, state, now)
        out.append(released)
        state = replace(state, held=(), held_count=0)
    return state, out


def _throttle_summary(
    rule: AlertRule, state: GateState, *, end: datetime, base: str | None
) -> Alert:
    assert state.window_start is not None
    n = state.suppressed
    noun = "mention" if n == 1 else "mentions"
    explanation = Explanation(
        reason=f"more than {rule.throttle.max_alerts} alerts in the throttle period",
        window_start=state.window_start,
        window_end=end,
        observed=float(n),
        top_posts=state.suppressed_posts,
        stream_url=stream_url(base, rule, since=state.window_start, until=end),
        facts=(("Not sent one by one", str(n)),),
    )
    return Alert(
        id=f"{rule.id}:more:{state.window_start.isoformat()}",
        rule_id=rule.id,
        rule_name=rule.display_name,
        team=rule.team,
        kind=rule.kind,
        state="info",
        title=f"{n} more {noun} for {rule.display_name}",
        summary=(
            f"{rule.throttle.max_alerts} alerts were sent in this period; {n} further {noun} "
            "matched and were not sent one by one."
        ),
        created_at=end,
        explanation=explanation,
        topic_ids=tuple(sorted(rule.topic_ids)),
    )


def _held_summary(rule: AlertRule, state: GateState, now: datetime) -> Alert:
    first = state.held[0]
    lines = [f"- {alert.title}" for alert in state.held[:10]]
    if state.held_count > len(lines):
        lines.append(f"- and {state.held_count - len(lines)} more")
    posts: list[PostSummary] = []
    for alert in state.held:
        posts.extend(p for p in alert.posts if p.key not in {q.key for q in posts})
    incident_ids = {a.incident_id for a in state.held if a.incident_id}
    explanation = Explanation(
        reason="alerts were held during quiet hours",
        window_start=first.created_at,
        window_end=now,
        observed=float(state.held_count),
        top_posts=tuple(posts[:SAMPLE_POSTS]),
        stream_url=first.link,
        facts=(("Held", str(state.held_count)),),
    )
    return Alert(
        id=f"{rule.id}:held:{first.created_at.isoformat()}",
        rule_id=rule.id,
        rule_name=rule.display_name,
        team=rule.team,
        kind=rule.kind,
        state="info",
        title=f"During quiet hours: {state.held_count} alerts for {rule.display_name}",
        summary="\n".join(lines),
        created_at=now,
        explanation=explanation,
        incident_id=next(iter(incident_ids)) if len(incident_ids) == 1 else None,
        topic_ids=tuple(sorted(rule.topic_ids)),
    )
