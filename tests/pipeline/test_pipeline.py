"""A post goes in, a mention comes out: every stage against a real database."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from tests.support.builders import organisation, post
from tests.support.enricher import shared_enricher

from slusha.clock import FrozenClock
from slusha.domain.ingest import Incoming
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.topics import TopicIndex
from slusha.services.topics import set_topic_enabled
from slusha.store.db import Database
from slusha.store.schema import Event, IngestCounter, Mention, MentionRollup, Post


def _pipeline(db: Database, clock: FrozenClock, *, keep_unmatched: bool = False) -> Pipeline:
    return Pipeline(
        db=db,
        clock=clock,
        topics=TopicIndex(db, refresh_seconds=0),
        enricher=shared_enricher(),
        keep_unmatched=keep_unmatched,
    )


def _items(*posts: dict) -> list[Incoming]:
    return [Incoming(data=p, where=f"line {i + 1}") for i, p in enumerate(posts)]


def _count(db: Database, model: type) -> int:
    with db.transaction() as tx:
        return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


def test_matching_post_becomes_mentions_routed_to_topic_teams(db: Database, clock) -> None:
    topics = organisation(db, clock=clock)
    pipeline = _pipeline(db, clock)
    summary, outcome = pipeline.process(
        _items(
            post("1", "I love #Acme, great service!"),
            post("2", "Acme jobs: we are hiring engineers"),
            post("3", "acme never sent my refund", lang="en"),
            post("4", "nothing to see here"),
        )
    )
    assert (summary.received, summary.accepted, summary.rejected) == (4, 4, 0)
    assert (summary.matched, summary.unmatched, summary.new) == (3, 1, 3)
    with db.transaction() as tx:
        rows = tx.session.execute(
            select(
                Post.external_id, Mention.topic_id, Mention.team_id, Mention.lang, Mention.sentiment
            ).join(Post, Post.id == Mention.post_id)
        ).all()
    by_post = Counter(r[0] for r in rows)
    assert by_post == {"1": 1, "2": 1, "3": 2}  # "3" matches Acme and Refunds
    topic_of = {(r[0], r[1]) for r in rows}
    assert ("2", topics["Acme jobs"]) in topic_of
    assert ("2", topics["Acme"]) not in topic_of  # NOT job* keeps it out of care's inbox
    assert all(r[3] is not None for r in rows if r[0] == "3")  # enriched: language
    assert {r[4] for r in rows} <= {"negative", "neutral", "positive"}
    assert _count(db, Post) == 3  # the unmatched post is counted, not stored
    with db.read() as tx:
        mention_events = tx.session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "mention.created")
        )
    assert len(outcome.event_ids) == 4 == mention_events


def test_reingested_post_is_stored_once_and_its_edits_and_metrics_are_updated(
    db: Database, clock
) -> None:
    organisation(db, clock=clock)
    pipeline = _pipeline(db, clock)
    pipeline.process(_items(post("1", "acme is late", metrics={"likes": 1})))
    summary, outcome = pipeline.process(
        _items(post("1", "acme is late again (edited)", metrics={"likes": 9}))
    )
    assert (summary.new, summary.duplicate, summary.mentions) == (0, 1, 0)
    assert outcome.event_ids == []
    with db.transaction() as tx:
        stored = tx.session.scalars(select(Post)).all()
    assert len(stored) == 1
    assert stored[0].text == "acme is late again (edited)"
    assert stored[0].metrics == {"likes": 9}
    assert _count(db, Mention) == 1


def test_same_post_twice_in_one_batch_keeps_the_last_version(db: Database, clock) -> None:
    organisation(db, clock=clock)
    summary, _ = _pipeline(db, clock).process(_items(post("1", "acme v1"), post("1", "acme v2")))
    assert (summary.new, summary.duplicate) == (1, 1)
    with db.transaction() as tx:
        assert tx.session.scalar(select(Post.text)) == "acme v2"


def test_edit_of_a_stored_post_that_no_longer_matches_still_updates_it(db: Database, clock) -> None:
    organisation(db, clock=clock)
    pipeline = _pipeline(db, clock)
    pipeline.process(_items(post("1", "acme rocks")))
    summary, _ = pipeline.process(_items(post("1", "(deleted the brand name)")))
    assert summary.duplicate == 1
    with db.transaction() as tx:
        assert tx.session.scalar(select(Post.text)) == "(deleted the brand name)"


def test_invalid_posts_are_rejected_with_reason_and_counted(db: Database, clock) -> None:
    organisation(db, clock=clock)
    summary, _ = _pipeline(db, clock).process(
        _items(
            post("1", "acme ok"),
            {"network": "myspace", "id": "2", "text": "acme", "created_at": "2026-11-27T08:00:00Z"},
            {"network": "x", "id": "3", "text": 42, "created_at": "2026-11-27T08:00:00Z"},
            {"network": "x", "text": "acme"},
        )
    )
    assert (summary.accepted, summary.rejected, summary.new) == (1, 3, 1)
    reasons = {r.where: r.reason for r in summary.rejections}
    assert "unknown network 'myspace'" in reasons["line 2"]
    assert "'text' must be a string" in reasons["line 3"]
    assert "missing required keys: id, created_at" in reasons["line 4"]
    with db.transaction() as tx:
        counters = {
            (c.network, c.outcome): c.count for c in tx.session.scalars(select(IngestCounter))
        }
    assert counters[("unknown", "rejected")] == 1
    assert counters[("x", "rejected")] == 2
    assert counters[("mastodon", "matched")] == 1


def test_keep_unmatched_stores_every_post(db: Database, clock) -> None:
    organisation(db, clock=clock)
    summary, _ = _pipeline(db, clock, keep_unmatched=True).process(
        _items(post("1", "nothing"), post("2", "acme"))
    )
    assert summary.new == 2 and summary.mentions == 1
    assert _count(db, Post) == 2


def test_rollups_count_mentions_per_hour_and_dimension(db: Database, clock) -> None:
    organisation(db, clock=clock)
    pipeline = _pipeline(db, clock)
    pipeline.process(_items(*(post(str(i), f"acme post {i}", minutes_ago=i) for i in range(5))))
    pipeline.process(_items(post("9", "acme again", minutes_ago=1)))
    with db.transaction() as tx:
        total = tx.session.scalar(select(func.sum(MentionRollup.count)))
    assert total == _count(db, Mention) == 6


def test_disabled_topic_stops_matching_new_posts(db: Database, clock) -> None:
    topics = organisation(db, clock=clock)
    pipeline = _pipeline(db, clock)
    set_topic_enabled(db, name_or_id="Refunds", enabled=False, clock=clock)
    clock.advance(1)
    pipeline.process(_items(post("1", "acme never sent my refund")))
    with db.transaction() as tx:
        topic_ids = set(tx.session.scalars(select(Mention.topic_id)))
    assert topics["Refunds"] not in topic_ids and topics["Acme"] in topic_ids
