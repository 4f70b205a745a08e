"""The shipped sentiment model: a hashed-feature linear classifier evaluated with numpy only."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from slusha.enrich.features import FEATURE_VERSION, FeatureHasher
from slusha.errors import PermanentError

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL_PATH = MODEL_DIR / "sentiment.npz"
FORMAT = "slusha-linear-sentiment"


class ModelError(PermanentError):
    """A sentiment model is missing, unreadable or of the wrong format."""

    code = "model"


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A sentiment ``label`` (negative/neutral/positive) and the model's probability of it."""

    label: str
    score: float


class SentimentBackend(Protocol):
    """What every sentiment model offers: class probabilities in ``LABELS`` order."""

    name: str

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """An ``(n, 3)`` array of negative/neutral/positive probabilities."""
        ...


def to_sentiments(proba: np.ndarray) -> list[Sentiment]:
    """Turn rows of probabilities into ``Sentiment`` values (the most likely label)."""
    best = proba.argmax(axis=1)
    return [Sentiment(LABELS[int(k)], round(float(proba[row, k]), 4)) for row, k in enumerate(best)]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


class LinearSentimentModel:
    """Multinomial logistic regression over hashed features; weights from an ``.npz`` file."""

    name = "linear"

    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray,
        *,
        bits: int,
        temperature: float = 1.0,
        meta: dict[str, Any] | None = None,
    ) -> None:
        if weights.shape != (1 << bits, len(LABELS)) or bias.shape != (len(LABELS),):
            raise ModelError(
                f"sentiment weights have shape {weights.shape}, expected {(1 << bits, 3)}"
            )
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = bias.astype(np.float32)
        self.temperature = float(temperature)
        self.hasher = FeatureHasher(bits)
        self.meta = dict(meta or {})

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_PATH) -> LinearSentimentModel:
        """Read a model written by ``save``; a missing or damaged file raises ``ModelError``."""
        path = Path(path)
        if not path.is_file():
            raise ModelError(
                f"sentiment model file not found: {path} "
                "(reinstall slusha, or train one with 'python -m slusha.enrich.train')"
            )
        try:
            # np.load leaks its own handle on a damaged zip; this one is always closed.
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
                meta = json.loads(str(archive["meta"]))
                weights = archive["weights"]
                bias = archive["bias"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelError(
                f"sentiment model file {path} is damaged or not a slusha model ({exc})"
            ) from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelError(f"{path} is not a slusha linear sentiment model")
        if meta.get("feature_version") != FEATURE_VERSION:
            raise ModelError(
                f"{path} was trained with feature version {meta.get('feature_version')}, "
                f"this slusha computes version {FEATURE_VERSION}: retrain it"
            )
        return cls(
            weights,
            bias,
            bits=int(meta["bits"]),
            temperature=float(meta.get("temperature", 1.0)),
            meta=meta,
        )

    def save(self, path: str | Path) -> None:
        """Write the model as a compressed ``.npz`` (weights stored as float16)."""
        meta = {
            **self.meta,
            "format": FORMAT,
            "feature_version": FEATURE_VERSION,
            "bits": self.hasher.bits,
            "labels": list(LABELS),
            "temperature": self.temperature,
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                weights=self.weights.astype(np.float16),
                bias=self.bias,
                meta=np.array(json.dumps(meta, sort_keys=True)),
            )

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Un-normalised class scores, one row per text."""
        data, indices, indptr = self.hasher.transform(texts)
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        if indices.size:
            contributions = np.take(self.weights, indices, axis=0)  # faster than weights[indices]
            contributions *= data[:, None]
            starts = indptr[:-1]
            nonempty = indptr[1:] > starts
            out[nonempty] = np.add.reduceat(contributions, starts[nonempty], axis=0)
        out += self.bias
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities (temperature-scaled softmax)."""
        return softmax(self.logits(texts) / self.temperature)

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        """The sentiment of each text."""
        return to_sentiments(self.predict_proba(texts))


def load_sentiment_model(path: str | Path | None = None) -> SentimentBackend:
    """The shipped model (no path), a ``.npz`` linear model, or an ONNX model directory."""
    if path is None:
        return LinearSentimentModel.load(DEFAULT_MODEL_PATH)
    path = Path(path)
    if path.is_dir():
        from slusha.enrich.onnx_backend import OnnxSentimentModel

        return OnnxSentimentModel.load(path)
    return LinearSentimentModel.load(path)
