"""The live topic index: the compiled matcher plus topic -> team routing, kept in step.

Routing rules (``domain/routing.py``) are loaded with the topics and their queries compiled
into a second matcher, so one look at a post tells which rules apply to it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from slusha.domain.routing import RoutingRule, TopicRef, decide
from slusha.query import Matcher, QuerySyntaxError
from slusha.services.routing import to_domain as rule_to_domain
from slusha.store import routing as store_routing
from slusha.store import topics as store_topics
from slusha.store.db import Database
from slusha.store.posts import Routed

log = logging.getLogger("slusha.pipeline.routing")

REFRESH_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """What routing needs to know about a topic."""

    id: int
    name: str
    query: str
    team_id: int
    kind: str = "brand"


class TopicIndex:
    """Compiled queries of every enabled topic; changes are applied incrementally."""

    def __init__(self, db: Database, *, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.db = db
        self.refresh_seconds = refresh_seconds
        self.matcher = Matcher({})
        self.topics: dict[int, TopicInfo] = {}
        self.rules: list[RoutingRule] = []
        self.rule_matcher = Matcher({})
        self._version: tuple[Any, ...] | None = None
        self._checked_at = 0.0

    def refresh(self, *, force: bool = False) -> bool:
        """Reload topics when they changed (checked at most every few seconds); True if changed."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.refresh_seconds:
            return False
        self._checked_at = now
        with self.db.read() as tx:
            version = (
                *store_topics.topics_version(tx.session),
                *store_routing.rules_version(tx.session),
            )
            if version == self._version and not force:
                return False
            rows = store_topics.list_topics(tx.session, enabled_only=True)
            rules = [
                rule_to_domain(r) for r in store_routing.list_rules(tx.session, enabled_only=True)
            ]
        self._load_rules(rules)
        wanted = {
            topic.id: TopicInfo(topic.id, topic.name, topic.query, topic.team_id, topic.kind)
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
        found = self.matcher.match(post)
        return sorted(map(int, found)) if found else []

    def _load_rules(self, rules: list[RoutingRule]) -> None:
        # A handful of rules: rebuilding their matcher on any change is cheaper than diffing.
        matcher = Matcher({})
        kept = []
        for rule in rules:
            try:
                matcher.add(str(rule.id), rule.query)
            except QuerySyntaxError as exc:
                log.error("routing rule %r has a query that no longer compiles: %s", rule.name, exc)
                continue
            kept.append(rule)
        self.rules = kept
        self.rule_matcher = matcher

    def route(self, topic_ids: list[int], post: Any = None) -> list[Routed]:
        """Where the post's mentions go: each topic's team, refined by the routing rules."""
        if post is None or not self.rules:
            return [Routed(topic_id=t, team_id=self.topics[t].team_id) for t in topic_ids]
        matched = {int(r) for r in self.rule_matcher.match(post)}
        refs = [TopicRef(t, self.topics[t].team_id, self.topics[t].kind) for t in topic_ids]
        return [
            Routed(
                topic_id=d.topic_id,
                team_id=d.team_id,
                priority=d.priority,
                status=d.status,
                tags=d.tags,
            )
            for d in decide(refs, self.rules, matched)
        ]
