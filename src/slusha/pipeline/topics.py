"""The live topic index: the compiled matcher plus topic -> team routing, kept in step."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from slusha.query import Matcher
from slusha.store import topics as store_topics
from slusha.store.db import Database
from slusha.store.posts import Routed

REFRESH_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """What routing needs to know about a topic."""

    id: int
    name: str
    query: str
    team_id: int


class TopicIndex:
    """Compiled queries of every enabled topic; changes are applied incrementally."""

    def __init__(self, db: Database, *, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.db = db
        self.refresh_seconds = refresh_seconds
        self.matcher = Matcher({})
        self.topics: dict[int, TopicInfo] = {}
        self._version: tuple[int, Any] | None = None
        self._checked_at = 0.0

    def refresh(self, *, force: bool = False) -> bool:
        """Reload topics when they changed (checked at most every few seconds); True if changed."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.refresh_seconds:
            return False
        self._checked_at = now
        with self.db.transaction() as tx:
            version = store_topics.topics_version(tx.session)
            if version == self._version and not force:
                return False
            rows = store_topics.list_topics(tx.session, enabled_only=True)
        wanted = {
            topic.id: TopicInfo(topic.id, topic.name, topic.query, topic.team_id)
            for topic, _team in rows
        }
        for topic_id, info in list(self.topics.items()):
            if topic_id not in wanted or wanted[topic_id].query != info.query:
                self.matcher.remove(str(topic_id))
                del self.topics[topic_id]
        for topic_id, info in wanted.items():
            if topic_id not in self.topics:
                self.matcher.add(str(topic_id), info.query)
            self.topics[topic_id] = info
        self._version = version
        return True

    def match(self, post: Any) -> list[int]:
        """Ids of the topics the post matches."""
        return sorted(int(t) for t in self.matcher.match(post))

    def route(self, topic_ids: list[int]) -> list[Routed]:
        """Each matched topic goes to its owning team (routing rules refine this later)."""
        return [Routed(topic_id=t, team_id=self.topics[t].team_id) for t in topic_ids]
