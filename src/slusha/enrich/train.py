"""Train the shipped sentiment model: ``python -m slusha.enrich.train``.

Reproducible: the data order is fixed, the splits are keyed on hashes of the text, and the
solver (L-BFGS) is deterministic. Needs the ``train`` extra (scikit-learn); inference does not.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slusha.enrich import data
from slusha.enrich.corrections import read_corrections
from slusha.enrich.features import FeatureHasher
from slusha.enrich.model import DEFAULT_MODEL_PATH, LinearSentimentModel, softmax

DEFAULT_BITS = 20
DEFAULT_C = 10.0
DEFAULT_MAX_ITER = 300
DEFAULT_UMSAB_WEIGHT = 1.0
DEFAULT_CORRECTION_WEIGHT = 2.0
CALIBRATION_SALT = "slusha-calibration:"
CALIBRATION_MODULO = 20  # one text in twenty fits the temperature, the rest the weights


def is_calibration(text: str) -> bool:
    """True for the seeded twentieth of the training data kept to fit the temperature."""
    digest = hashlib.sha1((CALIBRATION_SALT + text).encode("utf-8")).hexdigest()
    return int(digest, 16) % CALIBRATION_MODULO == 0


def sparse_matrix(hasher: FeatureHasher, texts: Sequence[str]) -> Any:
    """Hashed features of texts as a SciPy CSR matrix."""
    from scipy.sparse import csr_matrix

    values, indices, indptr = hasher.transform(texts)
    return csr_matrix((values, indices, indptr), shape=(len(texts), hasher.dim))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The softmax temperature that minimises log-loss on held-out logits."""
    best_t, best_loss = 1.0, float("inf")
    for t in np.arange(0.5, 3.01, 0.05):
        proba = softmax(logits / t)
        loss = -float(np.mean(np.log(proba[np.arange(len(labels)), labels] + 1e-12)))
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return round(best_t, 2)


def train(
    examples: Sequence[data.Example],
    *,
    bits: int = DEFAULT_BITS,
    c: float = DEFAULT_C,
    max_iter: int = DEFAULT_MAX_ITER,
    weights: dict[str, float] | None = None,
    calibrate: bool = True,
    log: bool = True,
) -> LinearSentimentModel:
    """Fit a linear sentiment model on labelled examples (``weights`` per data set name)."""
    from sklearn.linear_model import LogisticRegression

    weights = weights or {}
    hasher = FeatureHasher(bits)
    fit_part = [e for e in examples if not (calibrate and is_calibration(e.text))]
    cal_part = [e for e in examples if calibrate and is_calibration(e.text)]
    start = time.perf_counter()
    matrix = sparse_matrix(hasher, [e.text for e in fit_part])
    labels = np.array([e.label for e in fit_part])
    sample_weight = np.array([weights.get(e.dataset, 1.0) for e in fit_part])
    if log:
        print(f"features: {matrix.shape[0]} texts in {time.perf_counter() - start:.1f} s")
    classifier = LogisticRegression(
        C=c, max_iter=max_iter, class_weight="balanced", random_state=0, tol=1e-4
    )
    start = time.perf_counter()
    classifier.fit(matrix, labels, sample_weight=sample_weight)
    if log:
        print(f"fit: {time.perf_counter() - start:.1f} s, {classifier.n_iter_} iterations")
    coef = np.asarray(classifier.coef_, dtype=np.float32)
    bias = np.asarray(classifier.intercept_, dtype=np.float32)
    if coef.shape[0] != 3:
        raise SystemExit("training data must contain all three labels")
    model = LinearSentimentModel(coef.T.astype(np.float16), bias, bits=bits)
    if cal_part:
        cal_logits = model.logits([e.text for e in cal_part])
        model.temperature = fit_temperature(cal_logits, np.array([e.label for e in cal_part]))
        if log:
            print(f"temperature: {model.temperature} (from {len(cal_part)} held-out texts)")
    counts = Counter(f"{e.dataset}/{e.lang}" for e in examples)
    model.meta.update(
        {
            "trained_on": dict(sorted(counts.items())),
            "c": c,
            "max_iter": max_iter,
            "dataset_weights": weights,
            "calibration_texts": len(cal_part),
        }
    )
    return model


def load_examples(root: Path, corrections: Sequence[str]) -> list[data.Example]:
    """The permitted training sets plus correction files (as data set ``corrections``)."""
    examples = list(data.training_examples(root))
    for path in corrections:
        for fix in read_corrections(path):
            label = data.LABEL_INDEX[fix.label]
            examples.append(data.Example(fix.text, label, fix.lang or "und", "corrections"))
    return examples


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m slusha.enrich.train", description=__doc__)
    parser.add_argument("--data", type=Path, help="shared data folder (default: ../shared/data)")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH, help="model file")
    parser.add_argument("--bits", type=int, default=DEFAULT_BITS, help="log2 of hash buckets")
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse L2 strength")
    parser.add_argument("--max-iter", type=int, default=DEFAULT_MAX_ITER)
    parser.add_argument("--umsab-weight", type=float, default=DEFAULT_UMSAB_WEIGHT)
    parser.add_argument(
        "--corrections",
        action="append",
        default=[],
        metavar="FILE.jsonl",
        help="members' corrections (text, lang, label) to add; may repeat",
    )
    parser.add_argument("--correction-weight", type=float, default=DEFAULT_CORRECTION_WEIGHT)
    args = parser.parse_args(argv)
    root = args.data or data.shared_data_dir()
    if root is None or not root.is_dir():
        print(
            "shared data not found: pass --data or set SLUSHA_SHARED_DATA "
            "(expected ../shared/data beside the repository)",
            file=sys.stderr,
        )
        return 2
    examples = load_examples(root, args.corrections)
    print(f"training on {len(examples)} texts: {dict(Counter(e.dataset for e in examples))}")
    model = train(
        examples,
        bits=args.bits,
        c=args.c,
        max_iter=args.max_iter,
        weights={"umsab": args.umsab_weight, "corrections": args.correction_weight},
    )
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
