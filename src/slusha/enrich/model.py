"""The shipped sentiment model: a hashed-feature linear classifier evaluated with numpy only.

Besides the shared weights every text uses, the model may hold an expert per language: a
table of weights and a bias learnt from that language's training tweets alone, added to the
shared scores of texts detected in that language. The shared weights carry what holds across
languages (emoji, cognates, transliterated South Slavic) and serve every other language; an
expert is not swamped by the tens of thousands of English and South Slavic tweets, and the
class balance of other sets does not tilt it.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from slusha.domain.languages import normalise_code
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


Langs = Sequence[str | None] | None
# The per-language arrays of a model file (``LinearSentimentModel.save``).
_EXPERT_ARRAYS = ("language_weights", "language_bias", "language_shared_scale")


class SentimentBackend(Protocol):
    """What every sentiment model offers: class probabilities in ``LABELS`` order.

    ``langs`` (one ISO 639-1 code or None per text) is what the enricher detected; a backend
    may use it or not.
    """

    name: str

    def predict_proba(self, texts: Sequence[str], langs: Langs = None) -> np.ndarray:
        """An ``(n, 3)`` array of negative/neutral/positive probabilities."""
        ...

    @property
    def uses_language(self) -> bool:
        """Whether the answers depend on ``langs``."""
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


def group_of(groups: Mapping[str, int], lang: str | None) -> int:
    """The per-language table ``groups`` gives ``lang``, -1 for none: an exact code first,
    then its primary language (``pt-BR`` counts as ``pt``)."""
    found = groups.get(lang) if lang else None
    if found is None:
        code = normalise_code(lang)
        found = groups.get(code, -1) if code else -1
    return found


def read_model_file(
    path: Path,
    fmt: str,
    *,
    what: str,
    trainer: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The metadata and arrays of an ``.npz`` model file whose ``meta["format"]`` is ``fmt``.

    A missing file, a damaged one, one of another format or one without a ``required`` array
    raises ``ModelError`` naming ``what`` it should be and the ``trainer`` command that makes
    one; ``optional`` arrays are returned when present.
    """
    if not path.is_file():
        raise ModelError(
            f"{what} file not found: {path} (reinstall slusha, or train one with '{trainer}')"
        )
    try:
        # np.load leaks its own handle on a damaged zip; this one is always closed.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            if not isinstance(meta, dict) or meta.get("format") != fmt:
                raise ModelError(f"{path} is not a slusha {what} file")
            names = [*required, *(name for name in optional if name in archive.files)]
            arrays = {name: archive[name] for name in names}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{what} file {path} is damaged or not a slusha file ({exc})") from None
    return meta, arrays


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
        language_weights: np.ndarray | None = None,
        language_bias: np.ndarray | None = None,
        language_groups: Mapping[str, int] | None = None,
        language_shared_scale: np.ndarray | None = None,
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
        self.language_groups: dict[str, int] = {}
        self.language_bits = 0
        # The experts' tables end to end, (tables << language_bits, 3), and their biases.
        self.language_table: np.ndarray | None = None
        self.language_bias = np.zeros((0, len(LABELS)), dtype=np.float32)
        self.language_shared_scale = np.zeros(0, dtype=np.float32)
        if language_weights is not None:
            count = len(language_weights)
            self.set_language_tables(
                language_weights,
                language_bias if language_bias is not None else np.zeros((count, len(LABELS))),
                language_groups or {},
                language_shared_scale
                if language_shared_scale is not None
                else np.ones(count, dtype=np.float32),
            )

    def set_language_tables(
        self,
        tables: np.ndarray,
        biases: np.ndarray,
        groups: Mapping[str, int],
        shared_scale: np.ndarray,
    ) -> None:
        """Give languages their experts: a text of a language that ``groups`` maps to ``g``
        scores ``shared_scale[g]`` times the shared logits plus ``tables[g]`` (``(2**k, 3)``,
        read at each bucket's low ``k`` bits) and ``biases[g]``."""
        shape = tables.shape
        count = len(tables)
        if (
            len(shape) != 3
            or shape[2] != len(LABELS)
            or shape[1] & (shape[1] - 1)
            or not 1 <= shape[1] <= self.hasher.dim
            or biases.shape != (count, len(LABELS))
            or shared_scale.shape != (count,)
            or set(groups.values()) != set(range(count))
        ):
            raise ModelError(
                f"per-language weights have shape {shape} and biases {biases.shape}, which "
                f"do not fit {len(set(groups.values()))} languages of a "
                f"{self.hasher.bits}-bit model"
            )
        self.language_groups = dict(groups)
        self.language_bits = shape[1].bit_length() - 1
        self.language_table = np.ascontiguousarray(
            tables.reshape(-1, len(LABELS)), dtype=np.float32
        )
        self.language_bias = np.asarray(biases, dtype=np.float32)
        self.language_shared_scale = np.asarray(shared_scale, dtype=np.float32)

    @property
    def uses_language(self) -> bool:
        """Whether the model has per-language weights (so ``langs`` changes its answers)."""
        return self.language_table is not None

    def language_group(self, lang: str | None) -> int:
        """The table a language's texts use, -1 for none (``pt-BR`` counts as ``pt``)."""
        return group_of(self.language_groups, lang)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_PATH) -> LinearSentimentModel:
        """Read a model written by ``save``; a missing or damaged file raises ``ModelError``."""
        path = Path(path)
        # The experts' arrays are absent from the files of earlier releases.
        meta, arrays = read_model_file(
            path,
            FORMAT,
            what="sentiment model",
            trainer="python -m slusha.enrich.train",
            required=("weights", "bias"),
            optional=_EXPERT_ARRAYS,
        )
        if meta.get("feature_version") != FEATURE_VERSION:
            raise ModelError(
                f"{path} was trained with feature version {meta.get('feature_version')}, "
                f"this slusha computes version {FEATURE_VERSION}: retrain it"
            )
        language_weights = arrays.get("language_weights")
        groups = meta.get("language_groups") or {}
        if language_weights is not None and not (
            isinstance(groups, dict) and groups and all(isinstance(v, int) for v in groups.values())
        ):
            raise ModelError(f"{path} has per-language weights but no usable language_groups")
        return cls(
            arrays["weights"],
            arrays["bias"],
            bits=int(meta["bits"]),
            temperature=float(meta.get("temperature", 1.0)),
            meta=meta,
            language_weights=language_weights,
            language_bias=arrays.get("language_bias"),
            language_groups=groups if language_weights is not None else None,
            language_shared_scale=arrays.get("language_shared_scale"),
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
        arrays: dict[str, Any] = {
            "weights": self.weights.astype(np.float16),
            "bias": self.bias,
        }
        if self.language_table is not None:
            meta["language_groups"] = dict(sorted(self.language_groups.items()))
            meta["language_bits"] = self.language_bits
            tables = self.language_table.reshape(-1, 1 << self.language_bits, len(LABELS))
            arrays["language_weights"] = tables.astype(np.float16)
            arrays["language_bias"] = self.language_bias
            arrays["language_shared_scale"] = self.language_shared_scale
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            np.savez_compressed(handle, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)

    def logits(self, texts: Sequence[str], langs: Langs = None) -> np.ndarray:
        """Un-normalised class scores, one row per text (``langs``: one code or None each)."""
        if langs is not None and len(langs) != len(texts):
            raise ValueError("langs must have one entry per text")
        data, indices, indptr = self.hasher.transform(texts)
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        if indices.size:
            contributions = np.take(self.weights, indices, axis=0)  # faster than weights[indices]
            contributions *= data[:, None]
            starts = indptr[:-1]
            nonempty = indptr[1:] > starts
            out[nonempty] = np.add.reduceat(contributions, starts[nonempty], axis=0)
        out += self.bias
        if self.language_table is not None and langs is not None:
            self._add_language_logits(out, langs, data, indices, indptr)
        return out

    def _add_language_logits(
        self,
        out: np.ndarray,
        langs: Sequence[str | None],
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
    ) -> None:
        """Blend in the expert of each text's language, if it has one (``set_language_tables``;
        a feature's row in the expert's table is its bucket's low ``language_bits`` bits, as
        in training)."""
        assert self.language_table is not None
        groups = np.fromiter(map(self.language_group, langs), dtype=np.int64, count=len(langs))
        lengths = np.diff(indptr)
        nonempty = lengths > 0
        rows = np.flatnonzero((groups >= 0) & nonempty)
        if not rows.size:
            return
        # Every entry is looked up (texts without an expert in table 0, then dropped): cheaper
        # than selecting the entries of the texts with one, and most texts have one.
        entry_rows = np.repeat(np.maximum(groups, 0), lengths)
        entry_rows <<= self.language_bits
        entry_rows |= indices & ((1 << self.language_bits) - 1)
        contributions = np.take(self.language_table, entry_rows, axis=0)
        contributions *= data[:, None]
        sums = np.zeros_like(out)
        sums[nonempty] = np.add.reduceat(contributions, indptr[:-1][nonempty], axis=0)
        chosen = groups[rows]
        out[rows] = (
            out[rows] * self.language_shared_scale[chosen][:, None]
            + sums[rows]
            + self.language_bias[chosen]
        )

    def predict_proba(self, texts: Sequence[str], langs: Langs = None) -> np.ndarray:
        """Calibrated class probabilities (temperature-scaled softmax)."""
        return softmax(self.logits(texts, langs) / self.temperature)

    def predict(self, texts: Sequence[str], langs: Langs = None) -> list[Sentiment]:
        """The sentiment of each text."""
        return to_sentiments(self.predict_proba(texts, langs))
