"""Volume spikes: a mention count far above what this hour of this weekday usually brings.

The baseline is a seasonal profile over the hour of the week (in the rule's time zone) from the
last weeks, estimated robustly so that an earlier spike does not raise it, scaled by the recent
level (a topic that doubled last week is not a spike every hour this week). Counts are treated as
negative binomial with a dispersion measured from the same history, and the sensitivity (false
alarms per month) becomes a tail probability per window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from slusha.domain.alerts.check import Check
from slusha.domain.alerts.schedule import zone
from slusha.domain.alerts.stats import (
    MAX_DISPERSION,
    count_threshold,
    count_upper_tail,
    false_alarm_probability,
)

HOUR = timedelta(hours=1)
HOURS_PER_WEEK = 168
# Robust exclusion: a cell this many standard deviations above its slot's median is treated as
# an incident of its own and kept out of the baseline.
OUTLIER_SD = 4.5
# Counts the level estimate borrows from the profile; it keeps a quiet topic's level near 1.
LEVEL_PRIOR = 24.0
LEVEL_RANGE = (0.5, 2.0)


@dataclass(frozen=True, slots=True)
class VolumeBaseline:
    """Expected mentions per hour of the week, a level factor and a dispersion."""

    profile: tuple[float, ...]
    level: float
    dispersion: float
    timezone: str
    mode: str
    samples_per_slot: float
    history_hours: int

    @property
    def is_ready(self) -> bool:
        """False when there was too little history (under a day) to judge anything."""
        return self.mode != "none"

    def hourly_expected(self, hour_start: datetime) -> float:
        """Expected mentions in the hour that starts at ``hour_start``."""
        return self.profile[_hour_of_week(hour_start, self.timezone)] * self.level

    def expected(self, start: datetime, end: datetime) -> float:
        """Expected mentions in ``[start, end)``, prorating partial hours."""
        total = 0.0
        # Buckets are UTC hours, as the history is; a +05:30 zone must not shift them.
        cursor, end = start.astimezone(UTC), end.astimezone(UTC)
        while cursor < end:
            hour_start = cursor.replace(minute=0, second=0, microsecond=0)
            hour_end = min(hour_start + HOUR, end)
            fraction = (hour_end - cursor) / HOUR
            total += self.hourly_expected(hour_start) * fraction
            cursor = hour_end
        return total

    @property
    def effective_dispersion(self) -> float:
        """Dispersion including the uncertainty of the estimated mean itself."""
        inflation = 1.0 + 1.0 / max(self.samples_per_slot, 1.0)
        return min(MAX_DISPERSION, self.dispersion * inflation)


def _hour_of_week(when: datetime, timezone: str) -> int:
    local = when.astimezone(zone(timezone))
    return local.weekday() * 24 + local.hour


def build_volume_baseline(
    hourly_counts: Sequence[int] | np.ndarray,
    *,
    end: datetime,
    timezone: str = "UTC",
    weeks: int = 4,
    level_hours: int = 24,
) -> VolumeBaseline:
    """The baseline from hourly counts whose last element is the hour that ends at ``end``.

    ``end`` must be a whole UTC hour. With two weeks or more the profile is per hour of the week;
    with two days or more per hour of the day; with a day, flat; with less, not ready.
    """
    if end.tzinfo is None or end.minute or end.second or end.microsecond:
        raise ValueError("end must be a timezone-aware whole hour")
    counts = np.asarray(hourly_counts, dtype=np.float64)[-weeks * HOURS_PER_WEEK :]
    if counts.ndim != 1 or (len(counts) and counts.min() < 0):
        raise ValueError("hourly_counts must be a flat sequence of non-negative counts")
    n = len(counts)
    if n >= 2 * HOURS_PER_WEEK:
        mode, slot_count = "hour_of_week", HOURS_PER_WEEK
    elif n >= 48:
        mode, slot_count = "hour_of_day", 24
    elif n >= 24:
        mode, slot_count = "flat", 1
    else:
        return VolumeBaseline((0.0,) * HOURS_PER_WEEK, 1.0, 1.0, timezone, "none", 0.0, n)
    how = np.array([_hour_of_week(end - (n - i) * HOUR, timezone) for i in range(n)])
    slots = how if slot_count == HOURS_PER_WEEK else how % 24 if slot_count == 24 else how * 0
    means, kept, dispersion = _robust_profile(counts, slots, slot_count)
    hourly = np.array([means[s] for s in slots])
    level = _level(counts[-level_hours:], hourly[-level_hours:], dispersion)
    profile = tuple(
        float(means[h if slot_count == HOURS_PER_WEEK else h % 24 if slot_count == 24 else 0])
        for h in range(HOURS_PER_WEEK)
    )
    return VolumeBaseline(
        profile=profile,
        level=level,
        dispersion=dispersion,
        timezone=timezone,
        mode=mode,
        samples_per_slot=kept.sum() / slot_count,
        history_hours=n,
    )


def _robust_profile(
    counts: np.ndarray, slots: np.ndarray, slot_count: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-slot means without outlying cells, the kept mask, and the quasi-Poisson dispersion."""
    # One row per slot, padded with NaN (a zone's DST week gives some slots one cell more).
    order = np.argsort(slots, kind="stable")
    sizes = np.bincount(slots, minlength=slot_count)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    position = np.empty(len(counts), dtype=np.int64)
    position[order] = np.arange(len(counts)) - np.repeat(starts, sizes)
    matrix = np.full((slot_count, max(int(sizes.max()), 1)), np.nan)
    matrix[slots, position] = counts
    matrix[sizes == 0, 0] = 0.0
    present = ~np.isnan(matrix)
    # The median is the robust start; the mean of what survives is nearly unbiased (a median of
    # small counts is not: Poisson(0.7) has median 0).
    center = np.nanmedian(matrix, axis=1)
    dispersion = 1.0
    for _ in range(2):
        limit = center + OUTLIER_SD * np.sqrt(np.maximum(center, 1.0) * dispersion) + 1.0
        inliers = present & (np.where(present, matrix, 0.0) <= limit[:, None])
        kept_n = inliers.sum(axis=1)
        kept_sum = np.where(inliers, matrix, 0.0).sum(axis=1)
        # With no mention in any sample the mean is not zero but "below 1 in n".
        means = np.maximum(kept_sum / np.maximum(kept_n, 1), 1.0 / (kept_n + 1))
        residual = np.where(inliers, (np.nan_to_num(matrix) - means[:, None]) ** 2, 0.0)
        degrees = max(int(kept_n.sum()) - slot_count, 1)
        pearson = float((residual / means[:, None]).sum())
        dispersion = float(min(MAX_DISPERSION, max(1.0, pearson / degrees)))
    return means, inliers[slots, position], dispersion


def _level(recent: np.ndarray, expected: np.ndarray, dispersion: float) -> float:
    # Each recent hour is capped at its own outlier line so that a spike in progress cannot
    # lift the baseline and hide itself.
    caps = expected + OUTLIER_SD * np.sqrt(np.maximum(expected, 1.0) * dispersion) + 1.0
    observed = float(np.minimum(recent, caps).sum())
    ratio = (observed + LEVEL_PRIOR) / (float(expected.sum()) + LEVEL_PRIOR)
    return min(max(ratio, LEVEL_RANGE[0]), LEVEL_RANGE[1])


def check_volume(
    observed: int,
    *,
    baseline: VolumeBaseline,
    window_start: datetime,
    window_end: datetime,
    sensitivity: float = 1.0,
    min_count: int = 10,
    min_ratio: float = 1.5,
) -> Check:
    """Judge ``observed`` mentions in ``[window_start, window_end)`` against the baseline."""
    window_seconds = (window_end - window_start).total_seconds()
    if not baseline.is_ready:
        return Check(
            kind="spike",
            window_start=window_start,
            window_end=window_end,
            observed=float(observed),
            expected=0.0,
            threshold=math.inf,
            resolve_below=math.inf,
            p_value=1.0,
            is_anomaly=False,
            is_clear=True,
            note="not enough history yet (less than a day)",
        )
    expected = baseline.expected(window_start, window_end)
    dispersion = baseline.effective_dispersion
    alpha = false_alarm_probability(sensitivity, window_seconds)
    statistical = count_threshold(expected, dispersion, alpha)
    threshold = float(max(statistical, min_count, math.ceil(expected * min_ratio)))
    resolve_below = expected + 0.5 * (threshold - expected)
    spread = math.sqrt(max(expected, 0.0) * dispersion)
    return Check(
        kind="spike",
        window_start=window_start,
        window_end=window_end,
        observed=float(observed),
        expected=expected,
        threshold=threshold,
        resolve_below=resolve_below,
        p_value=count_upper_tail(observed, expected, dispersion),
        is_anomaly=observed >= threshold,
        is_clear=observed < resolve_below,
        usual_low=max(0.0, expected - 2 * spread),
        usual_high=expected + 2 * spread,
        note="" if baseline.mode == "hour_of_week" else f"baseline by {baseline.mode}",
    )
