"""Corrections exchange format, and training from them (the same code as the shipped model)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from slusha.enrich import LinearSentimentModel
from slusha.enrich.corrections import Correction, read_corrections, write_corrections
from slusha.enrich.data import LABEL_INDEX, Example
from slusha.enrich.train import balanced_within_datasets, fit_temperature, is_calibration, train
from slusha.errors import InputError

pytest.importorskip("sklearn")

CORRECTIONS = [
    Correction("услугата е одлична", "positive", "mk"),
    Correction("услугата е ужасна", "negative", "mk"),
    Correction("услугата е во ред", "neutral", "mk"),
]


def test_round_trip(tmp_path: Path) -> None:
    buffer = io.StringIO()
    assert write_corrections(CORRECTIONS, buffer) == 3
    path = tmp_path / "corrections.jsonl"
    path.write_text(buffer.getvalue() + "\n", encoding="utf-8")
    assert read_corrections(path) == CORRECTIONS


def test_bad_lines_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        CORRECTIONS[0].to_json() + '\n{"text": "x", "label": "great"}\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"c\.jsonl:2: 'label' must be one of"):
        read_corrections(path)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=":1:"):
        read_corrections(path)


def test_training_learns_the_corrections(tmp_path: Path) -> None:
    examples = [
        Example(c.text, LABEL_INDEX[c.label], c.lang or "und", "corrections") for c in CORRECTIONS
    ] * 5
    model = train(examples, bits=12, c=100.0, calibrate=False, log=False)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = LinearSentimentModel.load(path)
    assert [s.label for s in loaded.predict([c.text for c in CORRECTIONS])] == [
        c.label for c in CORRECTIONS
    ]
    again = train(examples, bits=12, c=100.0, calibrate=False, log=False)
    assert (again.weights == model.weights).all()


def test_calibration_split_and_temperature_are_deterministic() -> None:
    assert is_calibration("hello world") == is_calibration("hello world")
    share = np.mean([is_calibration(f"text {i}") for i in range(4000)])
    assert 0.03 < share < 0.07
    logits = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0], [4.0, 0.0, 0.0]])
    assert fit_temperature(logits, np.array([0, 1, 2, 2])) > 1.0


def test_language_tables_learn_what_differs_between_languages(tmp_path: Path) -> None:
    """'Gift' is a present in English and poison in German: only the languages' experts can
    tell them apart, and only if inference reads the rows that training wrote."""
    rows = [
        ("gift", "en", 2), ("a gift for you", "en", 2), ("awful", "en", 0),
        ("gift", "de", 0), ("das ist gift", "de", 0), ("danke", "de", 2),
        ("the table", "en", 1), ("der tisch", "de", 1), ("la mesa", "es", 1),
    ]  # fmt: skip
    examples = [Example(text, label, lang, "corrections") for text, lang, label in rows] * 4
    model = train(
        examples, bits=12, c=100.0, calibrate=False, log=False, experts=("en", "de", "es"),
        expert_bits=8, expert_c=100.0,
    )  # fmt: skip
    assert model.uses_language
    assert model.meta["expert_weights"] == {"en": 2.0, "de": 2.0}  # es: one label only
    assert [s.label for s in model.predict(["gift", "gift"], ["en", "de"])] == [
        "positive",
        "negative",
    ]
    # A language without a table, or none at all, gets the shared weights alone.
    shared = model.logits(["gift", "das ist gift"])
    np.testing.assert_array_equal(model.logits(["gift", "das ist gift"], ["fr", None]), shared)
    assert model.language_group("de-AT") == model.language_group("de") >= 0
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = LinearSentimentModel.load(path)
    assert loaded.uses_language and loaded.language_groups == {"en": 0, "de": 1}
    texts, langs = ["gift", "das ist gift", "gift"], ["en", "de", None]
    np.testing.assert_allclose(loaded.logits(texts, langs), model.logits(texts, langs), rtol=1e-6)
    with pytest.raises(ValueError, match="one entry per text"):
        model.logits(texts, ["en"])


def test_labels_are_balanced_within_each_data_set() -> None:
    examples = [Example("t", label, "en", "a") for label in (0, 0, 0, 1, 2, 2)] + [
        Example("t", label, "hr", "b") for label in (0, 2, 2, 2)
    ]
    labels = np.array([e.label for e in examples])
    weights = balanced_within_datasets(examples, labels)
    # Set a: 6 texts, 3 labels; set b: 4 texts, 2 labels (no neutral to count against).
    np.testing.assert_allclose(weights, [2 / 3] * 3 + [2.0] + [1.0] * 2 + [2.0] + [2 / 3] * 3)
    for name in ("a", "b"):
        inside = np.array([e.dataset == name for e in examples])
        per_label = {y: weights[inside & (labels == y)].sum() for y in set(labels[inside])}
        assert len(set(np.round(list(per_label.values()), 9))) == 1
