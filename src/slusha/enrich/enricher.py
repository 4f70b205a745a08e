"""The enricher the pipeline uses: language and sentiment for a batch of posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slusha.domain.post import Post
from slusha.enrich.authors import AuthorKey, AuthorLanguages, author_key
from slusha.enrich.backends import load_sentiment_model
from slusha.enrich.language import (
    DEFAULT_LANGUAGES,
    DEFAULT_MIN_CONFIDENCE,
    Detection,
    LanguageDetector,
    LanguageHints,
)
from slusha.enrich.model import Sentiment, SentimentBackend, to_sentiments

# Enough text to judge language and tone; keeps a 1 MB post from stalling a batch.
MAX_CHARS = 5000
# A language read with less confidence is not passed to the sentiment model: a language's
# expert outweighs the shared weights, so a text misread as English would be judged by English
# words alone. Below this the shared weights judge it.
SENTIMENT_LANGUAGE_CONFIDENCE = 0.9


def sentiment_languages(detections: Sequence[Detection]) -> list[str | None]:
    """The language to give the sentiment model for each detection (None when not sure)."""
    return [d.lang if d.confidence >= SENTIMENT_LANGUAGE_CONFIDENCE else None for d in detections]


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What enrichment adds to one post: its language (None when unsure) and sentiment."""

    lang: str | None
    sentiment: Sentiment
    lang_confidence: float = 0.0
    lang_method: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The post-format fields this adds: ``lang`` and ``sentiment``."""
        return {
            "lang": self.lang,
            "sentiment": {"label": self.sentiment.label, "score": self.sentiment.score},
        }


def post_text(post: Post | Mapping[str, Any]) -> tuple[str, str | None]:
    """The text to analyse (title and body) and the network's language tag of a post."""
    title: Any
    text: Any
    lang: Any
    if isinstance(post, Post):
        title, text, lang = post.title, post.text, post.lang
    else:
        title, text, lang = post.get("title"), post.get("text"), post.get("lang")
    body = text if isinstance(text, str) else ""
    if isinstance(title, str) and title.strip() and title.strip() not in body:
        body = f"{title}\n{body}"
    return body[:MAX_CHARS], lang if isinstance(lang, str) else None


class Enricher:
    """Loads the language detector and sentiment model once; enriches batches of posts."""

    def __init__(
        self,
        *,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        model_path: str | Path | None = None,
        detector: LanguageDetector | None = None,
        sentiment_model: SentimentBackend | None = None,
    ) -> None:
        self.detector = detector or LanguageDetector(languages, min_confidence=min_confidence)
        self.sentiment_model = sentiment_model or load_sentiment_model(model_path)
        self.authors = AuthorLanguages(min_letters=self.detector.short_text_letters)

    def enrich(
        self,
        posts: Sequence[Post | Mapping[str, Any]],
        hints: Sequence[LanguageHints | None] | None = None,
    ) -> list[Enrichment]:
        """Language and sentiment for each post; ``hints[i]`` helps with post ``i``.

        A post's own ``lang`` (the network's tag) is used as ``hints.network`` when the hint
        does not name one: it is kept unless the detector is confident it is wrong. When the
        hint names no ``author`` language, the language of the author's last long enough post
        seen by this enricher is used (``self.authors``).
        """
        if hints is not None and len(hints) != len(posts):
            raise ValueError("hints must have one entry per post")
        texts: list[str] = []
        keys: list[AuthorKey | None] = []
        merged: list[LanguageHints | None] = []
        for i, post in enumerate(posts):
            text, network = post_text(post)
            texts.append(text)
            key = author_key(post)
            keys.append(key)
            hint = hints[i] if hints is not None else None
            author = hint.author if hint and hint.author else self.authors.get(key)
            if (network and (hint is None or hint.network is None)) or (
                author and (hint is None or hint.author is None)
            ):
                hint = LanguageHints(
                    network=hint.network if hint and hint.network else network,
                    author=author,
                    source=hint.source if hint else None,
                )
            merged.append(hint)
        detections = self.detector.detect_many(texts, merged)
        for key, text, found in zip(keys, texts, detections, strict=True):
            self.authors.remember(key, text, found.lang, found.confidence)
        sentiments = self.sentiments(texts, sentiment_languages(detections))
        return [
            Enrichment(d.lang, s, round(d.confidence, 4), d.method)
            for d, s in zip(detections, sentiments, strict=True)
        ]

    def sentiments(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Sentiment]:
        """The sentiment of each text; ``langs`` (one code or None each) is each text's
        language, detected here when not given and the model reads languages (a language
        read with confidence under ``SENTIMENT_LANGUAGE_CONFIDENCE`` is not used)."""
        clipped = [t[:MAX_CHARS] for t in texts]
        if langs is None and self.sentiment_model.uses_language:
            langs = sentiment_languages(self.detector.detect_many(clipped))
        return to_sentiments(self.sentiment_model.predict_proba(clipped, langs))

    def languages(
        self, texts: Sequence[str], hints: Sequence[LanguageHints | None] | None = None
    ) -> list[str | None]:
        """The language of each text (ISO 639-1), None where unsure."""
        clipped = [t[:MAX_CHARS] for t in texts]
        return [d.lang for d in self.detector.detect_many(clipped, hints)]

    def warm_up(self) -> None:
        """Load what lingua loads lazily (seconds), so that the first real batch is not slow."""
        self.detector.warm_up()
        self.languages(list(WARM_UP_TEXTS))
        self.sentiments(list(WARM_UP_TEXTS))


# One short sentence per script and a few Latin languages: each makes lingua load its models.
WARM_UP_TEXTS = (
    "The service was great today, thank you",
    "Услугата денес беше одлична, благодарам",
    "Usluga je danas bila odlična, hvala",
    "Der Service war heute großartig, danke",
    "Le service était excellent aujourd'hui, merci",
    "Η εξυπηρέτηση ήταν εξαιρετική σήμερα",
    "كانت الخدمة رائعة اليوم",
)
