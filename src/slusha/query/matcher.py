"""Which of N topics does a post match? One index over every topic, checked once per post.

Each topic is split into branches (``slusha.query.plan``), each indexed under the keys of
its cheapest necessary clause. Per post: normalise and tokenise once (``PostView``); find
wildcard prefixes with one Aho-Corasick pass over the token stream and add them to the
post's key set; intersect that set with the index's keys (one C-level operation). A hit
then decides *exact* branches outright (``a OR #a``), *guarded* ones with a set test of
their exclusions (``a NOT (jobs OR promo*)``, all passed at once when the post holds no
excluded key at all), and the rest with set tests of their other necessary keys first and
a predicate call only when those pass. The few topics with no necessary key
(``followers:>1000`` alone) are checked on every post.

Before any of that, a post must get past a prefilter: one Aho-Corasick pass over its folded
text for the index's text keys (a wildcard key by its first word). A key the post holds is a
substring of that text, so a post with none of them can match no branch, and is answered
without being tokenised: most posts of a stream mention no topic at all. Field keys in the
index (``author:``, ``site:``, a query of ``lang:`` alone) are checked against the post's
own, and topics with no necessary key turn the prefilter off.

Adding and removing topics never rebuilds the whole index: the key dict changes in place,
new wildcard keys wait in a small delta set (searched with ``in``), and the automaton is
rebuilt only when the delta or the count of removed keys grows past a threshold, on the
next ``match`` call, so ``add`` itself stays O(size of the query).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from typing import Any

import ahocorasick

from slusha.query.compiler import CompiledQuery, Predicate, compile_query
from slusha.query.fields import PostFields, read_post
from slusha.query.normalise import fold
from slusha.query.plan import ANY_KEY, plan
from slusha.query.postview import PostView, add_field_keys, full_text

# The prefilter is used while fewer than this share of the last window's posts got past it;
# otherwise only every PREFILTER_SAMPLE-th post goes through it, to notice a change.
PREFILTER_PASS_SHARE = 0.5
PREFILTER_WINDOW = 1000
PREFILTER_SAMPLE = 16
# New wildcard keys are searched one by one until this many wait; then the automaton is
# rebuilt (tens of milliseconds at 100k topics), amortised over at least this many adds.
DELTA_LIMIT = 64


class _Entry:
    __slots__ = ("always", "branches", "topic", "wildcards")

    def __init__(
        self, topic: str, query: CompiledQuery, sets: dict[frozenset[str], frozenset[str]]
    ) -> None:
        self.topic = topic
        branches = plan(query.tree, sets).branches
        self.branches = branches or ()
        # Checked on every post when some branch has no necessary key (followers:>1000).
        self.always: tuple[str, Predicate] | None = (
            (topic, query.predicate) if branches is None else None
        )
        self.wildcards = query.wildcards


class Matcher:
    """Topics' queries compiled into one index; ``match`` returns the ids a post matches."""

    def __init__(self, topics: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._entries: dict[str, _Entry] = {}
        self._queries: dict[str, CompiledQuery] = {}
        # Index key -> what a hit on it means: (topics the hit decides, topics it decides
        # unless the post holds one of their excluded keys, topics it makes candidates for
        # a predicate). One dict, so each of a post's keys costs one probe; buckets are
        # tuples, compact and cheap to reach.
        self._index: dict[str, _Bucket] = {}
        # The same keys as a set: ``set & set`` probes about twice as fast as ``dict.keys() &``.
        self._keyset: set[str] = set()
        # Small key sets shared between topics (see slusha.query.plan.plan).
        self._sets: dict[frozenset[str], frozenset[str]] = {}
        # Every excluded key, counted: a post holding none passes every guard at once.
        self._excluded: dict[str, int] = {}
        self._always: list[tuple[str, Predicate]] = []
        self._wild_refs: dict[str, int] = {}
        self._automaton: Any = None
        self._in_automaton: frozenset[str] = frozenset()
        self._delta: set[str] = set()
        self._stale = 0
        self._site_refs = 0
        self._author_refs = 0
        # The prefilter's strings (index keys' text stems), counted per branch key, kept in
        # an automaton like the wildcard keys; index keys it cannot take are counted apart.
        self._stem_refs: dict[str, int] = {}
        self._stems: Any = None
        self._stems_in: frozenset[str] = frozenset()
        self._stems_delta: set[str] = set()
        self._stems_stale = 0
        self._field_keys = 0  # index keys that are field keys (author:, site:, ...)
        self._unfilterable = 0  # index keys with no text stem: no prefilter
        self._filtering = True
        self._seen = self._tried = self._passed = 0
        # Later duplicates of an id win, as with add(); buckets are gathered in lists and
        # frozen once, so building is linear even when thousands of topics share a key.
        bulk: dict[str, tuple[list[str], list[_Guarded], list[_Checked]]] = {}
        # Building allocates millions of objects and frees none: the cyclic collector's
        # passes over the growing heap would take about half the time, to find nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for topic, query in dict(topics).items():
                self._insert(topic, compile_query(query), bulk=bulk)
            self._index = {
                key: (tuple(exact), tuple(guarded), tuple(checked))
                for key, (exact, guarded, checked) in bulk.items()
            }
            self._keyset = set(self._index)
        finally:
            if collecting:
                gc.enable()
        self._rebuild()
        self._rebuild_stems()

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
        if entry.always is not None:
            self._always.remove(entry.always)
        for branch in entry.branches:
            for key in branch.keys:
                self._count_stem(key, -1)
                bucket = self._index.get(key)
                if bucket is None:
                    continue  # emptied by an earlier branch of the same topic
                exact, guarded, checked = bucket
                bucket = (
                    tuple(t for t in exact if t != topic),
                    tuple(g for g in guarded if g[0] != topic),
                    tuple(c for c in checked if c[0] != topic),
                )
                if any(bucket):
                    self._index[key] = bucket
                else:
                    del self._index[key]
                    self._keyset.discard(key)
            if branch.is_guarded:
                for key in branch.exclude:
                    self._excluded[key] -= 1
                    if not self._excluded[key]:
                        del self._excluded[key]
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
        bulk: dict[str, tuple[list[str], list[_Guarded], list[_Checked]]] | None = None,
    ) -> None:
        if len(self._sets) > 1000 + 2 * len(self._entries):
            # Sets of removed topics pile up under churn; sets in use stay where they are.
            self._sets = {}
        entry = _Entry(topic, query, self._sets)
        self._entries[topic] = entry
        self._queries[topic] = query
        self._site_refs += query.uses_site
        self._author_refs += query.uses_author
        if entry.always is not None:
            self._always.append(entry.always)
        for branch in entry.branches:
            # 0: decided by the hit, 1: guarded by exclusions, 2: checked.
            part = 0 if branch.is_exact else 1 if branch.is_guarded else 2
            item: Any = (
                topic
                if part == 0
                else (topic, branch.exclude)
                if part == 1
                else (topic, branch.every, branch.some, branch.exclude, branch.check)
            )
            for key in branch.keys:
                self._count_stem(key, +1)
                if bulk is not None:
                    bulk.setdefault(key, ([], [], []))[part].append(item)
                else:
                    old: list[Any] = list(self._index.get(key, ((), (), ())))
                    old[part] = (*old[part], item)
                    self._index[key] = (old[0], old[1], old[2])
                    self._keyset.add(key)
            if part == 1:
                for key in branch.exclude:
                    self._excluded[key] = self._excluded.get(key, 0) + 1
        for key in entry.wildcards:
            refs = self._wild_refs.get(key, 0)
            self._wild_refs[key] = refs + 1
            if refs == 0 and key not in self._in_automaton:
                self._delta.add(key)

    def _count_stem(self, key: str, step: int) -> None:
        if key == ANY_KEY:  # every post holds it (never an index key today; stay safe)
            self._unfilterable += step
            return
        if key.startswith("\x00"):
            self._field_keys += step
            return
        # A wildcard key (" acme sup", " #acm") is found in the joined tokens; its first word
        # is then a substring of the folded text. Other keys are tokens of that text.
        stem = key[1:].split(" ", 1)[0] if key.startswith(" ") else key
        if not stem:
            self._unfilterable += step
            return
        refs = self._stem_refs.get(stem, 0) + step
        if refs > 0:
            self._stem_refs[stem] = refs
            if refs == step and stem not in self._stems_in:  # new (step is +1 here)
                self._stems_delta.add(stem)
            return
        del self._stem_refs[stem]
        if stem in self._stems_delta:
            self._stems_delta.discard(stem)
        else:
            self._stems_stale += 1  # a tombstone in the automaton: a hit costs a full check

    def _rebuild_stems(self) -> None:
        stems = frozenset(self._stem_refs)
        self._stems = _automaton_of(stems)
        self._stems_in = stems
        self._stems_delta = set()
        self._stems_stale = 0

    def _may_match(self, folded: str, fields: PostFields) -> bool:
        """False only when the post can match no topic (the prefilter)."""
        if len(self._stems_delta) > DELTA_LIMIT or self._stems_stale > max(
            DELTA_LIMIT, len(self._stem_refs)
        ):
            self._rebuild_stems()
        stems = self._stems
        if stems is not None:
            for _hit in stems.iter(folded):
                return True
        if self._stems_delta and any(stem in folded for stem in self._stems_delta):
            return True
        if self._field_keys:
            keys: set[str] = set()
            add_field_keys(keys, fields, with_site=self._site_refs > 0,
                           with_author=self._author_refs > 0)  # fmt: skip
            return not self._keyset.isdisjoint(keys)
        return False

    def _rebuild(self) -> None:
        keys = frozenset(self._wild_refs)
        self._automaton = _automaton_of(keys)
        self._in_automaton = keys
        self._delta = set()
        self._stale = 0

    def _view(self, post: Any) -> PostView:
        return self._view_of(read_post(post))

    def _view_of(self, fields: PostFields, folded: str | None = None) -> PostView:
        if len(self._delta) > DELTA_LIMIT or self._stale > max(DELTA_LIMIT, len(self._wild_refs)):
            self._rebuild()
        view = PostView(
            fields,
            with_site=self._site_refs > 0,
            with_author=self._author_refs > 0,
            folded=folded,
        )
        keys = view.keys
        keys.add(ANY_KEY)
        if self._wild_refs and view.tokens:
            joined = view.joined
            automaton = self._automaton
            found = [key for _, key in automaton.iter(joined)] if automaton is not None else []
            if self._delta:
                found.extend(key for key in self._delta if key in joined)
            if found:
                view.wild.update(found)
                # Wildcard keys start with a space, so they cannot clash with token or field
                # keys: one set then answers every set test (see slusha.query.plan).
                keys.update(found)
        return view

    @property
    def prefiltering(self) -> bool:
        """Whether ``match`` runs the prefilter on every post (it does while that pays)."""
        return self._filtering and not (self._always or self._unfilterable)

    def may_match(self, post: Any) -> bool:
        """False only when the post can match no topic: the prefilter ``match`` starts with."""
        fields = read_post(post)
        if self._always or self._unfilterable:
            return True
        text = full_text(fields)
        return self._may_match(text.lower() if text.isascii() else fold(text), fields)

    def match(self, post: Any) -> set[str]:
        """The ids of the topics the post (dict, ``Post`` or store row) matches."""
        fields = read_post(post)
        if self._always or self._unfilterable:
            return self._match_view(self._view_of(fields))
        self._seen += 1
        if not self._filtering and self._seen % PREFILTER_SAMPLE:
            return self._match_view(self._view_of(fields))
        text = full_text(fields)
        folded = text.lower() if text.isascii() else fold(text)
        passed = self._may_match(folded, fields)
        self._tried += 1
        self._passed += passed
        if self._tried >= PREFILTER_WINDOW:
            # Worth it only while it turns most posts away: with thousands of topics on
            # common words nearly every post holds a key, and the pass is pure cost.
            self._filtering = self._passed < PREFILTER_PASS_SHARE * self._tried
            self._tried = self._passed = 0
        if not passed:
            return set()
        return self._match_view(self._view_of(fields, folded))

    def _match_view(self, view: PostView) -> set[str]:
        keys = view.keys
        index = self._index
        matched: set[str] = set()
        pending = []
        clean: bool | None = None
        # set & set iterates over the smaller side: the post's few keys.
        for key in self._keyset & keys:
            exact, guarded, checked = index[key]
            if exact:
                matched.update(exact)
            if guarded:
                if clean is None:
                    # Usually the post holds no excluded key and every guard passes.
                    clean = self._excluded.keys().isdisjoint(keys)
                if clean:
                    matched.update([topic for topic, _ in guarded])
                else:
                    matched.update([t for t, exclude in guarded if exclude.isdisjoint(keys)])
            if checked:
                pending.append(checked)
        for checked in pending:
            for topic, every, some, exclude, check in checked:
                # Sets first, cheapest first; a topic already matched is not checked again.
                if (
                    every <= keys
                    and not some.isdisjoint(keys)
                    and exclude.isdisjoint(keys)
                    and topic not in matched
                    and (check is None or check(view))
                ):
                    matched.add(topic)
        for topic, always in self._always:
            if always(view):
                matched.add(topic)
        return matched

    def match_many(self, posts: Iterable[Any]) -> list[set[str]]:
        """``match`` for each post, in order."""
        return [self.match(post) for post in posts]

    def candidates(self, post: Any) -> int:
        """How many topics would be verified for the post (a benchmark figure).

        Guarded topics count: each costs a set test, though no predicate call.
        """
        keys = self._view(post).keys
        found = {
            topic
            for key in self._index.keys() & keys
            for part in self._index[key][1:]
            for topic, *_ in part
        }
        return len(found) + len(self._always)


def _automaton_of(words: frozenset[str]) -> Any:
    """An Aho-Corasick automaton finding any of ``words`` (each reported as itself)."""
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


_Guarded = tuple[str, frozenset[str]]
_Checked = tuple[str, frozenset[str], frozenset[str], frozenset[str], Predicate | None]
_Bucket = tuple[tuple[str, ...], tuple[_Guarded, ...], tuple[_Checked, ...]]
