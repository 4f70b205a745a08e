"""How the installation is doing: what the status page, ``/readyz`` and ``slusha status`` show."""

from __future__ import annotations

from dataclasses import dataclass

from slusha.errors import TransientError
from slusha.store import events as store_events
from slusha.store import sources as store_sources
from slusha.store.db import Database
from slusha.store.dead_letters import count_dead_letters


@dataclass(frozen=True)
class StoreStatus:
    """Backlogs and failures that the database knows of."""

    events_unpublished: int
    dead_letters: int
    sources_failing: int


def store_status(db: Database) -> StoreStatus:
    """Counts for the status page; raises ``TransientError`` when the database is away."""
    with db.read() as tx:
        return StoreStatus(
            events_unpublished=store_events.count_unpublished(tx.session),
            dead_letters=count_dead_letters(tx.session),
            sources_failing=store_sources.count_failing_sources(tx.session),
        )


def database_ready(db: Database) -> str | None:
    """None when the database answers; otherwise why not, in words."""
    try:
        db.check()
    except TransientError as exc:
        return str(exc)
    return None
