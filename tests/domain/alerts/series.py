"""Synthetic hourly mention counts with a daily and weekly rhythm (seeded, reproducible)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, 00:00 UTC
HOUR = timedelta(hours=1)


def weekly_rates(weeks: int, base: float) -> np.ndarray:
    """Expected mentions per hour: afternoon high, quiet weekends, a Monday 09-11 peak (x3)."""
    hours = np.arange(weeks * 168)
    hour_of_day, day = hours % 24, (hours // 24) % 7
    rate = base * (0.3 + np.exp(-(((hour_of_day - 14) / 4.0) ** 2)))
    rate = rate * np.where(day < 5, 1.0, 0.6)
    monday_peak = (day == 0) & (hour_of_day >= 9) & (hour_of_day <= 11)
    return np.where(monday_peak, rate * 3, rate)


def counts(rates: np.ndarray, *, seed: int, dispersion: float = 1.0) -> np.ndarray:
    """Poisson counts, or negative binomial ones (gamma-mixed) when ``dispersion`` > 1."""
    rng = np.random.default_rng(seed)
    if dispersion > 1:
        shape = rates / (dispersion - 1)
        rates = rng.gamma(shape, rates / shape)
    return rng.poisson(rates).astype(np.int64)
