"""The alerting decisions for one rule, composed: the functions the pipeline calls.

Each call takes the rule, its stored ``RuleState`` and ``now``, and returns an ``Outcome``: the
next state to store, the alerts to deliver now, and the alert this step produced (recorded for
the browser and the history even when it was held, throttled or snoozed).

- per mention (match, influencer): ``on_mention``;
- every minute for spike and sentiment rules: compute a ``Check`` (``spikes``/``sentiment``),
  then ``on_check``; load the window's mentions only when ``will_change`` says an alert follows;
- every minute for every rule: ``on_tick`` (throttle and quiet-hours summaries, digest start);
- digest rules: when ``digest_due`` returns a window, count it and call ``on_digest``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from slusha.domain.alerts.check import Check
from slusha.domain.alerts.compose import digest_alert, incident_alert, match_alert
from slusha.domain.alerts.gate import Verdict, admit_alert, flush_gate
from slusha.domain.alerts.incidents import advance_incident
from slusha.domain.alerts.messages import Alert
from slusha.domain.alerts.rules import PER_MENTION_KINDS, AlertRule, MentionFacts, Refinement
from slusha.domain.alerts.rules import rule_accepts as _accepts
from slusha.domain.alerts.state import RuleState


@dataclass(frozen=True, slots=True)
class Outcome:
    """The next state, the alerts to deliver now, and what this step produced."""

    state: RuleState
    deliver: tuple[Alert, ...] = ()
    produced: Alert | None = None
    verdict: Verdict | None = None


def _admit(
    rule: AlertRule, state: RuleState, alert: Alert, now: datetime, base: str | None
) -> Outcome:
    gate, out, verdict = admit_alert(rule, state.gate, alert, now=now, stream_base_url=base)
    return Outcome(replace(state, gate=gate), tuple(out), alert, verdict)


def on_mention(
    rule: AlertRule,
    state: RuleState,
    mention: MentionFacts,
    *,
    now: datetime,
    refine: Refinement | None = None,
    stream_base_url: str | None = None,
) -> Outcome:
    """A new mention: an alert for match and influencer rules when the mention passes."""
    if rule.kind not in PER_MENTION_KINDS or not _accepts(rule, mention, refine=refine):
        return on_tick(rule, state, now=now, stream_base_url=stream_base_url)
    alert = match_alert(rule, mention, now=now, stream_base_url=stream_base_url)
    return _admit(rule, state, alert, now, stream_base_url)


def will_change(rule: AlertRule, state: RuleState, check: Check, *, now: datetime) -> bool:
    """Whether ``on_check`` would open or resolve an incident (then pass the window's posts)."""
    _, change = advance_incident(
        state.incident,
        check,
        rule_id=rule.id,
        now=now,
        clear_after_seconds=rule.clear_after_seconds,
    )
    return change is not None


def on_check(
    rule: AlertRule,
    state: RuleState,
    check: Check,
    *,
    now: datetime,
    mentions: Sequence[MentionFacts] = (),
    stream_base_url: str | None = None,
    exclude_terms: Iterable[str] = (),
) -> Outcome:
    """A detector's verdict for a spike or sentiment rule: open, keep or resolve the incident."""
    incident, change = advance_incident(
        state.incident,
        check,
        rule_id=rule.id,
        now=now,
        clear_after_seconds=rule.clear_after_seconds,
    )
    state = replace(state, incident=incident)
    if change is None or not rule.enabled:
        return on_tick(rule, state, now=now, stream_base_url=stream_base_url)
    alert = incident_alert(
        rule,
        change,
        check,
        mentions,
        stream_base_url=stream_base_url,
        exclude_terms=exclude_terms,
    )
    return _admit(rule, state, alert, now, stream_base_url)


def on_tick(
    rule: AlertRule, state: RuleState, *, now: datetime, stream_base_url: str | None = None
) -> Outcome:
    """Time passed: deliver summaries that came due; start a digest rule's schedule."""
    gate, out = flush_gate(rule, state.gate, now=now, stream_base_url=stream_base_url)
    state = replace(state, gate=gate)
    if rule.digest is not None and state.last_digest_at is None:
        # The first digest covers a full period from the run before now, not the whole past.
        state = replace(state, last_digest_at=rule.digest.previous_run(now))
    return Outcome(state, tuple(out))


def digest_due(
    rule: AlertRule, state: RuleState, *, now: datetime
) -> tuple[datetime, datetime] | None:
    """The window ``(start, end)`` a digest is due for at ``now``, or None.

    After downtime one digest covers everything since the last one, not one per missed run.
    """
    if rule.digest is None or not rule.enabled or state.last_digest_at is None:
        return None
    if rule.digest.next_run(state.last_digest_at) > now:
        return None
    return state.last_digest_at, rule.digest.previous_run(now)


def on_digest(
    rule: AlertRule,
    state: RuleState,
    *,
    window_start: datetime,
    window_end: datetime,
    total: int,
    now: datetime,
    mentions: Sequence[MentionFacts] = (),
    negative: int | None = None,
    previous_total: int | None = None,
    stream_base_url: str | None = None,
    exclude_terms: Iterable[str] = (),
) -> Outcome:
    """The digest for a window ``digest_due`` returned; marks it sent."""
    alert = digest_alert(
        rule,
        window_start=window_start,
        window_end=window_end,
        total=total,
        mentions=mentions,
        negative=negative,
        previous_total=previous_total,
        stream_base_url=stream_base_url,
        exclude_terms=exclude_terms,
    )
    state = replace(state, last_digest_at=window_end)
    return _admit(rule, state, alert, now, stream_base_url)
