"""Stage functions. Identical whether posts arrive from the CLI, a connector or the bus."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from slusha.domain.hygiene import (
    DEFAULT_LIMITS,
    PostHygieneError,
    PostLimits,
    clamp_future,
    sanitise_post,
)
from slusha.domain.ingest import Incoming, Rejection
from slusha.domain.post import Post, PostFormatError, parse_post
from slusha.pipeline.topics import TopicIndex
from slusha.store.posts import PostRecord

if TYPE_CHECKING:
    from slusha.enrich.language import LanguageHints


class SentimentLike(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...


class EnrichmentLike(Protocol):
    @property
    def lang(self) -> str | None: ...
    @property
    def sentiment(self) -> SentimentLike | None: ...


class EnricherLike(Protocol):
    """What the enrich stage needs: language and sentiment for a batch of posts.

    ``hints[i]`` is what else is known about the language of post ``i`` (here: its source's
    language); the stage passes ``hints`` only when some post has one, so an enricher that
    takes no hints still works for sources without a language.
    """

    def enrich(
        self, posts: Sequence[Post], hints: Sequence[LanguageHints | None] | None = None
    ) -> Sequence[EnrichmentLike]: ...


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a post came from: its source, and the language that source is configured with."""

    source_id: int | None = None
    language: str | None = None


@dataclass(slots=True)
class Normalised:
    """The result of the normalise and dedupe stages."""

    posts: list[tuple[Post, Origin]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    repeated: int = 0  # the same (network, id) twice in one batch


def normalise(
    items: Iterable[Incoming],
    *,
    limits: PostLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> Normalised:
    """Validate every item against the post format; keep the reasons of the rejects.

    Posts built by code (connectors) are held to the same hygiene as parsed ones; with ``now``,
    a post dated beyond the tolerance in the future is dated ``now``.
    """
    out = Normalised()
    for item in items:
        data = item.data
        try:
            if isinstance(data, Post):
                post = sanitise_post(data, limits=limits)
            else:
                post = parse_post(data, limits=limits)
        except (PostFormatError, PostHygieneError) as exc:
            network = data.network if isinstance(data, Post) else data.get("network")
            out.rejected.append(
                Rejection(item.where, exc.reason, network if isinstance(network, str) else None)
            )
            continue
        if now is not None:
            clamp_future(post, now=now, limits=limits)
        out.posts.append((post, Origin(item.source_id, item.source_language)))
    return out


def dedupe(batch: Normalised) -> Normalised:
    """Keep the last version of each (network, id) in the batch (it carries the newest edit)."""
    latest: dict[tuple[str, str], tuple[Post, Origin]] = {}
    for post, origin in batch.posts:
        latest[(post.network, post.id)] = (post, origin)
    batch.repeated += len(batch.posts) - len(latest)
    batch.posts = list(latest.values())
    return batch


def match(batch: Normalised, *, topics: TopicIndex) -> list[tuple[Post, Origin, list[int]]]:
    """The topics each post matches (the post is normalised once for all topics)."""
    return [(post, origin, topics.match(post)) for post, origin in batch.posts]


def enrich_posts(
    kept: Sequence[tuple[Post, Origin, list[int]]], enricher: EnricherLike
) -> list[EnrichmentLike]:
    """Language and sentiment of each post; a source's language goes to the enricher as a hint."""
    if not kept:
        return []
    posts = [post for post, _o, _t in kept]
    languages = [origin.language for _p, origin, _t in kept]
    if not any(languages):
        return list(enricher.enrich(posts))
    # Imported here: only a process that enriches loads the enrich package (and numpy).
    from slusha.enrich.language import LanguageHints

    hints = [LanguageHints(source=lang) if lang else None for lang in languages]
    return list(enricher.enrich(posts, hints=hints))


def enrich_and_route(
    matched: Sequence[tuple[Post, Origin, list[int]]],
    *,
    topics: TopicIndex,
    enricher: EnricherLike,
    keep_unmatched: bool,
) -> list[PostRecord]:
    """Language and sentiment for the posts worth keeping, then their routes to teams."""
    kept = [(p, o, t) for p, o, t in matched if t or keep_unmatched]
    enrichments = enrich_posts(kept, enricher)
    records = []
    for (post, origin, topic_ids), extra in zip(kept, enrichments, strict=True):
        sentiment = extra.sentiment
        records.append(
            PostRecord(
                post=post,
                lang=extra.lang,
                sentiment=sentiment.label if sentiment else None,
                sentiment_score=round(float(sentiment.score), 4) if sentiment else None,
                routes=topics.route(topic_ids, post),
                source_id=origin.source_id,
            )
        )
    return records
