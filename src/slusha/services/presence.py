"""Collision detection: who else is looking at or replying to a mention right now.

A page (or the API) calls ``touch`` every few seconds while a member has a mention open;
entries expire after ``ttl_seconds`` without a touch. Two stores: in memory (one process) and
in the database (several web processes). Whenever the set of people on a mention changes, an
``inbox.presence`` event goes to the outbox, so every open page learns it live.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from slusha.clock import Clock
from slusha.errors import InputError
from slusha.services.access import Principal
from slusha.services.inbox_access import require_inbox, require_visible
from slusha.store import events as store_events
from slusha.store import inbox as store_inbox
from slusha.store import presence as store_presence
from slusha.store.db import Database
from slusha.store.schema import PRESENCE_ACTIVITIES

EVENT_PRESENCE = "inbox.presence"
TTL_SECONDS = 30.0
CHECKIN_SECONDS = 10.0  # how often an open page says "I am still here"


@dataclass(frozen=True, slots=True)
class Presence:
    """One member on one mention."""

    user_id: int
    username: str
    activity: str  # viewing | replying


class PresenceStore(Protocol):
    """Where presence lives; entries expire on their own."""

    def touch(
        self, *, mention_id: int, user_id: int, username: str, activity: str, expires_at: datetime
    ) -> None:
        """Record or refresh a member's presence."""
        ...

    def leave(self, *, mention_id: int, user_id: int) -> None:
        """The member closed the mention."""
        ...

    def present(self, *, mention_id: int, now: datetime) -> list[Presence]:
        """Members present now, by username."""
        ...


class MemoryPresence:
    """Presence in this process (the all-in-one server)."""

    def __init__(self) -> None:
        self._entries: dict[int, dict[int, tuple[str, str, datetime]]] = {}
        self._lock = threading.Lock()

    def touch(
        self, *, mention_id: int, user_id: int, username: str, activity: str, expires_at: datetime
    ) -> None:
        """Record or refresh a member's presence."""
        with self._lock:
            self._entries.setdefault(mention_id, {})[user_id] = (username, activity, expires_at)

    def leave(self, *, mention_id: int, user_id: int) -> None:
        """The member closed the mention."""
        with self._lock:
            self._entries.get(mention_id, {}).pop(user_id, None)

    def present(self, *, mention_id: int, now: datetime) -> list[Presence]:
        """Members present now (expired entries are dropped on the way)."""
        with self._lock:
            entries = self._entries.get(mention_id, {})
            for user_id in [u for u, (_n, _a, until) in entries.items() if until <= now]:
                del entries[user_id]
            found = [Presence(u, n, a) for u, (n, a, _until) in entries.items()]
        return sorted(found, key=lambda p: p.username)


class DatabasePresence:
    """Presence in the database, shared by every web process."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def touch(
        self, *, mention_id: int, user_id: int, username: str, activity: str, expires_at: datetime
    ) -> None:
        """Record or refresh a member's presence."""
        with self.db.transaction() as tx:
            store_presence.upsert(
                tx.session,
                mention_id=mention_id,
                user_id=user_id,
                activity=activity,
                expires_at=expires_at,
            )

    def leave(self, *, mention_id: int, user_id: int) -> None:
        """The member closed the mention."""
        with self.db.transaction() as tx:
            store_presence.remove(tx.session, mention_id=mention_id, user_id=user_id)

    def present(self, *, mention_id: int, now: datetime) -> list[Presence]:
        """Members present now."""
        with self.db.read() as tx:
            rows = store_presence.active(tx.session, mention_id=mention_id, now=now)
        return [Presence(u, n, a) for u, n, a in rows]


def _check(db: Database, principal: Principal, mention_id: int) -> int:
    with db.read() as tx:
        row = store_inbox.get_row(tx.session, mention_id=mention_id)
        if row is None:
            from slusha.errors import NotFound

            raise NotFound(f"no mention {mention_id}")
        mention, _post, topic, _team = row
        require_visible(
            principal, mention_id=mention_id, team_id=mention.team_id, private=topic.is_private
        )
        require_inbox(principal, "inbox.read", mention.team_id)
        return mention.team_id


def _publish(
    db: Database, *, mention_id: int, team_id: int, people: list[Presence], now: datetime
) -> None:
    payload = {
        "mention_id": mention_id,
        "team_id": team_id,
        "present": [
            {"user_id": p.user_id, "username": p.username, "activity": p.activity} for p in people
        ],
    }
    with db.transaction() as tx:
        store_events.add_events(tx.session, events=[(EVENT_PRESENCE, payload)], now=now)


def touch(
    db: Database,
    store: PresenceStore,
    *,
    principal: Principal,
    mention_id: int,
    clock: Clock,
    activity: str = "viewing",
    ttl_seconds: float = TTL_SECONDS,
) -> list[Presence]:
    """Say "I am here"; returns the *other* members on this mention."""
    if activity not in PRESENCE_ACTIVITIES:
        raise InputError(f"activity must be one of {', '.join(PRESENCE_ACTIVITIES)}")
    team_id = _check(db, principal, mention_id)
    now = clock.now()
    before = store.present(mention_id=mention_id, now=now)
    store.touch(
        mention_id=mention_id,
        user_id=principal.user_id,
        username=principal.username,
        activity=activity,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    after = store.present(mention_id=mention_id, now=now)
    if _signature(before) != _signature(after):
        _publish(db, mention_id=mention_id, team_id=team_id, people=after, now=now)
    return [p for p in after if p.user_id != principal.user_id]


def leave(
    db: Database, store: PresenceStore, *, principal: Principal, mention_id: int, clock: Clock
) -> None:
    """Say "I left"; the others learn it through an event."""
    team_id = _check(db, principal, mention_id)
    now = clock.now()
    before = store.present(mention_id=mention_id, now=now)
    store.leave(mention_id=mention_id, user_id=principal.user_id)
    after = store.present(mention_id=mention_id, now=now)
    if _signature(before) != _signature(after):
        _publish(db, mention_id=mention_id, team_id=team_id, people=after, now=now)


def present(
    db: Database, store: PresenceStore, *, principal: Principal, mention_id: int, clock: Clock
) -> list[Presence]:
    """The *other* members on this mention now, without touching (the live page stream)."""
    _check(db, principal, mention_id)
    people = store.present(mention_id=mention_id, now=clock.now())
    return [p for p in people if p.user_id != principal.user_id]


def _signature(people: list[Presence]) -> frozenset[tuple[int, str]]:
    return frozenset((p.user_id, p.activity) for p in people)
