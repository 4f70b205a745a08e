"""Tail probabilities and the sensitivity scale shared by the spike and sentiment detectors."""

from __future__ import annotations

import math

import numpy as np

SECONDS_PER_MONTH = 30 * 24 * 3600
# A detector evaluated every minute over a rolling window sees one excess in many overlapping
# windows; scan statistics put the chance that some window of a stretch crosses a line at about
# twice that of disjoint windows, so the per-window probability is halved to keep the promise.
SCAN_FACTOR = 2.0
MAX_DISPERSION = 20.0
_MAX_SPAN = 2_000_000


def false_alarm_probability(alarms_per_month: float, window_seconds: float) -> float:
    """The per-window tail probability that gives about ``alarms_per_month`` false alarms."""
    if alarms_per_month <= 0:
        raise ValueError("sensitivity must be a positive number of false alarms per month")
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")
    windows_per_month = SECONDS_PER_MONTH / window_seconds
    return min(0.25, alarms_per_month / (SCAN_FACTOR * windows_per_month))


def _count_tail(mean: float, dispersion: float) -> tuple[int, np.ndarray]:
    """``(lo, tails)`` where ``tails[i]`` is P(X >= lo + i) for a Poisson/negative binomial."""
    mean = max(mean, 1e-9)
    dispersion = min(max(dispersion, 1.0), MAX_DISPERSION)
    sd = math.sqrt(mean * dispersion)
    lo = math.floor(mean)
    span = int(min(_MAX_SPAN, 60 * sd + 60 * dispersion + 100))
    ks = np.arange(lo, lo + span, dtype=np.float64)
    if dispersion <= 1.0 + 1e-9:
        start = lo * math.log(mean) - mean - math.lgamma(lo + 1)
        steps = math.log(mean) - np.log(ks[:-1] + 1)
    else:
        # Negative binomial with the same mean and variance mean * dispersion (quasi-Poisson).
        r = mean / (dispersion - 1.0)
        p = 1.0 / dispersion
        start = (
            math.lgamma(lo + r)
            - math.lgamma(r)
            - math.lgamma(lo + 1)
            + r * math.log(p)
            + lo * math.log1p(-p)
        )
        steps = np.log(ks[:-1] + r) - np.log(ks[:-1] + 1) + math.log1p(-p)
    log_pmf = np.concatenate(([start], start + np.cumsum(steps)))
    tails = np.cumsum(np.exp(log_pmf)[::-1])[::-1]
    return lo, tails


def count_upper_tail(observed: float, mean: float, dispersion: float = 1.0) -> float:
    """P(X >= observed) for a count with this mean and variance ``mean * dispersion``."""
    if observed <= mean:
        return 1.0
    lo, tails = _count_tail(mean, dispersion)
    index = math.ceil(observed) - lo
    if index >= len(tails):
        return float(tails[-1])
    return float(min(1.0, tails[index]))


def count_threshold(mean: float, dispersion: float, alpha: float) -> int:
    """The smallest count whose upper tail probability is at most ``alpha``."""
    lo, tails = _count_tail(mean, dispersion)
    below = np.nonzero(tails <= alpha)[0]
    if len(below) == 0:
        return lo + len(tails)
    return lo + int(below[0])


def _share_log_pmf(n: int, share: float, correlation: float) -> np.ndarray:
    ks = np.arange(0, n, dtype=np.float64)
    if correlation <= 1e-9:
        start = n * math.log1p(-share)
        steps = np.log(n - ks) - np.log(ks + 1) + math.log(share) - math.log1p(-share)
    else:
        # Beta-binomial: shares vary between windows more than a coin would (news cycles).
        a = share * (1 - correlation) / correlation
        b = (1 - share) * (1 - correlation) / correlation
        start = _log_beta(a, n + b) - _log_beta(a, b)
        steps = np.log(n - ks) - np.log(ks + 1) + np.log(ks + a) - np.log(n - ks - 1 + b)
    return np.concatenate(([start], start + np.cumsum(steps)))


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def share_tails(n: int, share: float, correlation: float = 0.0) -> np.ndarray:
    """``tails[k]`` = P(X >= k) for k in 0..n, X binomial or beta-binomial around ``share``."""
    share = min(max(share, 1e-6), 1 - 1e-6)
    if n <= 0:
        return np.ones(1)
    log_pmf = _share_log_pmf(n, share, min(max(correlation, 0.0), 0.5))
    pmf = np.exp(log_pmf - log_pmf.max())
    pmf /= pmf.sum()
    return np.minimum(1.0, np.cumsum(pmf[::-1])[::-1])


def share_threshold(n: int, share: float, correlation: float, alpha: float) -> int:
    """The smallest number of hits out of ``n`` whose upper tail is at most ``alpha``."""
    tails = share_tails(n, share, correlation)
    below = np.nonzero(tails <= alpha)[0]
    return int(below[0]) if len(below) else n + 1
