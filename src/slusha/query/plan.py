"""How the matcher indexes one topic: branches, their index keys and what is left to verify.

A topic's query is split into *branches* (the children of a top-level ``OR``, or the query
itself); the topic matches a post exactly when one of its branches does. Each branch is a
conjunction of clauses (the children of an ``AND``, or the branch itself), sorted into:

- set tests: a term, a field, a wildcard or an ``OR`` of those, true exactly when the post
  holds one of their keys;
- exclusions: ``NOT`` of a set test, true exactly when the post holds none of their keys;
- the rest (phrases, ``NEAR``, ``{Exact}`` case, ``followers:``), decided by a predicate.

The branch is indexed under the keys of its cheapest clause that has necessary keys. When
that clause is a set test, a hit on one of its keys proves it, so the matcher only checks
the other clauses. A branch whose only other clauses are exclusions is *guarded*: the
matcher decides it with set operations and no predicate call; a branch with none is
*exact*: the hit alone decides it. Everything else gets one predicate specialised to the
clauses left.

Predicates here read ``PostView.keys`` after the matcher has added the wildcard keys found
in the post to it (``" acme"`` cannot clash with a token or a field key), so a set test of
words and wildcards is one C-level set operation.
"""

from __future__ import annotations

from dataclasses import dataclass

from slusha.query.ast import And, Field, Near, Node, Not, Or, Phrase, Term
from slusha.query.compiler import (
    Predicate,
    Required,
    check_cost,
    field_key,
    predicate,
    required,
    term_keys,
)
from slusha.query.postview import PostView

# Every matcher view holds this key (see ``Matcher._view``): ``some = ANY`` is no condition.
ANY_KEY = "\x00"
ANY = frozenset((ANY_KEY,))
NOTHING: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Branch:
    """One way for a topic to match, once a post holds one of its index ``keys``.

    The matcher tests the sets itself, cheapest first, and calls ``check`` (if any) only
    when they pass: ``every`` must all be present, one of ``some`` must be (``ANY``: no
    condition), none of ``exclude`` may be. The sets are necessary conditions; ``check``
    with them decides the branch (``check`` None: the sets alone decide it).
    """

    keys: frozenset[str]
    every: frozenset[str] = NOTHING
    some: frozenset[str] = ANY
    exclude: frozenset[str] = NOTHING
    check: Predicate | None = None

    @property
    def is_exact(self) -> bool:
        """Whether a hit on an index key alone decides the branch."""
        return self.check is None and not self.every and self.some is ANY and not self.exclude

    @property
    def is_guarded(self) -> bool:
        """Whether only exclusions are left once an index key is hit."""
        return self.check is None and not self.every and self.some is ANY and bool(self.exclude)


@dataclass(frozen=True, slots=True)
class Plan:
    """The branches of a topic, or ``None`` when it must be checked on every post."""

    branches: tuple[Branch, ...] | None


def set_keys(node: Node) -> frozenset[str] | None:
    """Keys (wildcard keys included) such that the node holds iff the post has one of them."""
    if isinstance(node, Term):
        if node.exact_case:
            return None
        return frozenset(term_keys(node))
    if isinstance(node, Field):
        key = field_key(node)
        return None if key is None else frozenset((key,))
    if isinstance(node, Or):
        parts = [set_keys(c) for c in node.children]
        if any(p is None for p in parts):
            return None
        return frozenset().union(*(p for p in parts if p is not None))
    return None


def plan(tree: Node, sets: dict[frozenset[str], frozenset[str]] | None = None) -> Plan:
    """Split a query tree into indexable branches (see the module docstring).

    ``sets`` (kept by the caller across topics) makes equal small key sets one object:
    topics repeat the same language or exclusion list, and sharing keeps the index smaller
    and those sets warm in the cache.
    """
    share = _Sharer({} if sets is None else sets)
    if isinstance(tree, Or):
        exact: set[str] = set()
        branches: list[Branch] = []
        for child in tree.children:
            keys = set_keys(child)
            if keys is not None:
                exact.update(keys)
                continue
            branch = _branch(child, share)
            if branch is None:
                return Plan(None)
            branches.append(branch)
        if exact:
            branches.insert(0, Branch(frozenset(exact)))
        return Plan(tuple(branches))
    branch = _branch(tree, share)
    return Plan(None if branch is None else (branch,))


def _clauses(node: Node) -> list[Node]:
    if isinstance(node, And):
        return [c for child in node.children for c in _clauses(child)]
    return [node]


def _branch(node: Node, shared: _Sharer) -> Branch | None:
    tests: list[tuple[Node, frozenset[str]]] = []
    excluded: set[str] = set()
    rest: list[Node] = []
    for clause in _clauses(node):
        keys = set_keys(clause)
        if keys is not None:
            tests.append((clause, keys))
            continue
        negated = set_keys(clause.child) if isinstance(clause, Not) else None
        if negated is not None:
            excluded.update(negated)
            continue
        rest.append(clause)
    # The cheapest clause with necessary keys is the one indexed (for a set test, its
    # necessary keys are its keys).
    best: tuple[float, int, Required] | None = None
    for i, clause in enumerate([t for t, _ in tests] + rest):
        req = required(clause)
        if req is not None and (best is None or req.cost < best[0]):
            best = (req.cost, i, req)
    if best is None:
        return None
    _, chosen, req = best
    if chosen < len(tests):
        # A hit on one of the chosen test's keys proves that test.
        tests.pop(chosen)
    exclude = shared(frozenset(excluded))
    # Necessary conditions the matcher tests without a call: single keys of set tests and
    # of the other clauses, and one "one of these" set.
    every: set[str] = set()
    somes: list[frozenset[str]] = []
    for _, keys in tests:
        if len(keys) == 1:
            every.update(keys)
        else:
            somes.append(keys)
    for clause in rest:
        _necessary(clause, every, somes)
    every.difference_update(req.keys if len(req.keys) == 1 else ())
    some = min(somes, key=len) if somes else ANY
    # What the sets do not decide is left to one predicate.
    left_tests = [k for _, k in tests if len(k) > 1 and k is not some]
    check = conjunction(left_tests, NOTHING, rest) if left_tests or rest else None
    return Branch(req.keys, shared(frozenset(every)), shared(some), exclude, check)


def _necessary(node: Node, every: set[str], somes: list[frozenset[str]]) -> None:
    """Add keys a post matching the node must hold: all of ``every``, one of each of ``somes``."""
    if isinstance(node, Term):
        keys = term_keys(node)
        if node.prefix:
            somes.append(frozenset(keys))
        else:
            every.update(keys)
    elif isinstance(node, Field):
        key = field_key(node)
        if key is not None:
            every.add(key)
    elif isinstance(node, Phrase):
        for term in node.terms:
            _necessary(term, every, somes)
    elif isinstance(node, And):
        for child in node.children:
            _necessary(child, every, somes)
    elif isinstance(node, Near):
        _necessary(node.left, every, somes)
        _necessary(node.right, every, somes)
    elif isinstance(node, Or):
        req = required(node)
        if req is not None:
            if len(req.keys) == 1:
                every.update(req.keys)
            else:
                somes.append(req.keys)


class _Sharer:
    __slots__ = ("sets",)

    def __init__(self, sets: dict[frozenset[str], frozenset[str]]) -> None:
        self.sets = sets

    def __call__(self, keys: frozenset[str]) -> frozenset[str]:
        if len(keys) > 8:
            return keys
        return self.sets.setdefault(keys, keys)


def conjunction(
    tests: list[frozenset[str]], exclude: frozenset[str], rest: list[Node]
) -> Predicate:
    """One predicate for set tests, exclusions and other clauses that must all hold."""
    every = frozenset(k for t in tests if len(t) == 1 for k in t)
    some = tuple(t for t in tests if len(t) > 1)
    checks = tuple(predicate(c) for c in sorted(rest, key=check_cost))
    if not checks and not exclude:
        if not some:
            return lambda v: every <= v.keys
        if len(some) == 1:
            (one,) = some
            if not every:
                return lambda v: not one.isdisjoint(v.keys)
            return lambda v: not one.isdisjoint(v.keys) and every <= v.keys
    if not some and not exclude and len(checks) == 1:
        (only,) = checks
        if not every:
            return only
        return lambda v: every <= v.keys and only(v)

    def check(v: PostView) -> bool:
        keys = v.keys
        if not every <= keys:
            return False
        for any_of in some:
            if any_of.isdisjoint(keys):
                return False
        if not exclude.isdisjoint(keys):
            return False
        for each in checks:  # noqa: SIM110 - a plain loop: all() adds a generator per call
            if not each(v):
                return False
        return True

    return check
