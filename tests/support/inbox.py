"""An organisation for inbox tests, built through the services, with mentions from the Pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slusha.clock import FrozenClock
from slusha.domain.ingest import Incoming
from slusha.domain.post import Post
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.topics import TopicIndex
from slusha.services.access import Principal
from slusha.services.inbox_access import principal_by_name
from slusha.services.routing import RuleSpec, add_rule
from slusha.services.teams import create_team
from slusha.services.topics import create_topic
from slusha.services.users import create_user
from slusha.store.db import Database
from slusha.store.schema import Mention
from slusha.store.schema import Post as PostRow

MEMBERS = (
    # (username, role, team)
    ("ana", "responder", "Customer care"),
    ("bob", "manager", "Customer care"),
    ("vera", "viewer", "Customer care"),
    ("lea", "responder", "Legal"),
    ("hana", "responder", "HR"),
)


@dataclass(frozen=True, slots=True)
class _Tone:
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class _Enrichment:
    lang: str | None
    sentiment: _Tone | None


class WordEnricher:
    """A small real enricher for these tests: "refund" or "broken" reads negative."""

    def enrich(self, posts: Sequence[Post], hints: object = None) -> list[_Enrichment]:
        """Language from the post, sentiment from two words (hints are not used)."""
        out = []
        for post in posts:
            negative = any(w in post.text.lower() for w in ("refund", "broken", "lawsuit"))
            tone = _Tone("negative", 0.9) if negative else _Tone("neutral", 0.6)
            out.append(_Enrichment(post.lang or "en", tone))
        return out


@dataclass
class World:
    """Teams, members (as principals), topics, routing rules and a pipeline."""

    db: Database
    clock: FrozenClock
    pipeline: Pipeline
    members: dict[str, Principal] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)

    def ingest(self, *posts: dict[str, Any]) -> list[int]:
        """Run posts through the Pipeline; returns the ids of the mentions they created."""
        _summary, outcome = self.pipeline.process(
            [Incoming(data=p, where=f"item {i}") for i, p in enumerate(posts)]
        )
        return [m.id for m in outcome.new_mentions]

    def mentions_of(self, external_id: str) -> list[Mention]:
        """The stored mentions of one post."""
        from sqlalchemy import select

        with self.db.transaction() as tx:
            stmt = (
                select(Mention)
                .join(PostRow, PostRow.id == Mention.post_id)
                .where(PostRow.external_id == external_id)
                .order_by(Mention.id)
            )
            return list(tx.session.scalars(stmt))


def inbox_world(db: Database, clock: FrozenClock) -> World:
    """Customer care, HR and Legal; Acme is care's topic, a private topic belongs to Legal."""
    for team in ("Customer care", "HR", "Legal"):
        create_team(db, name=team, clock=clock)
    topics = {
        "Acme": create_topic(
            db, name="Acme", team="Customer care", query="acme OR #acme", clock=clock
        ).id,
        "Case Falcon": create_topic(
            db,
            name="Case Falcon",
            team="Legal",
            query="falcon",
            kind="other",
            is_private=True,
            clock=clock,
        ).id,
    }
    rules = (
        RuleSpec(
            "Job posts to HR", "job* OR hiring", teams=("HR",), tags=("job",), topics=("Acme",)
        ),
        RuleSpec(
            "Legal threats to Legal",
            "lawsuit OR lawyer",
            teams=("Legal",),
            priority="urgent",
            tags=("legal",),
        ),
        RuleSpec(
            "Complaints to care",
            "refund OR broken",
            teams=("Customer care",),
            priority="high",
            tags=("complaint",),
        ),
        RuleSpec("Spam", '"free followers" OR crypto', close=True, tags=("spam",)),
    )
    for spec in rules:
        add_rule(db, spec, clock=clock)
    create_user(db, username="admin", role="admin", password="pw-admin-123456", clock=clock)
    for username, role, team in MEMBERS:
        create_user(
            db, username=username, role=role, team=team, password="pw-123456789", clock=clock
        )
    pipeline = Pipeline(
        db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0), enricher=WordEnricher()
    )
    world = World(db=db, clock=clock, pipeline=pipeline, topics=topics)
    for username in ("admin", *(m[0] for m in MEMBERS)):
        world.members[username] = principal_by_name(db, username=username)
    return world
