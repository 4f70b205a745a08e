"""Builders that turn a rule's decision into an ``Alert`` with its explanation."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from slusha.domain.alerts.check import Check
from slusha.domain.alerts.explain import (
    Explanation,
    stream_url,
    summarize_post,
    top_authors,
    top_posts,
    top_words,
)
from slusha.domain.alerts.incidents import IncidentChange
from slusha.domain.alerts.messages import Alert, AlertState
from slusha.domain.alerts.rules import AlertRule, MentionFacts
from slusha.domain.alerts.schedule import zone


def display_zone(rule: AlertRule) -> str:
    """The time zone a rule's people live in (quiet hours, else digest, else UTC)."""
    if rule.quiet_hours is not None:
        return rule.quiet_hours.timezone
    if rule.digest is not None:
        return rule.digest.timezone
    return "UTC"


def format_time(when: datetime, timezone: str, *, with_day: bool = False) -> str:
    """``14:37 CET`` or ``Mon 27 Oct 14:37 CET`` in the given zone."""
    local = when.astimezone(zone(timezone))
    return local.strftime("%a %d %b %H:%M %Z" if with_day else "%H:%M %Z")


def format_window(start: datetime, end: datetime, timezone: str) -> str:
    """``13:37–14:37 CET`` (with days when the window is longer than a day)."""
    long = end - start > timedelta(hours=23)
    return (
        f"{format_time(start, timezone, with_day=long)}–{format_time(end, timezone, with_day=long)}"
    )


def format_duration(delta: timedelta) -> str:
    """``1 h 20 min``, ``45 min`` or ``2 d 3 h``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def match_alert(
    rule: AlertRule, mention: MentionFacts, *, now: datetime, stream_base_url: str | None = None
) -> Alert:
    """The alert for one mention of a match or influencer rule."""
    summary_post = summarize_post(mention)
    author = summary_post.author or "someone"
    if rule.kind == "influencer":
        followers = summary_post.followers or 0
        title = f"{author} ({followers:,} followers) mentioned {rule.display_name}"
        reason = (
            f"{author} is on the watch list"
            if (mention.post.author_handle or "").lstrip("@").casefold() in rule.watch_list
            else f"{author} has {followers:,} followers, at least "
            f"{rule.influencer_min_followers or 0:,}"
        )
    else:
        title = f"New mention for {rule.display_name} on {mention.post.network}"
        reason = "a new mention passed the rule's filters"
    facts = [("Network", mention.post.network), ("Author", author)]
    if mention.sentiment:
        facts.append(("Sentiment", mention.sentiment))
    if mention.language:
        facts.append(("Language", mention.language))
    explanation = Explanation(
        reason=reason,
        window_start=mention.post.created_at,
        window_end=mention.post.created_at,
        observed=1.0,
        top_posts=(summary_post,),
        top_words=top_words([mention], limit=5),
        top_authors=((author, 1),) if summary_post.author else (),
        stream_url=stream_url(stream_base_url, rule),
        facts=tuple(facts),
    )
    return Alert(
        id=f"{rule.id}:{mention.post.key}",
        rule_id=rule.id,
        rule_name=rule.display_name,
        team=rule.team,
        kind=rule.kind,
        state="firing",
        title=title,
        summary=f"{author}: {summary_post.text}",
        created_at=now,
        explanation=explanation,
        topic_ids=(mention.topic_id,),
    )


def incident_alert(
    rule: AlertRule,
    change: IncidentChange,
    check: Check,
    mentions: Sequence[MentionFacts] = (),
    *,
    stream_base_url: str | None = None,
    exclude_terms: Iterable[str] = (),
) -> Alert:
    """The "firing" or "resolved" alert of a spike or sentiment incident."""
    tz = display_zone(rule)
    window = format_window(check.window_start, check.window_end, tz)
    is_sentiment = check.kind == "sentiment"
    if is_sentiment:
        negative = round(check.observed * (check.total or 0))
        observed = f"{check.observed:.0%} negative ({negative} of {check.total} mentions)"
        expected = f"about {check.expected:.0%} negative"
        if check.usual_high is not None:
            expected += f" (usually up to {check.usual_high:.0%})"
    else:
        observed = f"{_count(check.observed)} mentions"
        expected = f"about {_count(check.expected)}"
        if check.usual_low is not None and check.usual_high is not None:
            expected += f" (usually {_count(check.usual_low)}–{_count(check.usual_high)})"
    opened = format_time(change.opened_at, tz, with_day=True)
    what = "negative sentiment" if is_sentiment else "mention volume"
    if change.kind == "opened":
        title = (
            f"Negative sentiment up for {rule.display_name}: {check.observed:.0%}"
            if is_sentiment
            else f"Spike for {rule.display_name}: {_count(check.observed)} mentions"
        )
        ratio = check.ratio
        times = f", {ratio:.1f}× the usual" if ratio is not None and math.isfinite(ratio) else ""
        summary = f"{observed} in {window}{times}; expected {expected}."
        reason = f"{what} crossed the alert line of {_threshold(check)}"
        state: AlertState = "firing"
    else:
        title = f"Resolved: {what} back to normal for {rule.display_name}"
        lasted = format_duration(change.at - change.opened_at)
        peak = f"{change.peak:.0%}" if is_sentiment else _count(change.peak)
        summary = (
            f"{observed} in {window}; expected {expected}. "
            f"The incident began {opened}, lasted {lasted} and peaked at {peak}."
        )
        reason = f"{what} stayed below {_resolve_line(check)} for a while"
        state = "resolved"
    facts = (
        ("Observed", observed),
        ("Expected", expected),
        ("Window", window),
        ("Incident since", opened),
    )
    explanation = Explanation(
        reason=reason,
        window_start=check.window_start,
        window_end=check.window_end,
        observed=check.observed,
        expected=check.expected,
        threshold=check.threshold,
        usual_low=check.usual_low,
        usual_high=check.usual_high,
        p_value=check.p_value,
        unit="negative share" if is_sentiment else "mentions",
        top_posts=top_posts(mentions),
        top_words=top_words(mentions, exclude=exclude_terms),
        top_authors=top_authors(mentions),
        stream_url=stream_url(
            stream_base_url, rule, since=check.window_start, until=check.window_end
        ),
        facts=facts,
    )
    return Alert(
        id=f"{change.incident_id}:{state}",
        rule_id=rule.id,
        rule_name=rule.display_name,
        team=rule.team,
        kind=rule.kind,
        state=state,
        title=title,
        summary=summary,
        created_at=change.at,
        explanation=explanation,
        incident_id=change.incident_id,
        topic_ids=tuple(sorted(rule.topic_ids)),
    )


def _threshold(check: Check) -> str:
    if check.kind == "sentiment":
        return f"{check.threshold:.0%}"
    return f"{check.threshold:,.0f} mentions"


def _resolve_line(check: Check) -> str:
    if check.kind == "sentiment":
        return f"{check.resolve_below:.0%}"
    return f"{check.resolve_below:,.0f} mentions"


def digest_alert(
    rule: AlertRule,
    *,
    window_start: datetime,
    window_end: datetime,
    total: int,
    mentions: Sequence[MentionFacts] = (),
    negative: int | None = None,
    previous_total: int | None = None,
    stream_base_url: str | None = None,
    exclude_terms: Iterable[str] = (),
) -> Alert:
    """The scheduled summary of a team's mentions over ``[window_start, window_end)``.

    ``mentions`` are the posts to show (the top ones are picked); ``total`` is the full count.
    """
    tz = display_zone(rule)
    window = format_window(window_start, window_end, tz)
    facts = [("Mentions", f"{total:,}"), ("Window", window)]
    summary = f"{total:,} mentions in {window}"
    if previous_total is not None:
        change = _change(total, previous_total)
        facts.append(("Before", f"{previous_total:,} ({change})"))
        summary += f" ({change} on the period before)"
    if negative is not None and total:
        facts.append(("Negative", f"{negative / total:.0%}"))
        summary += f"; {negative / total:.0%} negative"
    explanation = Explanation(
        reason=f"{rule.digest.every if rule.digest else 'scheduled'} digest",
        window_start=window_start,
        window_end=window_end,
        observed=float(total),
        expected=None if previous_total is None else float(previous_total),
        top_posts=top_posts(mentions),
        top_words=top_words(mentions, exclude=exclude_terms),
        top_authors=top_authors(mentions),
        stream_url=stream_url(stream_base_url, rule, since=window_start, until=window_end),
        facts=tuple(facts),
    )
    return Alert(
        id=f"{rule.id}:digest:{window_end.isoformat()}",
        rule_id=rule.id,
        rule_name=rule.display_name,
        team=rule.team,
        kind=rule.kind,
        state="info",
        title=f"Digest for {rule.display_name}: {total:,} mentions",
        summary=summary + ".",
        created_at=window_end,
        explanation=explanation,
        topic_ids=tuple(sorted(rule.topic_ids)),
    )


def _change(now: int, before: int) -> str:
    if before == 0:
        return "new" if now else "no change"
    delta = (now - before) / before
    return f"{delta:+.0%}"
