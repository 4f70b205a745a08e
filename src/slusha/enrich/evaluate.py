"""Measure the shipped models: ``python -m slusha.enrich.evaluate``.

Sentiment: macro recall, macro F1 and accuracy per data set and language on the validation
splits, beside VADER (English) and TF-IDF + logistic regression trained on the same data in the
same run, and posts/s. Language: per-language accuracy on the lingua test words, word pairs and
sentences, plain lingua against Slusha's detector without and with hints.
Needs the ``train`` extra (scikit-learn, vaderSentiment) for the baselines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from slusha.enrich import data
from slusha.enrich.backends import load_sentiment_model
from slusha.enrich.enricher import sentiment_languages
from slusha.enrich.language import LanguageDetector, LanguageHints
from slusha.enrich.metrics import binary_predictions, score
from slusha.enrich.model import ModelError, SentimentBackend

LANGID_KINDS: tuple[str, ...] = ("single-words", "word-pairs", "sentences")
# A plausible wrong hint per language: the neighbour it is most often confused with.
WRONG_HINT: dict[str, str] = {
    "mk": "bg", "bg": "mk", "sr": "mk", "hr": "sl", "bs": "sl", "sl": "hr", "ru": "uk",
    "uk": "ru", "be": "ru", "cs": "sk", "sk": "cs", "pl": "cs", "es": "pt", "pt": "es",
    "it": "es", "fr": "it", "de": "nl", "nl": "de", "en": "nl", "ro": "it", "sq": "it",
    "el": "en", "tr": "en", "hu": "en",
}  # fmt: skip

Predictor = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class SentimentRow:
    """One system's scores on one data set and language."""

    dataset: str
    lang: str
    system: str
    task: str
    macro_recall: float
    macro_f1: float
    accuracy: float
    n: int


@dataclass(frozen=True, slots=True)
class LanguageRow:
    """Accuracy of each detector setting on one language and text kind."""

    kind: str
    lang: str
    n: int
    lingua: float
    slusha: float
    slusha_author_hint: float
    slusha_wrong_hint: float
    answered: float
    precision: float


def eval_sets(root: Path) -> dict[str, list[data.Example]]:
    """The evaluation splits by name (never used for training)."""
    return {
        "tweeteval": data.tweeteval_val(root),
        "umsab": data.umsab(root, "val"),
        "mozetic-dev": data.mozetic(root, dev=True),
        "senticomments-sr": data.senticomments(root),
        "mk-lexicon": data.mk_lexicon(root),
    }


_BINARY = frozenset({"mozetic-dev", "mk-lexicon"})


def tfidf_baseline(train: Sequence[data.Example]) -> Predictor:
    """TF-IDF (word 1-2 grams) + logistic regression fitted on the same training data."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    matrix = vectorizer.fit_transform([e.text for e in train])
    classifier = LogisticRegression(C=10.0, max_iter=1000, class_weight="balanced")
    classifier.fit(matrix, [e.label for e in train])

    def predict(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(classifier.predict_proba(vectorizer.transform(texts)))

    return predict


def vader_baseline() -> Predictor:
    """VADER with its usual thresholds (compound >= 0.05 positive, <= -0.05 negative)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def predict(texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 3))
        for row, text in enumerate(texts):
            compound = analyzer.polarity_scores(text)["compound"]
            out[row, 2 if compound >= 0.05 else 0 if compound <= -0.05 else 1] = 1.0
        return out

    return predict


def with_detected_languages(
    model: SentimentBackend,
    detector: LanguageDetector,
    seen: dict[str, str | None] | None = None,
) -> Predictor:
    """The model as the product runs it: each text's language detected first (no hints),
    and given to the model where the detector is sure enough (``sentiment_languages``).

    Evaluation sets carry their true language, but the pipeline only has what the detector
    says, so that is what a per-language model gets here too. Predictors that share ``seen``
    (text -> language) give their models the same languages.
    """
    seen = {} if seen is None else seen

    def predict(texts: Sequence[str]) -> np.ndarray:
        if not model.uses_language:
            return model.predict_proba(texts)
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        found = sentiment_languages(detector.detect_many(new))
        seen.update(zip(new, found, strict=True))
        return model.predict_proba(texts, [seen[t] for t in texts])

    return predict


def posts_per_second(predict: Predictor, texts: Sequence[str]) -> float:
    """Throughput of a predictor over texts, in batches of 1,000."""
    start = time.perf_counter()
    for i in range(0, len(texts), 1000):
        predict(texts[i : i + 1000])
    return len(texts) / (time.perf_counter() - start)


def sentiment_rows(
    sets: dict[str, list[data.Example]], systems: dict[str, tuple[Predictor, frozenset[str]]]
) -> list[SentimentRow]:
    """Score every system on every set and language it covers (``None`` langs = all)."""
    rows: list[SentimentRow] = []
    for name, examples in sets.items():
        langs = sorted({e.lang for e in examples})
        for system, (predict, covered) in systems.items():
            langs_here = [lang for lang in langs if not covered or lang in covered]
            if not langs_here:
                continue
            chosen = [e for e in examples if e.lang in langs_here]
            proba = predict([e.text for e in chosen])
            gold = np.array([e.label for e in chosen])
            lang_of = np.array([e.lang for e in chosen])
            pred = binary_predictions(proba) if name in _BINARY else proba.argmax(axis=1)
            task = "binary" if name in _BINARY else "3-class"
            for lang in [*langs_here, "all"] if len(langs_here) > 1 else langs_here:
                mask = np.ones(len(gold), bool) if lang == "all" else lang_of == lang
                s = score(gold[mask], pred[mask])
                rows.append(
                    SentimentRow(
                        name, lang, system, task, s.macro_recall, s.macro_f1, s.accuracy, s.n
                    )
                )
    return rows


def language_rows(
    root: Path, detector: LanguageDetector, thresholded: LanguageDetector
) -> list[LanguageRow]:
    """Per-language accuracy on the lingua test data, with and without hints.

    Accuracies use ``detector`` (no threshold: its best guess); ``answered`` and ``precision``
    use ``thresholded``, which answers None when unsure.
    """
    from lingua import LanguageDetectorBuilder

    plain = LanguageDetectorBuilder.from_all_languages().build()
    base = root / "langid-lingua"
    langs = sorted(p.stem for p in (base / "single-words").glob("*.txt"))
    rows: list[LanguageRow] = []
    for kind in LANGID_KINDS:
        for lang in langs:
            path = base / kind / f"{lang}.txt"
            texts = [t for t in path.read_text(encoding="utf-8").split("\n") if t.strip()]
            lingua = plain.detect_languages_in_parallel_of(texts)
            ours = detector.detect_many(texts)
            right = [LanguageHints(author=lang)] * len(texts)
            wrong = [LanguageHints(author=WRONG_HINT.get(lang, "en"))] * len(texts)
            hinted = detector.detect_many(texts, right)
            misled = detector.detect_many(texts, wrong)
            n = len(texts)
            answered = [d.lang for d in thresholded.detect_many(texts) if d.lang is not None]
            rows.append(
                LanguageRow(
                    kind=kind,
                    lang=lang,
                    n=n,
                    lingua=sum(1 for d in lingua if d and d.iso_code_639_1.name.lower() == lang)
                    / n,
                    slusha=sum(1 for d in ours if d.lang == lang) / n,
                    slusha_author_hint=sum(1 for d in hinted if d.lang == lang) / n,
                    slusha_wrong_hint=sum(1 for d in misled if d.lang == lang) / n,
                    answered=len(answered) / n,
                    precision=(
                        sum(1 for found in answered if found == lang) / len(answered)
                        if answered
                        else 0.0
                    ),
                )
            )
    return rows


def print_sentiment(rows: Sequence[SentimentRow]) -> None:
    """Sentiment rows as a markdown table."""
    print("| data set | lang | task | system | macro recall | macro F1 | accuracy | n |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.dataset} | {r.lang} | {r.task} | {r.system} | {r.macro_recall:.3f} "
            f"| {r.macro_f1:.3f} | {r.accuracy:.3f} | {r.n} |"
        )


def print_language(rows: Sequence[LanguageRow]) -> None:
    """Language rows as a markdown table."""
    print(
        "| kind | lang | lingua (75 langs) | slusha | + right author hint "
        "| + wrong hint | answered at threshold | precision when answered |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.kind} | {r.lang} | {r.lingua:.3f} | {r.slusha:.3f} "
            f"| {r.slusha_author_hint:.3f} | {r.slusha_wrong_hint:.3f} | {r.answered:.3f} "
            f"| {r.precision:.3f} |"
        )
    for kind in LANGID_KINDS:
        part = [r for r in rows if r.kind == kind]
        if part:
            print(
                f"| {kind} | **mean** | {np.mean([r.lingua for r in part]):.3f} "
                f"| {np.mean([r.slusha for r in part]):.3f} "
                f"| {np.mean([r.slusha_author_hint for r in part]):.3f} "
                f"| {np.mean([r.slusha_wrong_hint for r in part]):.3f} "
                f"| {np.mean([r.answered for r in part]):.3f} "
                f"| {np.mean([r.precision for r in part]):.3f} |"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m slusha.enrich.evaluate", description=__doc__)
    parser.add_argument("--data", type=Path, help="shared data folder (default: ../shared/data)")
    parser.add_argument(
        "--model",
        help="sentiment model: e5 (the accurate mode), hybrid, a .npz file or an ONNX directory",
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip VADER and TF-IDF")
    parser.add_argument(
        "--with-e5",
        action="store_true",
        help="also score the accurate and hybrid modes (slusha[e5]) as systems slusha-e5 and "
        "slusha-hybrid, on the same languages",
    )
    parser.add_argument("--skip-language", action="store_true")
    parser.add_argument("--skip-sentiment", action="store_true")
    parser.add_argument("--json", type=Path, help="also write all figures to this file")
    args = parser.parse_args(argv)
    root = data.data_root(args.data)
    if root is None:
        print(f"skipped: {data.MISSING_SHARED_DATA}", file=sys.stderr)
        return 0
    report: dict[str, object] = {}
    if not args.skip_sentiment:
        try:
            model: SentimentBackend = load_sentiment_model(args.model)
            extra_models = (
                {mode: load_sentiment_model(mode) for mode in ("e5", "hybrid")}
                if args.with_e5
                else {}
            )
        except ModelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        detector = LanguageDetector()
        seen: dict[str, str | None] = {}
        ours = with_detected_languages(model, detector, seen)
        systems: dict[str, tuple[Predictor, frozenset[str]]] = {"slusha": (ours, frozenset())}
        speed_texts = [e.text for e in data.tweeteval_val(root) + data.umsab(root, "val")]
        ours(speed_texts)  # detect once: the speed below is the model's, as in the pipeline
        speeds = {"slusha": posts_per_second(ours, speed_texts)}
        for mode, extra_model in extra_models.items():
            predict = with_detected_languages(extra_model, detector, seen)
            systems[f"slusha-{mode}"] = (predict, frozenset())
            speeds[f"slusha-{mode}"] = posts_per_second(predict, speed_texts)
        if not args.no_baselines:
            train_set = list(data.training_examples(root))
            tfidf = tfidf_baseline(train_set)
            vader = vader_baseline()
            systems["tfidf-lr"] = (tfidf, frozenset())
            systems["vader"] = (vader, frozenset({"en"}))
            speeds["tfidf-lr"] = posts_per_second(tfidf, speed_texts)
            speeds["vader"] = posts_per_second(vader, speed_texts)
        rows = sentiment_rows(eval_sets(root), systems)
        print("## Sentiment\n")
        print_sentiment(rows)
        print("\nposts/s (one process, batches of 1,000): ")
        for name, speed in speeds.items():
            print(f"- {name}: {speed:,.0f}")
        report["sentiment"] = [asdict(r) for r in rows]
        report["posts_per_second"] = speeds
    if not args.skip_language:
        lang_rows = language_rows(root, LanguageDetector(min_confidence=0.0), LanguageDetector())
        print("\n## Language\n")
        print_language(lang_rows)
        report["language"] = [asdict(r) for r in lang_rows]
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
