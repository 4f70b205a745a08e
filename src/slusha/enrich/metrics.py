"""Classification metrics (macro recall, macro F1, accuracy) in numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Scores:
    """Macro-averaged recall and F1, and accuracy, over ``n`` examples."""

    macro_recall: float
    macro_f1: float
    accuracy: float
    n: int


def score(gold: Sequence[int] | np.ndarray, pred: Sequence[int] | np.ndarray) -> Scores:
    """Scores over the classes that occur in the gold labels or the predictions."""
    g = np.asarray(gold)
    p = np.asarray(pred)
    if g.size == 0:
        return Scores(0.0, 0.0, 0.0, 0)
    recalls, f1s = [], []
    for label in np.union1d(g, p):
        tp = float(np.sum((g == label) & (p == label)))
        in_gold = float(np.sum(g == label))
        in_pred = float(np.sum(p == label))
        recall = tp / in_gold if in_gold else 0.0
        precision = tp / in_pred if in_pred else 0.0
        if in_gold:
            recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return Scores(
        macro_recall=float(np.mean(recalls)),
        macro_f1=float(np.mean(f1s)),
        accuracy=float(np.mean(g == p)),
        n=int(g.size),
    )


def binary_predictions(proba: np.ndarray) -> np.ndarray:
    """Negative (0) or positive (2) by which of the two is more likely, ignoring neutral."""
    return np.where(proba[:, 2] >= proba[:, 0], 2, 0)
