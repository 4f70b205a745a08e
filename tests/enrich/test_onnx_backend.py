"""The optional ONNX backend, loaded from a tiny model and tokenizer the test builds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from slusha.enrich import Enricher, ModelError, load_sentiment_model

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
tokenizers = pytest.importorskip("tokenizers")

VOCAB = {"[PAD]": 0, "[UNK]": 1, "good": 2, "bad": 3, "okay": 4}


def _build(directory: Path, *, labels: dict[str, str]) -> Path:
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    directory.mkdir()
    tokenizer = Tokenizer(WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.save(str(directory / "tokenizer.json"))
    table = np.zeros((len(VOCAB), len(labels)), dtype=np.float32)
    positive = next(int(k) for k, v in labels.items() if v.lower().startswith("pos"))
    negative = next(int(k) for k, v in labels.items() if v.lower().startswith("neg"))
    table[VOCAB["good"], positive] = 8.0
    table[VOCAB["bad"], negative] = 8.0
    if len(labels) == 3:
        neutral = next(int(k) for k, v in labels.items() if v.lower().startswith("neu"))
        table[VOCAB["okay"], neutral] = 8.0
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "input_ids"], ["embedded"], axis=0),
            helper.make_node("ReduceSum", ["embedded", "axes"], ["logits"], keepdims=0),
        ],
        "tiny-sentiment",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(labels)])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.array([1]), "axes")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(directory / "model.onnx"))
    (directory / "config.json").write_text(json.dumps({"id2label": labels}), encoding="utf-8")
    return directory


def test_three_class_model_directory(tmp_path: Path) -> None:
    path = _build(tmp_path / "m", labels={"0": "NEGATIVE", "1": "NEUTRAL", "2": "POSITIVE"})
    model = load_sentiment_model(path)
    assert model.name == "onnx"
    labels = [s.label for s in Enricher(model_path=path).sentiments(["good good", "bad", "okay"])]
    assert labels == ["positive", "negative", "neutral"]
    proba = model.predict_proba(["good", "", "unknown words only"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_labels_are_matched_by_name_and_two_class_models_work(tmp_path: Path) -> None:
    path = _build(tmp_path / "m", labels={"0": "positive", "1": "negative"})
    proba = load_sentiment_model(path).predict_proba(["good", "bad"])
    assert proba[0].argmax() == 2 and proba[1].argmax() == 0
    assert np.all(proba[:, 1] == 0.0)


def test_broken_directories_are_clear_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match=r"model\.onnx"):
        load_sentiment_model(empty)
    path = _build(tmp_path / "m", labels={"0": "NEGATIVE", "1": "NEUTRAL", "2": "POSITIVE"})
    (path / "config.json").write_text('{"id2label": {"0": "angry"}}', encoding="utf-8")
    with pytest.raises(ModelError, match="angry"):
        load_sentiment_model(path)
    (path / "config.json").write_text(
        json.dumps({"id2label": {"0": "negative", "1": "neutral", "2": "positive"}}),
        encoding="utf-8",
    )
    (path / "model.onnx").write_bytes(b"garbage")
    with pytest.raises(ModelError, match="cannot load"):
        load_sentiment_model(path)
