"""Test data built through the services, as production builds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from slusha.clock import Clock
from slusha.services.teams import create_team
from slusha.services.topics import create_topic
from slusha.store.db import Database


def post(
    post_id: str, text: str, *, network: str = "mastodon", minutes_ago: int = 0, **extra: Any
) -> dict[str, Any]:
    """A post-format dict."""
    when = datetime(2026, 11, 27, 8, 0, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    return {
        "network": network,
        "id": post_id,
        "text": text,
        "created_at": when.isoformat(),
        **extra,
    }


def organisation(db: Database, *, clock: Clock) -> dict[str, int]:
    """Two teams and three topics; returns topic ids by name."""
    create_team(db, name="Customer care", clock=clock)
    create_team(db, name="HR", clock=clock)
    topics = {
        "Acme": create_topic(
            db, name="Acme", team="Customer care", query="acme NOT job*", clock=clock
        ),
        "Acme jobs": create_topic(
            db, name="Acme jobs", team="HR", query="acme job*", kind="other", clock=clock
        ),
        "Refunds": create_topic(
            db, name="Refunds", team="Customer care", query="refund NEAR/3 acme", clock=clock
        ),
    }
    return {name: topic.id for name, topic in topics.items()}
