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
from slusha.enrich.metrics import score
from slusha.enrich.model import DEFAULT_MODEL_PATH, LinearSentimentModel, softmax

DEFAULT_BITS = 20
DEFAULT_C = 10.0
DEFAULT_MAX_ITER = 300
DEFAULT_UMSAB_WEIGHT = 1.0
DEFAULT_CORRECTION_WEIGHT = 2.0
# Languages with three-class training tweets get an expert of their own (model.py). Not the
# South Slavic ones (no neutral class: an expert would learn "never neutral"), nor Hindi (its
# UMSAB tweets are romanised; the detector calls only Devanagari text Hindi).
DEFAULT_EXPERT_LANGUAGES: tuple[str, ...] = ("en", "ar", "de", "es", "fr", "it", "pt")
DEFAULT_EXPERT_BITS = 18
DEFAULT_EXPERT_C = 3.0
# An expert's weight beside the shared model is chosen per language on its calibration texts
# (macro recall, the metric of TweetEval); languages with fewer calibration texts than
# MIN_CALIBRATION_TEXTS get DEFAULT_EXPERT_WEIGHT (chosen on the UMSAB validation split).
EXPERT_WEIGHTS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
DEFAULT_EXPERT_WEIGHT = 2.0
MIN_CALIBRATION_TEXTS = 200
CALIBRATION_SALT = "slusha-calibration:"
CALIBRATION_MODULO = 20  # one text in twenty fits the temperature, the rest the weights


def is_calibration(text: str) -> bool:
    """True for the seeded twentieth of the training data kept to fit the temperature."""
    digest = hashlib.sha1((CALIBRATION_SALT + text).encode("utf-8")).hexdigest()
    return int(digest, 16) % CALIBRATION_MODULO == 0


def sparse_matrix(hasher: FeatureHasher, texts: Sequence[str], bits: int | None = None) -> Any:
    """Hashed features of texts as a SciPy CSR matrix; with ``bits``, each bucket folded to
    its low ``bits`` bits (buckets that meet are summed), as a language's expert reads them."""
    from scipy.sparse import csr_matrix

    values, indices, indptr = hasher.transform(texts)
    if bits is None or bits >= hasher.bits:
        return csr_matrix((values, indices, indptr), shape=(len(texts), hasher.dim))
    folded = csr_matrix(
        (values, indices & ((1 << bits) - 1), indptr), shape=(len(texts), 1 << bits)
    )
    folded.sum_duplicates()
    return folded


def balanced_within_datasets(examples: Sequence[data.Example], labels: np.ndarray) -> np.ndarray:
    """Per-example weights that balance the labels within each data set.

    Balancing over the merged sets would count the South Slavic tweets (positive and negative
    only) against every set's neutral class; within each set, every label of it weighs
    ``n_set / (labels_in_set * n_label)``, as scikit-learn's "balanced" does for one set.
    """
    datasets = np.array([e.dataset for e in examples])
    out = np.ones(len(examples))
    for name in dict.fromkeys(datasets.tolist()):
        inside = datasets == name
        counts = Counter(labels[inside].tolist())
        for label, count in counts.items():
            out[inside & (labels == label)] = inside.sum() / (len(counts) * count)
    return out


def fit_experts(
    model: LinearSentimentModel,
    fit_part: Sequence[data.Example],
    cal_part: Sequence[data.Example],
    *,
    languages: Sequence[str],
    bits: int,
    c: float,
    log: bool,
) -> dict[str, float]:
    """Train one expert per language on that language's texts alone and add it to ``model``.

    An expert is a logistic regression over the same hashed features folded to ``bits`` bits.
    A text of its language scores ``(shared + w * expert) / (1 + w)``: the weighted mean keeps
    the scale of one model's logits, so one temperature calibrates every language. ``w`` is the
    one of ``EXPERT_WEIGHTS`` with the best macro recall on the language's calibration texts
    (which neither model was fitted on). Returns the weight chosen per language.
    """
    from sklearn.linear_model import LogisticRegression

    bits = min(bits, model.hasher.bits)

    groups: dict[str, int] = {}
    tables: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    scales: list[float] = []
    chosen: dict[str, float] = {}
    for lang in dict.fromkeys(languages):
        own = [e for e in fit_part if e.lang == lang]
        if len({e.label for e in own}) < 3:
            continue  # an expert needs all three labels
        start = time.perf_counter()
        expert = LogisticRegression(
            C=c, max_iter=1000, class_weight="balanced", random_state=0, tol=1e-4
        )
        expert.fit(sparse_matrix(model.hasher, [e.text for e in own], bits), [e.label for e in own])
        table = np.asarray(expert.coef_, dtype=np.float32).T
        bias = np.asarray(expert.intercept_, dtype=np.float32)
        held = [e for e in cal_part if e.lang == lang]
        weight = DEFAULT_EXPERT_WEIGHT
        if len(held) >= MIN_CALIBRATION_TEXTS:
            texts = [e.text for e in held]
            labels = np.array([e.label for e in held])
            shared = model.logits(texts)
            extra = expert.decision_function(sparse_matrix(model.hasher, texts, bits))
            extra = np.asarray(extra, dtype=np.float32)
            weight = max(
                EXPERT_WEIGHTS,
                key=lambda w: score(labels, (shared + w * extra).argmax(axis=1)).macro_recall,
            )
        share = weight / (1.0 + weight)
        groups[lang] = len(tables)
        tables.append((table * share).astype(np.float16))
        biases.append(bias * share)
        scales.append(1.0 - share)
        chosen[lang] = weight
        if log:
            print(
                f"expert {lang}: {len(own)} texts, weight {weight} "
                f"({len(held)} calibration texts), {time.perf_counter() - start:.1f} s"
            )
    if tables:
        model.set_language_tables(
            np.stack(tables), np.stack(biases), groups, np.array(scales, dtype=np.float32)
        )
    return chosen


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
    experts: Sequence[str] = DEFAULT_EXPERT_LANGUAGES,
    expert_bits: int = DEFAULT_EXPERT_BITS,
    expert_c: float = DEFAULT_EXPERT_C,
) -> LinearSentimentModel:
    """Fit a linear sentiment model on labelled examples (``weights`` per data set name).

    The shared model learns from every example; each language of ``experts`` with examples of
    all three labels (by each example's ``lang``) also gets an expert of its own.
    """
    from sklearn.linear_model import LogisticRegression

    weights = weights or {}
    hasher = FeatureHasher(bits)
    fit_part = [e for e in examples if not (calibrate and is_calibration(e.text))]
    cal_part = [e for e in examples if calibrate and is_calibration(e.text)]
    start = time.perf_counter()
    matrix = sparse_matrix(hasher, [e.text for e in fit_part])
    labels = np.array([e.label for e in fit_part])
    sample_weight = np.array([weights.get(e.dataset, 1.0) for e in fit_part])
    sample_weight *= balanced_within_datasets(fit_part, labels)
    if log:
        print(f"features: {matrix.shape[0]} texts in {time.perf_counter() - start:.1f} s")
    classifier = LogisticRegression(C=c, max_iter=max_iter, random_state=0, tol=1e-4)
    start = time.perf_counter()
    classifier.fit(matrix, labels, sample_weight=sample_weight)
    if log:
        print(f"fit: {time.perf_counter() - start:.1f} s, {classifier.n_iter_} iterations")
    coef = np.asarray(classifier.coef_, dtype=np.float32)
    bias = np.asarray(classifier.intercept_, dtype=np.float32)
    if coef.shape[0] != 3:
        raise SystemExit("training data must contain all three labels")
    model = LinearSentimentModel(coef.T.astype(np.float16), bias, bits=bits)
    expert_weights = fit_experts(
        model, fit_part, cal_part, languages=experts, bits=expert_bits, c=expert_c, log=log
    )
    if cal_part:
        cal_logits = model.logits([e.text for e in cal_part], [e.lang for e in cal_part])
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
            "expert_c": expert_c,
            "expert_weights": expert_weights,
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
        "--experts",
        default=",".join(DEFAULT_EXPERT_LANGUAGES),
        help="languages that get an expert of their own, comma-separated ('' for none)",
    )
    parser.add_argument("--expert-c", type=float, default=DEFAULT_EXPERT_C)
    parser.add_argument("--expert-bits", type=int, default=DEFAULT_EXPERT_BITS)
    parser.add_argument(
        "--corrections",
        action="append",
        default=[],
        metavar="FILE.jsonl",
        help="members' corrections (text, lang, label) to add; may repeat",
    )
    parser.add_argument("--correction-weight", type=float, default=DEFAULT_CORRECTION_WEIGHT)
    args = parser.parse_args(argv)
    root = data.data_root(args.data)
    if root is None:
        print(data.MISSING_SHARED_DATA, file=sys.stderr)
        return 2
    examples = load_examples(root, args.corrections)
    print(f"training on {len(examples)} texts: {dict(Counter(e.dataset for e in examples))}")
    model = train(
        examples,
        bits=args.bits,
        c=args.c,
        max_iter=args.max_iter,
        weights={"umsab": args.umsab_weight, "corrections": args.correction_weight},
        experts=[lang.strip() for lang in args.experts.split(",") if lang.strip()],
        expert_c=args.expert_c,
        expert_bits=args.expert_bits,
    )
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
