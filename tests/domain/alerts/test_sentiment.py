"""Sentiment shift: the negative share against its usual range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from slusha.domain.alerts import build_sentiment_baseline, check_sentiment

END = datetime(2026, 3, 2, 12, tzinfo=UTC)
START = END - timedelta(hours=3)


def history(seed: int, *, hours: int = 28 * 24, share: float = 0.15, rate: float = 20.0):
    rng = np.random.default_rng(seed)
    total = rng.poisson(rate, hours)
    # Shares wander from day to day (beta around ``share``), as real news cycles do.
    daily = rng.beta(share * 60, (1 - share) * 60, hours // 24 + 1)
    negative = rng.binomial(total, np.repeat(daily, 24)[:hours])
    return negative, total


def test_usual_share_and_spread_are_learned() -> None:
    negative, total = history(1)
    baseline = build_sentiment_baseline(negative, total, window_hours=3)
    assert baseline.is_ready
    assert baseline.share == pytest.approx(0.15, abs=0.02)
    assert baseline.correlation > 0  # more spread than a coin


def test_a_clear_rise_fires_and_a_usual_window_does_not() -> None:
    baseline = build_sentiment_baseline(*history(2), window_hours=3)
    rise = check_sentiment(
        30, 60, baseline=baseline, window_start=START, window_end=END, min_count=5
    )
    assert rise.is_anomaly and rise.observed == 0.5
    assert rise.usual_high is not None and rise.usual_high < 0.5
    usual = check_sentiment(
        10, 60, baseline=baseline, window_start=START, window_end=END, min_count=5
    )
    assert not usual.is_anomaly and usual.is_clear


def test_small_numbers_do_not_fire() -> None:
    baseline = build_sentiment_baseline(*history(3), window_hours=3)
    few = check_sentiment(4, 5, baseline=baseline, window_start=START, window_end=END)
    assert not few.is_anomaly  # 80 % of five mentions is below the minimum count of ten


def test_an_earlier_storm_does_not_raise_the_usual_share() -> None:
    negative, total = history(4)
    storm = slice(100, 106)
    total[storm] += 200
    negative[storm] = total[storm] * 9 // 10
    baseline = build_sentiment_baseline(negative, total, window_hours=3)
    assert baseline.share == pytest.approx(0.15, abs=0.03)


def test_few_false_alarms_on_usual_windows() -> None:
    negative, total = history(5, hours=56 * 24)
    baseline = build_sentiment_baseline(negative[: 28 * 24], total[: 28 * 24], window_hours=3)
    fired = 0
    for start in range(28 * 24, 56 * 24, 3):
        checked = check_sentiment(
            int(negative[start : start + 3].sum()),
            int(total[start : start + 3].sum()),
            baseline=baseline,
            window_start=START,
            window_end=END,
            min_count=5,
        )
        fired += checked.is_anomaly
    assert fired <= 3


def test_without_history_nothing_fires() -> None:
    baseline = build_sentiment_baseline([0, 1], [2, 3])
    assert not baseline.is_ready
    check = check_sentiment(50, 50, baseline=baseline, window_start=START, window_end=END)
    assert not check.is_anomaly and check.note


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError):
        build_sentiment_baseline([5], [4])
    with pytest.raises(ValueError):
        build_sentiment_baseline([1, 2], [3])
