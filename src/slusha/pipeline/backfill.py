"""Backfill: when a topic is created, sources that can search fetch its recent history."""

from __future__ import annotations

from typing import Any

from slusha.plugins.host import PluginHost
from slusha.query import QuerySyntaxError, search_terms
from slusha.services.sources import BackfillReport, Sink, backfill_topic
from slusha.services.topics import EVENT_TOPIC_CREATED
from slusha.store.db import Database


async def backfill_for_event(
    event: dict[str, Any],
    *,
    db: Database,
    host: PluginHost,
    sink: Sink,
) -> BackfillReport | None:
    """Run the backfill a ``topic.created`` event asks for; other events are ignored."""
    if event.get("kind") != EVENT_TOPIC_CREATED:
        return None
    query = (event.get("payload") or {}).get("query")
    if not isinstance(query, str):
        return None
    try:
        terms = search_terms(query)
    except QuerySyntaxError:
        return None  # validated at creation; a later syntax change must not stop the listener
    return await backfill_topic(db, host=host, terms=terms, sink=sink)
