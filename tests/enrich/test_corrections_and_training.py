"""Corrections exchange format, and training from them (the same code as the shipped model)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from slusha.enrich import LinearSentimentModel
from slusha.enrich.corrections import Correction, read_corrections, write_corrections
from slusha.enrich.data import LABEL_INDEX, Example
from slusha.enrich.train import fit_temperature, is_calibration, train
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
    import numpy as np

    assert is_calibration("hello world") == is_calibration("hello world")
    share = np.mean([is_calibration(f"text {i}") for i in range(4000)])
    assert 0.03 < share < 0.07
    logits = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0], [4.0, 0.0, 0.0]])
    assert fit_temperature(logits, np.array([0, 1, 2, 2])) > 1.0
