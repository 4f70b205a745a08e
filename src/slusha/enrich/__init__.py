"""Language detection and sentiment that ship with Slusha and work offline.

``detect_language`` and ``sentiment`` use one default ``Enricher``, built on first use (not at
import). The pipeline builds its own ``Enricher`` and calls ``enrich`` on batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import overload

from slusha.enrich.backends import load_sentiment_model
from slusha.enrich.enricher import Enricher, Enrichment
from slusha.enrich.language import DEFAULT_LANGUAGES, Detection, LanguageDetector, LanguageHints
from slusha.enrich.model import (
    LABELS,
    LinearSentimentModel,
    ModelError,
    Sentiment,
    SentimentBackend,
)

__all__ = [
    "DEFAULT_LANGUAGES",
    "LABELS",
    "Detection",
    "Enricher",
    "Enrichment",
    "LanguageDetector",
    "LanguageHints",
    "LinearSentimentModel",
    "ModelError",
    "Sentiment",
    "SentimentBackend",
    "default_enricher",
    "detect_language",
    "load_sentiment_model",
    "sentiment",
]


@lru_cache(maxsize=1)
def _default_detector() -> LanguageDetector:
    return LanguageDetector()


@lru_cache(maxsize=1)
def default_enricher() -> Enricher:
    """The shared default ``Enricher`` (default languages, shipped model), built once."""
    return Enricher(detector=_default_detector())


def detect_language(text: str, hints: LanguageHints | None = None) -> str | None:
    """The ISO 639-1 code of a text's language, or None when unsure."""
    return _default_detector().detect(text, hints).lang


@overload
def sentiment(texts: str) -> Sentiment: ...  # type: ignore[overload-overlap]
@overload
def sentiment(texts: Sequence[str]) -> list[Sentiment]: ...
def sentiment(texts: str | Sequence[str]) -> Sentiment | list[Sentiment]:
    """The sentiment of one text, or of each text in a list."""
    if isinstance(texts, str):
        return default_enricher().sentiments([texts])[0]
    return default_enricher().sentiments(list(texts))
