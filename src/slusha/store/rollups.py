"""Counters kept at write time: mention rollups per hour and ingest outcomes per day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from slusha.store.schema import IngestCounter, MentionRollup
from slusha.store.upsert import insert_for

if TYPE_CHECKING:
    from slusha.store.posts import NewMention, PostRecord


def add_ingest_counts(session: Session, *, day: str, counts: Counter[tuple[str, str]]) -> None:
    """Add to the per-day counters of (network, outcome)."""
    if not counts:
        return
    table = IngestCounter.__table__
    stmt = insert_for(session, table)  # type: ignore[arg-type]
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "network", "outcome"],
        set_={"count": table.c.count + stmt.excluded.count},
    )
    rows = [
        {"day": day, "network": network, "outcome": outcome, "count": n}
        for (network, outcome), n in sorted(counts.items())
    ]
    session.execute(stmt, rows)


def add_rollups(
    session: Session,
    *,
    mentions: Sequence[NewMention],
    records: Sequence[PostRecord],
    ids: dict[tuple[str, str], int],
) -> None:
    """Count new mentions per hour, topic, team, network, language and sentiment."""
    if not mentions:
        return
    posted = {
        ids[(r.post.network, r.post.id)]: r.post.created_at
        for r in records
        if (r.post.network, r.post.id) in ids
    }
    counts: Counter[tuple[object, ...]] = Counter()
    for mention in mentions:
        hour = posted[mention.post_id].replace(minute=0, second=0, microsecond=0)
        counts[
            (
                hour,
                mention.topic_id,
                mention.team_id,
                mention.network,
                mention.lang or "",
                mention.sentiment or "",
            )
        ] += 1
    table = MentionRollup.__table__
    stmt = insert_for(session, table)  # type: ignore[arg-type]
    stmt = stmt.on_conflict_do_update(
        index_elements=["hour", "topic_id", "team_id", "network", "lang", "sentiment"],
        set_={"count": table.c.count + stmt.excluded.count},
    )
    rows = [
        {
            "hour": hour,
            "topic_id": topic_id,
            "team_id": team_id,
            "network": network,
            "lang": lang,
            "sentiment": sentiment,
            "count": n,
        }
        for (hour, topic_id, team_id, network, lang, sentiment), n in counts.items()
    ]
    # Sorted so that concurrent workers lock rollup rows in the same order (no deadlocks).
    rows.sort(
        key=lambda r: (
            str(r["hour"]),
            r["topic_id"],
            r["team_id"],
            r["network"],
            r["lang"],
            r["sentiment"],
        )
    )
    session.execute(stmt, rows)
