"""The embedded pipeline: one call runs every stage over a batch and saves it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from slusha.clock import Clock
from slusha.domain.hygiene import DEFAULT_LIMITS, PostLimits
from slusha.domain.ingest import Incoming, Rejection
from slusha.domain.post import NETWORKS
from slusha.pipeline import stages
from slusha.pipeline.stages import EnricherLike
from slusha.pipeline.topics import TopicIndex
from slusha.services.posts import BatchOutcome, record_batch
from slusha.store.db import Database


@dataclass(slots=True)
class IngestSummary:
    """Counts over everything a run ingested; ``rejections`` say where and why."""

    received: int = 0
    accepted: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    matched: int = 0
    unmatched: int = 0
    mentions: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def add(self, other: IngestSummary) -> None:
        """Fold another batch's counts into this one."""
        for name in (
            "received",
            "accepted",
            "new",
            "duplicate",
            "rejected",
            "matched",
            "unmatched",
            "mentions",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejections.extend(other.rejections)

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (for JSON output)."""
        return {
            "received": self.received,
            "accepted": self.accepted,
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "mentions": self.mentions,
        }


class Pipeline:
    """normalise -> dedupe -> match -> enrich -> route -> save; events go to the outbox."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        topics: TopicIndex,
        enricher: EnricherLike,
        keep_unmatched: bool = False,
        limits: PostLimits = DEFAULT_LIMITS,
    ) -> None:
        self.limits = limits
        self.db = db
        self.clock = clock
        self.topics = topics
        self.enricher = enricher
        self.keep_unmatched = keep_unmatched

    def process(
        self,
        items: Iterable[Incoming],
        *,
        deletions: Sequence[tuple[str, Sequence[str]]] = (),
    ) -> tuple[IngestSummary, BatchOutcome]:
        """Run one batch through every stage and save it in one transaction.

        ``deletions`` ((network, ids) deleted at the source) apply after the batch's posts.
        """
        items = list(items)
        self.topics.refresh()
        batch = stages.dedupe(stages.normalise(items, limits=self.limits, now=self.clock.now()))
        matched = stages.match(batch, topics=self.topics)
        records = stages.enrich_and_route(
            matched, topics=self.topics, enricher=self.enricher, keep_unmatched=self.keep_unmatched
        )
        unmatched = [p for p, _s, t in matched if not t and not self.keep_unmatched]
        rejected_by_network: Counter[str] = Counter()
        for rejection in batch.rejected:
            network = rejection.network if rejection.network in NETWORKS else "unknown"
            rejected_by_network[network] += 1
        outcome = record_batch(
            self.db,
            records=records,
            unmatched=unmatched,
            rejected=rejected_by_network,
            deletions=deletions,
            clock=self.clock,
        )
        summary = IngestSummary(
            received=len(items),
            accepted=len(items) - len(batch.rejected),
            new=outcome.new_posts,
            duplicate=outcome.duplicates + batch.repeated,
            rejected=len(batch.rejected),
            matched=outcome.matched,
            unmatched=outcome.unmatched,
            mentions=len(outcome.new_mentions),
            rejections=list(batch.rejected),
        )
        return summary, outcome
