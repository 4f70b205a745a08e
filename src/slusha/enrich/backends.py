"""Which sentiment model a setting names: the shipped linear model, the accurate (e5) or hybrid
mode, a ``.npz`` linear model or an ONNX model directory. The backends are imported only when
named, so the default needs neither onnxruntime nor the e5 engine."""

from __future__ import annotations

from pathlib import Path

from slusha.enrich.model import DEFAULT_MODEL_PATH, LinearSentimentModel, SentimentBackend


def load_sentiment_model(path: str | Path | None = None) -> SentimentBackend:
    """The shipped model (no path), the accurate or hybrid mode (``"e5"``, ``"hybrid"``,
    ``slusha[e5]``), a ``.npz`` linear model, or an ONNX model directory."""
    if path is None:
        return LinearSentimentModel.load(DEFAULT_MODEL_PATH)
    from slusha.enrich.e5_backend import E5_MODEL_NAME, HYBRID_MODEL_NAME, E5SentimentModel

    if str(path) in (E5_MODEL_NAME, HYBRID_MODEL_NAME):
        return E5SentimentModel.load(hybrid=str(path) == HYBRID_MODEL_NAME)
    path = Path(path)
    if path.is_dir():
        from slusha.enrich.onnx_backend import OnnxSentimentModel

        return OnnxSentimentModel.load(path)
    return LinearSentimentModel.load(path)
