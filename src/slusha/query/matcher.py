"""Which of N topics does a post match? One index over every topic, checked once per post.

Per post: normalise and tokenise once (``PostView``); look the post's token and field keys up
in one dict of required keys -> topics; find wildcard prefixes with one Aho-Corasick pass
over the token stream; verify only the candidate topics; check the few topics that have no
required key (``followers:>1000`` alone) on every post.

Adding and removing topics never rebuilds the whole index: the key dict changes in place,
new wildcard keys wait in a small delta set (searched with ``in``), and the automaton is
rebuilt only when the delta or the count of removed keys grows past a threshold, on the
next ``match`` call, so ``add`` itself stays O(size of the query).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import ahocorasick

from slusha.query.compiler import CompiledQuery, Predicate, compile_query
from slusha.query.fields import read_post
from slusha.query.postview import PostView

# New wildcard keys are searched one by one until this many wait; then the automaton is
# rebuilt (tens of milliseconds at 100k topics), amortised over at least this many adds.
DELTA_LIMIT = 64


class _Entry:
    __slots__ = ("check", "keys", "pair", "topic", "wildcards")

    def __init__(self, topic: str, query: CompiledQuery) -> None:
        self.topic = topic
        # What the index holds: the predicate is None when a hit on a key decides the topic.
        self.pair: tuple[str, Predicate | None] = (
            topic,
            None if query.is_exact else query.predicate,
        )
        self.check: tuple[str, Predicate] = (topic, query.predicate)
        self.keys = query.required.keys if query.required is not None else frozenset()
        self.wildcards = query.wildcards


class Matcher:
    """Topics' queries compiled into one index; ``match`` returns the ids a post matches."""

    def __init__(self, topics: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._entries: dict[str, _Entry] = {}
        self._queries: dict[str, CompiledQuery] = {}
        # Required key -> (topic, predicate or None when the key alone decides it). Buckets
        # are tuples: one compact block per key, cheaper to reach than lists on the hot path.
        self._index: dict[str, tuple[tuple[str, Predicate | None], ...]] = {}
        self._always: list[tuple[str, Predicate]] = []
        self._wild_refs: dict[str, int] = {}
        self._automaton: Any = None
        self._in_automaton: frozenset[str] = frozenset()
        self._delta: set[str] = set()
        self._stale = 0
        self._site_refs = 0
        self._author_refs = 0
        # Later duplicates of an id win, as with add(); buckets are gathered in lists and
        # frozen once, so building is linear even when thousands of topics share a key.
        bulk: dict[str, list[tuple[str, Predicate | None]]] = {}
        for topic, query in dict(topics).items():
            self._insert(topic, compile_query(query), bulk=bulk)
        self._index = {key: tuple(pairs) for key, pairs in bulk.items()}
        self._rebuild()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, topic: object) -> bool:
        return topic in self._entries

    @property
    def topics(self) -> list[str]:
        """The topic ids, in the order they were added."""
        return list(self._entries)

    def query(self, topic: str) -> CompiledQuery:
        """The compiled query of a topic (``KeyError`` if there is no such topic)."""
        return self._queries[topic]

    def add(self, topic: str, query: str | CompiledQuery) -> None:
        """Add a topic, or replace its query; raises ``QuerySyntaxError`` and changes nothing."""
        compiled = query if isinstance(query, CompiledQuery) else compile_query(query)
        if topic in self._entries:
            self.remove(topic)
        self._insert(topic, compiled)

    def remove(self, topic: str) -> None:
        """Remove a topic; removing an unknown topic is a no-op."""
        entry = self._entries.pop(topic, None)
        if entry is None:
            return
        query = self._queries.pop(topic)
        self._site_refs -= query.uses_site
        self._author_refs -= query.uses_author
        if not entry.keys:
            self._always.remove(entry.check)
        for key in entry.keys:
            bucket = tuple(p for p in self._index[key] if p is not entry.pair)
            if bucket:
                self._index[key] = bucket
            else:
                del self._index[key]
        for key in entry.wildcards:
            self._wild_refs[key] -= 1
            if self._wild_refs[key] == 0:
                del self._wild_refs[key]
                if key in self._delta:
                    self._delta.discard(key)
                else:
                    # Left in the automaton as a tombstone: a hit on it finds no topic.
                    self._stale += 1

    def _insert(
        self,
        topic: str,
        query: CompiledQuery,
        *,
        bulk: dict[str, list[tuple[str, Predicate | None]]] | None = None,
    ) -> None:
        entry = _Entry(topic, query)
        self._entries[topic] = entry
        self._queries[topic] = query
        self._site_refs += query.uses_site
        self._author_refs += query.uses_author
        if not entry.keys:
            self._always.append(entry.check)
        for key in entry.keys:
            if bulk is not None:
                bulk.setdefault(key, []).append(entry.pair)
            else:
                self._index[key] = (*self._index.get(key, ()), entry.pair)
        for key in entry.wildcards:
            refs = self._wild_refs.get(key, 0)
            self._wild_refs[key] = refs + 1
            if refs == 0 and key not in self._in_automaton:
                self._delta.add(key)

    def _rebuild(self) -> None:
        keys = frozenset(self._wild_refs)
        automaton = None
        if keys:
            automaton = ahocorasick.Automaton()
            for key in keys:
                automaton.add_word(key, key)
            automaton.make_automaton()
        self._automaton = automaton
        self._in_automaton = keys
        self._delta = set()
        self._stale = 0

    def _view(self, post: Any) -> PostView:
        if len(self._delta) > DELTA_LIMIT or self._stale > max(DELTA_LIMIT, len(self._wild_refs)):
            self._rebuild()
        view = PostView(
            read_post(post), with_site=self._site_refs > 0, with_author=self._author_refs > 0
        )
        if view.tokens and (self._automaton is not None or self._delta):
            joined = view.joined
            if self._automaton is not None:
                view.wild = {key for _, key in self._automaton.iter(joined)}
            if self._delta:
                view.wild.update(key for key in self._delta if key in joined)
        return view

    def match(self, post: Any) -> set[str]:
        """The ids of the topics the post (dict, ``Post`` or store row) matches."""
        return self._match_view(self._view(post))

    def _match_view(self, view: PostView) -> set[str]:
        index = self._index
        matched: set[str] = set()
        # dict.keys() & set iterates over the post's few keys, not over the index.
        hits = index.keys() & view.keys
        if view.wild:
            hits.update(index.keys() & view.wild)
        for key in hits:
            for topic, check in index[key]:
                # A topic hit through several keys is verified again only if it failed.
                if check is None or (topic not in matched and check(view)):
                    matched.add(topic)
        for topic, always in self._always:
            if always(view):
                matched.add(topic)
        return matched

    def match_many(self, posts: Iterable[Any]) -> list[set[str]]:
        """``match`` for each post, in order."""
        return [self.match(post) for post in posts]

    def candidates(self, post: Any) -> int:
        """How many topics would be verified for the post (a benchmark figure)."""
        view = self._view(post)
        hits = (self._index.keys() & view.keys) | (self._index.keys() & view.wild)
        found = {pair for key in hits for pair in self._index[key] if pair[1] is not None}
        return len(found) + len(self._always)
