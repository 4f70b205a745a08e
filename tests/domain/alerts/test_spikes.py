"""Volume spikes on synthetic series: recall, false alarms, weekly rhythm, robustness, DST."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from slusha.domain.alerts import (
    IncidentState,
    advance_incident,
    build_volume_baseline,
    check_volume,
)
from tests.domain.alerts.series import HOUR, START, counts, weekly_rates

HISTORY_WEEKS = 4


def run_detector(
    series: np.ndarray, *, first_hour: int, sensitivity: float = 1.0, min_count: int = 5
) -> list[int]:
    """Evaluate each hour from ``first_hour`` on; the hours at which an incident opened."""
    state = IncidentState()
    opened: list[int] = []
    for hour in range(first_hour, len(series)):
        start = START + hour * HOUR
        baseline = build_volume_baseline(series[:hour], end=start)
        check = check_volume(
            int(series[hour]),
            baseline=baseline,
            window_start=start,
            window_end=start + HOUR,
            sensitivity=sensitivity,
            min_count=min_count,
        )
        state, change = advance_incident(
            state, check, rule_id="r", now=start + HOUR, clear_after_seconds=0
        )
        if change is not None and change.kind == "opened":
            opened.append(hour)
    return opened


def monday_peak_hours(hours: Sequence[int]) -> list[int]:
    return [h for h in hours if (h // 24) % 7 == 0 and 9 <= h % 24 <= 11]


@pytest.mark.parametrize(("base", "dispersion", "seed"), [(10.0, 1.0, 1), (30.0, 3.0, 2)])
def test_weekly_rhythm_gives_few_false_alarms_and_none_on_monday_morning(
    base: float, dispersion: float, seed: int
) -> None:
    weeks = HISTORY_WEEKS + 4
    series = counts(weekly_rates(weeks, base), seed=seed, dispersion=dispersion)
    opened = run_detector(series, first_hour=HISTORY_WEEKS * 168)
    # Sensitivity 1 promises about one false alarm a month; four weeks must stay well under 4.
    assert len(opened) <= 3, opened
    assert monday_peak_hours(opened) == []


def test_sensitivity_orders_thresholds() -> None:
    series = counts(weekly_rates(HISTORY_WEEKS, 20.0), seed=3)
    end = START + len(series) * HOUR
    baseline = build_volume_baseline(series, end=end)
    thresholds = [
        check_volume(
            0, baseline=baseline, window_start=end, window_end=end + HOUR, sensitivity=s
        ).threshold
        for s in (0.1, 1.0, 10.0, 100.0)
    ]
    assert thresholds == sorted(thresholds, reverse=True)
    assert thresholds[0] > thresholds[-1]


def test_known_spikes_are_found() -> None:
    weeks = HISTORY_WEEKS + 3
    rates = weekly_rates(weeks, 10.0)
    series = counts(rates, seed=4)
    rng = np.random.default_rng(5)
    evaluation = np.arange(HISTORY_WEEKS * 168, weeks * 168)
    spike_hours = sorted(rng.choice(evaluation[::12], size=12, replace=False).tolist())
    for hour in spike_hours:
        series[hour] += int(max(3 * rates[hour], 25))
    opened = run_detector(series, first_hour=HISTORY_WEEKS * 168)
    found = [h for h in spike_hours if h in opened]
    false_alarms = [h for h in opened if h not in spike_hours]
    assert len(found) >= 11, (spike_hours, opened)
    assert len(false_alarms) <= 3, false_alarms


def test_an_earlier_spike_in_the_baseline_does_not_hide_the_next_one() -> None:
    rates = weekly_rates(HISTORY_WEEKS, 10.0)
    series = counts(rates, seed=6)
    tuesday_15 = 168 + 24 + 15  # in the second week of history
    series[tuesday_15] += 400
    end = START + len(series) * HOUR
    baseline = build_volume_baseline(series, end=end)
    slot = 24 + 15
    assert baseline.profile[slot] < 2 * rates[slot]  # the old spike was left out
    same_hour_next_week = end + timedelta(days=1, hours=15)
    check = check_volume(
        int(3 * rates[slot]) + 20,
        baseline=baseline,
        window_start=same_hour_next_week,
        window_end=same_hour_next_week + HOUR,
    )
    assert check.is_anomaly


def test_a_few_posts_instead_of_none_do_not_page_anyone() -> None:
    series = np.zeros(HISTORY_WEEKS * 168, dtype=int)
    series[::50] = 1  # a topic that is nearly silent
    end = START + len(series) * HOUR
    baseline = build_volume_baseline(series, end=end)
    quiet = check_volume(3, baseline=baseline, window_start=end, window_end=end + HOUR)
    assert not quiet.is_anomaly and quiet.p_value < 0.01  # rare, but below the minimum count
    loud = check_volume(30, baseline=baseline, window_start=end, window_end=end + HOUR)
    assert loud.is_anomaly


def test_too_little_history_never_fires() -> None:
    end = START + 10 * HOUR
    baseline = build_volume_baseline([1] * 10, end=end)
    assert not baseline.is_ready
    check = check_volume(500, baseline=baseline, window_start=end, window_end=end + HOUR)
    assert not check.is_anomaly and "history" in check.note


def test_a_rolling_window_prorates_partial_hours() -> None:
    series = np.tile(np.r_[np.full(12, 10), np.full(12, 30)], 14 * 2)[: HISTORY_WEEKS * 168]
    end = START + len(series) * HOUR
    baseline = build_volume_baseline(series, end=end)
    # 11:30-12:30 is half a 10-hour and half a 30-hour.
    start = end + timedelta(hours=11, minutes=30)
    assert baseline.expected(start, start + HOUR) == pytest.approx(20, rel=0.15)


def test_baseline_follows_local_hours_across_a_dst_change() -> None:
    zone = ZoneInfo("Europe/Skopje")
    # Three weeks before and one after the change of 25 October 2026; a daily 09:00 local peak.
    first = datetime(2026, 10, 4, tzinfo=UTC)
    hours = 4 * 168
    local_hours = [(first + h * HOUR).astimezone(zone).hour for h in range(hours)]
    rates = np.array([40.0 if lh == 9 else 4.0 for lh in local_hours])
    series = counts(rates, seed=8)
    history = 3 * 168
    opened = []
    for hour in range(history, hours):
        start = first + hour * HOUR
        baseline = build_volume_baseline(series[:hour], end=start, timezone="Europe/Skopje")
        check = check_volume(
            int(series[hour]), baseline=baseline, window_start=start, window_end=start + HOUR
        )
        if check.is_anomaly:
            opened.append(start)
    # In UTC the peak moved from 07:00 to 08:00; in local time it did not, so nothing fires.
    assert opened == []


def test_end_must_be_a_whole_hour() -> None:
    with pytest.raises(ValueError):
        build_volume_baseline([1] * 48, end=datetime(2026, 1, 1, 10, 30, tzinfo=UTC))
