"""Sentiment: the shipped model on real texts, determinism, edge cases, model file errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from slusha.enrich import (
    LABELS,
    Enricher,
    LinearSentimentModel,
    ModelError,
    Sentiment,
    load_sentiment_model,
    sentiment,
)
from slusha.enrich.enricher import sentiment_languages
from slusha.enrich.language import Detection
from slusha.enrich.model import DEFAULT_MODEL_PATH


def test_issue_example() -> None:
    result = sentiment(["I love it", "ужасна услуга"])
    assert [r.label for r in result] == ["positive", "negative"]
    assert all(isinstance(r, Sentiment) and 0.33 < r.score <= 1.0 for r in result)
    assert sentiment("I love it") == result[0]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("This is the best phone I have ever owned, absolutely love it!", "positive"),
        ("Worst customer service ever. Still waiting for a refund, disgusting.", "negative"),
        ("Odličan film, svima ga preporučujem!", "positive"),
        ("Užasno, najgori film koji sam gledao.", "negative"),
        ("Супер, браво! Одлично сте го направиле ова.", "positive"),
        ("Ужасно обслужване, никога повече.", "negative"),
        ("Das ist wirklich schlecht, ich bin sehr enttäuscht.", "negative"),
        ("Me encanta, es genial!", "positive"),
    ],
)
def test_real_texts_in_several_languages(enricher: Enricher, text: str, label: str) -> None:
    assert enricher.sentiments([text])[0].label == label


def test_negation_changes_the_answer(enricher: Enricher) -> None:
    good, not_good = enricher.sentiments(["the update is good", "the update is not good at all"])
    assert good.label == "positive"
    assert not_good.label != "positive"


def test_emoji_carry_sentiment(enricher: Enricher) -> None:
    happy, angry = enricher.sentiments(["😍😍😍", "😡😡"])
    assert happy.label == "positive"
    assert angry.label == "negative"


def test_deterministic_and_batch_independent(enricher: Enricher) -> None:
    texts = ["I love it", "meh", "ужасна услуга", "", "Odličan film!"]
    first = enricher.sentiments(texts)
    assert first == enricher.sentiments(texts)
    assert first == [enricher.sentiments([t])[0] for t in texts]
    reloaded = Enricher(model_path=DEFAULT_MODEL_PATH)
    assert reloaded.sentiments(texts) == first


def test_empty_and_huge_texts(enricher: Enricher) -> None:
    empty, blank = enricher.sentiments(["", "   "])
    assert empty.label in LABELS and blank.label in LABELS
    huge = "terrible awful broken " * 50_000
    assert len(huge) > 1_000_000
    assert enricher.sentiments([huge])[0].label == "negative"
    assert enricher.sentiments([]) == []


def test_probabilities_are_calibrated_rows() -> None:
    model = LinearSentimentModel.load()
    proba = model.predict_proba(["fine", "I hate Mondays", "best day ever"])
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert model.meta["format"] == "slusha-linear-sentiment"
    assert 0.5 <= model.temperature <= 3.0


def test_shipped_model_is_small_and_has_no_lexicon_data() -> None:
    assert DEFAULT_MODEL_PATH.stat().st_size < 100 * 1024 * 1024
    trained_on = LinearSentimentModel.load().meta["trained_on"]
    datasets = {key.split("/")[0] for key in trained_on}
    assert datasets <= {"semeval", "umsab", "mozetic", "corrections"}


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_sentiment_model(tmp_path / "nope.npz")


def test_corrupt_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(ModelError, match="damaged"):
        load_sentiment_model(bad)
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3), bias=np.zeros(3), meta=np.array('{"format": "x"}'))
    with pytest.raises(ModelError, match="not a slusha"):
        load_sentiment_model(other)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(DEFAULT_MODEL_PATH.read_bytes()[:5000])
    with pytest.raises(ModelError):
        load_sentiment_model(truncated)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    weights = rng.normal(size=(1 << 10, 3)).astype(np.float16)
    model = LinearSentimentModel(weights, np.array([0.1, 0.0, -0.1]), bits=10, temperature=1.5)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = LinearSentimentModel.load(path)
    texts = ["one", "two three", ""]
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts), rtol=1e-6)
    assert loaded.temperature == 1.5
    with pytest.raises(ModelError, match="shape"):
        LinearSentimentModel(weights, np.zeros(3), bits=11)


def test_per_language_tables_round_trip_and_bad_shapes(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    weights = rng.normal(size=(1 << 10, 3)).astype(np.float16)
    tables = rng.normal(size=(2, 1 << 6, 3)).astype(np.float16)
    biases = np.array([[0.5, 0.0, -0.5], [0.0, 0.1, 0.0]])
    groups = {"en": 0, "de": 1}
    model = LinearSentimentModel(
        weights, np.zeros(3), bits=10, language_weights=tables, language_bias=biases,
        language_groups=groups, language_shared_scale=np.array([0.25, 1.0]),
    )  # fmt: skip
    texts, langs = ["one two", "drei", "x"], ["en", "de", "mk"]
    assert not np.allclose(model.logits(texts, langs), model.logits(texts))
    np.testing.assert_array_equal(model.logits(texts, langs)[2], model.logits(texts)[2])
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = LinearSentimentModel.load(path)
    np.testing.assert_allclose(loaded.logits(texts, langs), model.logits(texts, langs), rtol=1e-6)
    # An English text scores a quarter of the shared logits plus its expert's, which reads
    # each feature at the low 6 bits of its bucket.
    values, indices, _ = model.hasher.transform(["one two"])
    own = (tables[0].astype(np.float32)[indices & 63] * values[:, None]).sum(axis=0) + biases[0]
    expected = 0.25 * model.logits(["one two"])[0] + own
    np.testing.assert_allclose(model.logits(["one two"], ["en"])[0], expected, rtol=1e-5)
    np.testing.assert_array_equal(loaded.language_shared_scale, [0.25, 1.0])
    with pytest.raises(ModelError, match="per-language weights"):
        model.set_language_tables(tables, biases, groups, np.ones(3))
    for bad_tables, bad_biases, bad_groups in (
        (tables[:1], biases[:1], groups),  # a language without its expert
        (tables[:, :48], biases, groups),  # not a power of two
        (tables, biases, {"en": 0, "de": 2}),  # an expert without a language
        (tables, biases[:1], groups),  # an expert without its bias
    ):
        with pytest.raises(ModelError, match="per-language weights"):
            LinearSentimentModel(
                weights, np.zeros(3), bits=10, language_weights=bad_tables,
                language_bias=bad_biases, language_groups=bad_groups,
            )  # fmt: skip
    meta = json.loads(str(np.load(path)["meta"]))
    del meta["language_groups"]
    broken = tmp_path / "broken.npz"
    np.savez(broken, weights=weights, bias=np.zeros(3), language_weights=tables,
             language_bias=biases, meta=np.array(json.dumps(meta)))  # fmt: skip
    with pytest.raises(ModelError, match="language_groups"):
        load_sentiment_model(broken)


def test_sentiments_detect_the_language_when_not_given(enricher: Enricher) -> None:
    # A fresh detector: what the session's one has read moves its confidence on short texts.
    enricher = Enricher(sentiment_model=enricher.sentiment_model)
    texts = [
        "Das ist wunderbar, vielen Dank für Ihre Hilfe!",
        "This is wonderful, thank you so much for your help!",
        "",
    ]
    langs = sentiment_languages(enricher.detector.detect_many(texts))
    assert langs == ["de", "en", None]
    assert enricher.sentiments(texts) == enricher.sentiments(texts, langs)
    assert enricher.sentiment_model.uses_language


def test_only_a_sure_language_reaches_the_sentiment_model(enricher: Enricher) -> None:
    found = [Detection("en", 0.74, "lingua+words"), Detection("hr", 0.97, "lingua")]
    assert sentiment_languages([*found, Detection(None, 0.0, "none")]) == [None, "hr", None]
    # A Croatian review that word memory misread as English at 0.74 is judged by the shared
    # weights, as one read as Croatian is judged with the shared weights alone too.
    text = "Užasno, najgori film koji sam gledao."
    assert enricher.sentiments([text], ["hr"])[0].label == "negative"
    assert enricher.sentiments([text], [None])[0].label == "negative"


def test_enrich_gives_the_model_the_languages_it_is_sure_of(enricher: Enricher) -> None:
    enricher = Enricher(sentiment_model=enricher.sentiment_model)
    posts = [
        {"text": "This is wonderful, thank you so much for your help!"},
        {"text": "Das ist wirklich schlecht, ich bin sehr enttäuscht."},
        {"text": "ok"},
    ]
    results = enricher.enrich(posts)
    texts = [p["text"] for p in posts]
    langs = sentiment_languages(enricher.detector.detect_many(texts))
    assert langs[:2] == ["en", "de"]
    assert [r.sentiment for r in results] == enricher.sentiments(texts, langs)
