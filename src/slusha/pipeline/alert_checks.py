"""Spike, sentiment and digest inputs from the hourly rollups, with baselines cached per hour.

The window of a check is ``[now - window, now)``. Rollups count whole hours, so the oldest,
partly covered hour is prorated by the share of it inside the window (mentions are assumed
spread evenly over that hour); the current hour counts in full, since all of it so far lies
inside. This keeps the count smooth as the clock crosses an hour, so incidents do not flap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from slusha.domain.alerts import (
    Check,
    MentionFacts,
    SentimentBaseline,
    VolumeBaseline,
    build_sentiment_baseline,
    build_volume_baseline,
    check_sentiment,
    check_volume,
)
from slusha.domain.alerts.compose import display_zone
from slusha.services.alert_runs import ActiveRule, hourly_history, mentions_in_window
from slusha.store.alerts import WindowMention
from slusha.store.db import Database

HOUR = timedelta(hours=1)
HISTORY_WEEKS = 4
MENTIONS_PER_ALERT = 300


def floor_hour(when: datetime) -> datetime:
    """The start of the UTC hour that contains ``when``."""
    return when.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Mentions and negative mentions in a window (prorated at its old edge)."""

    total: float
    negative: float


def window_counts(
    hours: dict[datetime, tuple[int, int]], *, start: datetime, end: datetime
) -> WindowCounts:
    """Sum ``hours`` over ``[start, end)``, the first partial hour prorated."""
    total = negative = 0.0
    for hour, (count, neg) in hours.items():
        overlap = min(hour + HOUR, end) - max(hour, start)
        if overlap <= timedelta(0):
            continue
        # The current hour has only happened up to ``end``: it is covered in full.
        covered = min(hour + HOUR, end) - hour
        fraction = min(1.0, overlap / covered)
        total += count * fraction
        negative += neg * fraction
    return WindowCounts(total, negative)


def _series(
    hours: dict[datetime, tuple[int, int]], *, start: datetime, end: datetime
) -> tuple[list[int], list[int]]:
    """Hourly totals and negatives from ``start`` to ``end``, leading empty hours trimmed.

    A topic younger than the history window would otherwise look like weeks of silence.
    """
    totals: list[int] = []
    negatives: list[int] = []
    cursor = start
    while cursor < end:
        total, neg = hours.get(cursor, (0, 0))
        if totals or total:
            totals.append(total)
            negatives.append(neg)
        cursor += HOUR
    return totals, negatives


class WindowChecks:
    """Computes a rule's ``Check`` from the rollups; baselines are built once per rule and hour."""

    def __init__(self, db: Database, *, weeks: int = HISTORY_WEEKS) -> None:
        self.db = db
        self.weeks = weeks
        self._volume: dict[int, tuple[datetime, VolumeBaseline]] = {}
        self._sentiment: dict[int, tuple[datetime, SentimentBaseline]] = {}

    def forget(self, keep: set[int]) -> None:
        """Drop cached baselines of rules that are gone."""
        for cache in (self._volume, self._sentiment):
            for rule_id in [r for r in cache if r not in keep]:
                del cache[rule_id]

    def _history(self, active: ActiveRule, end: datetime) -> tuple[list[int], list[int]]:
        start = end - self.weeks * 7 * 24 * HOUR
        hours = hourly_history(self.db, scope=active.scope, start=start, end=end)
        return _series(hours, start=start, end=end)

    def volume_baseline(self, active: ActiveRule, end: datetime) -> VolumeBaseline:
        """The rule's volume baseline for history ending at the whole hour ``end`` (cached)."""
        cached = self._volume.get(active.row_id)
        if cached is not None and cached[0] == end:
            return cached[1]
        totals, _ = self._history(active, end)
        baseline = build_volume_baseline(
            totals, end=end, timezone=display_zone(active.rule), weeks=self.weeks
        )
        self._volume[active.row_id] = (end, baseline)
        return baseline

    def sentiment_baseline(self, active: ActiveRule, end: datetime) -> SentimentBaseline:
        """The rule's usual negative share for history ending at ``end`` (cached)."""
        cached = self._sentiment.get(active.row_id)
        if cached is not None and cached[0] == end:
            return cached[1]
        totals, negatives = self._history(active, end)
        window_hours = max(1, round(active.rule.window_seconds / 3600))
        baseline = build_sentiment_baseline(negatives, totals, window_hours=window_hours)
        self._sentiment[active.row_id] = (end, baseline)
        return baseline

    def check(self, active: ActiveRule, now: datetime) -> Check:
        """The spike or sentiment check of ``active`` for the window ending at ``now``."""
        rule = active.rule
        start = now - timedelta(seconds=rule.window_seconds)
        hours = hourly_history(self.db, scope=active.scope, start=floor_hour(start), end=now)
        counts = window_counts(hours, start=start, end=now)
        history_end = floor_hour(now)
        if rule.kind == "sentiment":
            return check_sentiment(
                round(counts.negative),
                round(counts.total),
                baseline=self.sentiment_baseline(active, history_end),
                window_start=start,
                window_end=now,
                sensitivity=rule.sensitivity,
                min_count=rule.min_count,
                min_shift=rule.min_shift,
            )
        return check_volume(
            round(counts.total),
            baseline=self.volume_baseline(active, history_end),
            window_start=start,
            window_end=now,
            sensitivity=rule.sensitivity,
            min_count=rule.min_count,
            min_ratio=rule.min_ratio,
        )

    def mentions(
        self, active: ActiveRule, start: datetime, end: datetime, *, negative_only: bool = False
    ) -> list[MentionFacts]:
        """The mentions behind an alert over ``[start, end)``, as the domain wants them."""
        rows = mentions_in_window(
            self.db, scope=active.scope, start=start, end=end, negative_only=negative_only
        )
        return facts(rows, team=active.rule.team)

    def digest_counts(
        self, active: ActiveRule, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        """Mentions, negative mentions, and mentions in the period before, for a digest."""
        span = end - start
        hours = hourly_history(self.db, scope=active.scope, start=floor_hour(start - span), end=end)
        now_counts = window_counts(hours, start=start, end=end)
        before = window_counts(hours, start=start - span, end=start)
        return round(now_counts.total), round(now_counts.negative), round(before.total)


def facts(rows: Sequence[WindowMention], *, team: str) -> list[MentionFacts]:
    """Stored mentions as ``MentionFacts``."""
    return [
        MentionFacts(post=r.post, topic_id=str(r.topic_id), team=team, sentiment=r.sentiment,
                     lang=r.lang)
        for r in rows
    ]  # fmt: skip
