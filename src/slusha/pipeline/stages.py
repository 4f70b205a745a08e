"""Stage functions. Identical whether posts arrive from the CLI, a connector or the bus."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from slusha.domain.ingest import Incoming, Rejection
from slusha.domain.post import Post, PostFormatError, parse_post
from slusha.pipeline.topics import TopicIndex
from slusha.store.posts import PostRecord


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
    """What the enrich stage needs: language and sentiment for a batch of posts."""

    def enrich(self, posts: Sequence[Post]) -> Sequence[EnrichmentLike]: ...


@dataclass(slots=True)
class Normalised:
    """The result of the normalise and dedupe stages."""

    posts: list[tuple[Post, int | None]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    repeated: int = 0  # the same (network, id) twice in one batch


def normalise(items: Iterable[Incoming]) -> Normalised:
    """Validate every item against the post format; keep the reasons of the rejects."""
    out = Normalised()
    for item in items:
        try:
            post = item.data if isinstance(item.data, Post) else parse_post(item.data)
        except PostFormatError as exc:
            network = item.data.get("network") if isinstance(item.data, dict) else None
            out.rejected.append(
                Rejection(item.where, exc.reason, network if isinstance(network, str) else None)
            )
            continue
        out.posts.append((post, item.source_id))
    return out


def dedupe(batch: Normalised) -> Normalised:
    """Keep the last version of each (network, id) in the batch (it carries the newest edit)."""
    latest: dict[tuple[str, str], tuple[Post, int | None]] = {}
    for post, source_id in batch.posts:
        latest[(post.network, post.id)] = (post, source_id)
    batch.repeated += len(batch.posts) - len(latest)
    batch.posts = list(latest.values())
    return batch


def match(batch: Normalised, *, topics: TopicIndex) -> list[tuple[Post, int | None, list[int]]]:
    """The topics each post matches (the post is normalised once for all topics)."""
    return [(post, source_id, topics.match(post)) for post, source_id in batch.posts]


def enrich_and_route(
    matched: Sequence[tuple[Post, int | None, list[int]]],
    *,
    topics: TopicIndex,
    enricher: EnricherLike,
    keep_unmatched: bool,
) -> list[PostRecord]:
    """Language and sentiment for the posts worth keeping, then their routes to teams."""
    kept = [(p, s, t) for p, s, t in matched if t or keep_unmatched]
    enrichments = enricher.enrich([p for p, _s, _t in kept]) if kept else []
    records = []
    for (post, source_id, topic_ids), extra in zip(kept, enrichments, strict=True):
        sentiment = extra.sentiment
        records.append(
            PostRecord(
                post=post,
                lang=extra.lang,
                sentiment=sentiment.label if sentiment else None,
                sentiment_score=round(float(sentiment.score), 4) if sentiment else None,
                routes=topics.route(topic_ids, post),
                source_id=source_id,
            )
        )
    return records
