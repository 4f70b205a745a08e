"""Sentiment shift: the share of negative mentions in a window rises beyond its usual range.

The usual share comes from the history in blocks as long as the window. Shares vary between
blocks more than coin flips would (one angry thread moves a day), so the spread is modelled as
beta-binomial with a correlation measured from the same blocks; blocks that were themselves
storms are left out first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from slusha.domain.alerts.check import Check
from slusha.domain.alerts.stats import false_alarm_probability, share_tails, share_threshold

OUTLIER_Z = 4.0
MIN_HISTORY_MENTIONS = 30


@dataclass(frozen=True, slots=True)
class SentimentBaseline:
    """The usual negative share and how much it varies between windows."""

    share: float
    correlation: float
    mentions: int
    blocks: int

    @property
    def is_ready(self) -> bool:
        """False while the history holds too few mentions to know the usual share."""
        return self.mentions >= MIN_HISTORY_MENTIONS


def build_sentiment_baseline(
    negative_hourly: Sequence[int] | np.ndarray,
    total_hourly: Sequence[int] | np.ndarray,
    *,
    window_hours: int = 1,
) -> SentimentBaseline:
    """The baseline from hourly counts of negative and of all mentions (same length)."""
    negative = np.asarray(negative_hourly, dtype=np.float64)
    total = np.asarray(total_hourly, dtype=np.float64)
    if negative.shape != total.shape or negative.ndim != 1:
        raise ValueError("negative_hourly and total_hourly must be flat and of the same length")
    if np.any(negative > total) or np.any(negative < 0):
        raise ValueError("negative counts must be between 0 and the total")
    size = max(1, window_hours)
    usable = len(total) - len(total) % size
    neg_blocks = negative[len(total) - usable :].reshape(-1, size).sum(axis=1)
    tot_blocks = total[len(total) - usable :].reshape(-1, size).sum(axis=1)
    has = tot_blocks > 0
    neg_blocks, tot_blocks = neg_blocks[has], tot_blocks[has]
    if tot_blocks.sum() == 0:
        return SentimentBaseline(0.0, 0.0, 0, 0)
    keep = _robust_start(neg_blocks, tot_blocks)
    share, correlation = _share_and_correlation(neg_blocks[keep], tot_blocks[keep])
    for _ in range(2):
        spread = np.sqrt(tot_blocks * share * (1 - share) * (1 + (tot_blocks - 1) * correlation))
        keep = neg_blocks <= tot_blocks * share + OUTLIER_Z * np.maximum(spread, 1.0)
        share, correlation = _share_and_correlation(neg_blocks[keep], tot_blocks[keep])
    return SentimentBaseline(
        share=share,
        correlation=correlation,
        mentions=int(tot_blocks[keep].sum()),
        blocks=int(keep.sum()),
    )


def _robust_start(negative: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Blocks that are not storms, judged from the median share and a MAD scale.

    A storm inflates both the mean share and the spread, so a mean-based first pass would
    never flag it; the median and the MAD do not move.
    """
    shares = negative / total
    order = np.argsort(shares)
    weights = np.cumsum(total[order])
    median = float(shares[order][np.searchsorted(weights, weights[-1] / 2)])
    median = min(max(median, 0.5 / float(total.sum())), 1 - 1e-6)
    z = (negative - total * median) / np.sqrt(total * median * (1 - median))
    scale = max(1.0, 1.4826 * float(np.median(np.abs(z - np.median(z)))))
    return np.asarray(z <= OUTLIER_Z * scale)


def _share_and_correlation(negative: np.ndarray, total: np.ndarray) -> tuple[float, float]:
    # Jeffreys-style smoothing keeps a history without any negative mention from reading as 0 %.
    share = (float(negative.sum()) + 0.5) / (float(total.sum()) + 1.0)
    if len(total) < 3:
        return share, 0.0
    pearson = float(((negative - total * share) ** 2 / (total * share * (1 - share))).sum())
    excess = pearson - (len(total) - 1)
    pairs = float((total - 1).sum())
    correlation = excess / pairs if pairs > 0 else 0.0
    return share, min(max(correlation, 0.0), 0.5)


def check_sentiment(
    negative: int,
    total: int,
    *,
    baseline: SentimentBaseline,
    window_start: datetime,
    window_end: datetime,
    sensitivity: float = 1.0,
    min_count: int = 10,
    min_shift: float = 0.1,
) -> Check:
    """Judge ``negative`` of ``total`` mentions in the window against the usual share.

    ``min_count`` is the fewest negative mentions that can fire, ``min_shift`` the smallest rise
    in share (0.1 = ten percentage points) worth telling anyone about.
    """
    observed = negative / total if total else 0.0
    window_seconds = (window_end - window_start).total_seconds()
    if not baseline.is_ready or total == 0:
        note = "not enough history yet" if not baseline.is_ready else "no mentions in the window"
        return Check(
            kind="sentiment",
            window_start=window_start,
            window_end=window_end,
            observed=observed,
            expected=baseline.share,
            threshold=math.inf,
            resolve_below=math.inf,
            p_value=1.0,
            is_anomaly=False,
            is_clear=True,
            total=total,
            note=note,
        )
    alpha = false_alarm_probability(sensitivity, window_seconds)
    needed = share_threshold(total, baseline.share, baseline.correlation, alpha)
    needed = max(needed, min_count, math.ceil(total * min(1.0, baseline.share + min_shift)))
    threshold = needed / total
    resolve_below = baseline.share + 0.5 * (threshold - baseline.share)
    tails = share_tails(total, baseline.share, baseline.correlation)
    spread = math.sqrt(
        baseline.share * (1 - baseline.share) / total * (1 + (total - 1) * baseline.correlation)
    )
    return Check(
        kind="sentiment",
        window_start=window_start,
        window_end=window_end,
        observed=observed,
        expected=baseline.share,
        threshold=threshold,
        resolve_below=resolve_below,
        p_value=float(tails[min(negative, len(tails) - 1)]),
        is_anomaly=needed <= total and negative >= needed,
        is_clear=observed < resolve_below,
        total=total,
        usual_low=max(0.0, baseline.share - 2 * spread),
        usual_high=min(1.0, baseline.share + 2 * spread),
    )
