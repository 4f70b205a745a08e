"""Query tree -> a predicate over ``PostView`` and the terms a post must hold to match.

Two products per query, in the manner of Lucene Monitor's presearcher:

- ``required``: index keys such that every post the query matches holds at least one of
  them (for ``a AND b`` the rarer side, for ``a OR b`` both). ``None`` when no such set
  exists (``followers:>1000`` alone): the matcher then checks the query on every post.
- ``predicate``: closures specialised per node shape (sets of keys are tested with C-level
  ``isdisjoint``/``issubset``), so verifying a candidate costs a few calls, not a tree walk.

When a query is an OR of terms whose presence alone decides them, a hit on a required key
*is* a match (``is_exact``) and the predicate is skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slusha.query.ast import And, Field, Near, Node, Not, Or, Phrase, Term, dump, to_dict
from slusha.query.errors import QuerySyntaxError
from slusha.query.fields import compare_followers, read_post
from slusha.query.parser import parse
from slusha.query.postview import (
    AUTHOR_KEY,
    LANG_KEY,
    NETWORK_KEY,
    SITE_KEY,
    PostView,
    Span,
    spans_near,
    wildcard_keys,
)

Predicate = Callable[[PostView], bool]

# Rough rarity of a key, lower = rarer. Long words are rarer than short ones, tags rarer than
# words, languages and networks hold whole streams: prefer anything over them.
_FIELD_COST = {"lang": 500.0, "network": 500.0, "author": 1.0, "site": 100.0}


@dataclass(frozen=True, slots=True)
class Required:
    """Keys of which a matching post holds at least one, with their estimated cost."""

    keys: frozenset[str]
    cost: float


def field_key(field: Field) -> str | None:
    """The index key a field term stands for, or ``None`` (followers compare numbers)."""
    prefix = {"lang": LANG_KEY, "network": NETWORK_KEY, "author": AUTHOR_KEY, "site": SITE_KEY}
    if field.name not in prefix:
        return None
    return sys.intern(prefix[field.name] + str(field.value))


def term_keys(term: Term) -> tuple[str, ...]:
    """The index keys whose presence is necessary for the term (sufficient unless ``{..}``)."""
    if term.prefix:
        return tuple(sys.intern(k) for k in wildcard_keys(term))
    if term.exact_case:
        # The folded form is present whenever the exact form is.
        return (sys.intern(Term(term.value.casefold(), term.kind).key),)
    return (sys.intern(term.key),)


def _term_cost(term: Term) -> float:
    cost = 1.0 + 10.0 / max(len(term.value), 1)
    if term.kind != "word":
        cost *= 0.5
    if term.prefix:
        cost = 2.0 * cost * (3 if term.kind == "word" else 1)
    return cost


def required(node: Node) -> Required | None:
    """The cheapest key set a matching post must intersect, or ``None`` if there is none."""
    if isinstance(node, Term):
        return Required(frozenset(term_keys(node)), _term_cost(node))
    if isinstance(node, Phrase):
        return min((required(t) for t in node.terms), key=_cost)
    if isinstance(node, Field):
        key = field_key(node)
        return None if key is None else Required(frozenset((key,)), _FIELD_COST[node.name])
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        parts = [required(c) for c in node.children]
        if any(p is None for p in parts):
            return None
        keys: frozenset[str] = frozenset().union(*(p.keys for p in parts if p is not None))
        return Required(keys, sum(p.cost for p in parts if p is not None))
    children = node.children if isinstance(node, And) else (node.left, node.right)
    options = [r for r in (required(c) for c in children) if r is not None]
    return min(options, key=_cost) if options else None


def _cost(req: Required | None) -> float:
    return float("inf") if req is None else req.cost


def _is_exact(node: Node) -> bool:
    """Whether the presence of any required key alone decides the node."""
    if isinstance(node, Term):
        return not node.exact_case
    if isinstance(node, Field):
        return field_key(node) is not None
    if isinstance(node, Or):
        return all(_is_exact(c) for c in node.children)
    return False


def predicate(node: Node) -> Predicate:
    """A closure deciding the node on a ``PostView``."""
    if isinstance(node, Term):
        return _term_predicate(node)
    if isinstance(node, Field):
        return _field_predicate(node)
    if isinstance(node, Phrase):
        return _phrase_predicate(node)
    if isinstance(node, Not):
        inner = predicate(node.child)
        return lambda v: not inner(v)
    if isinstance(node, And):
        return _and_predicate(node)
    if isinstance(node, Or):
        return _or_predicate(node)
    return _near_predicate(node)


def _term_predicate(term: Term) -> Predicate:
    if term.exact_case:
        (folded,) = term_keys(term)
        value = term.value
        # The substring test is a cheap necessary condition before tokenising with case.
        return lambda v: folded in v.keys and value in v.normal_text and v.has_exact_case(term)
    if term.prefix:
        wanted = frozenset(term_keys(term))
        return lambda v: not v.wild.isdisjoint(wanted)
    key = sys.intern(term.key)
    return lambda v: key in v.keys


def _field_predicate(field: Field) -> Predicate:
    key = field_key(field)
    if key is not None:
        return lambda v: key in v.keys
    op, limit = field.op, field.value
    assert isinstance(limit, int)
    return lambda v: compare_followers(op, v.followers, limit)


def _phrase_predicate(phrase: Phrase) -> Predicate:
    # Every element's necessary key must be present before positions are worth computing.
    needed = frozenset(k for t in phrase.terms if not t.prefix for k in term_keys(t))
    wild = [frozenset(term_keys(t)) for t in phrase.terms if t.prefix]
    terms = phrase.terms
    if all(t.kind == "word" and not t.prefix and not t.exact_case for t in terms):
        # Plain words: a substring test on the space-joined words decides it exactly.
        needle = " " + " ".join(t.value for t in terms) + " "
        return lambda v: needed.issubset(v.keys) and needle in v.plain_words

    def check(v: PostView) -> bool:
        if not needed.issubset(v.keys):
            return False
        if any(v.wild.isdisjoint(w) for w in wild):
            return False
        return bool(v.phrase_spans(terms))

    return check


def _is_plain_key(node: Node) -> bool:
    if isinstance(node, Term):
        return not node.prefix and not node.exact_case
    return isinstance(node, Field) and field_key(node) is not None


def _plain_key(node: Node) -> str:
    if isinstance(node, Term):
        return sys.intern(node.key)
    assert isinstance(node, Field)
    key = field_key(node)
    assert key is not None
    return key


def _set_test(node: Node) -> tuple[frozenset[str], frozenset[str]] | None:
    """(keys, wildcard keys) such that the node holds iff the post has one of them.

    True of plain terms and fields, wildcards, and OR-groups of those: the shapes most
    topic queries are made of, which can then be decided with C-level set operations.
    """
    if _is_plain_key(node):
        return frozenset((_plain_key(node),)), frozenset()
    if isinstance(node, Term) and node.prefix:
        return frozenset(), frozenset(term_keys(node))
    if isinstance(node, Or):
        parts = [_set_test(c) for c in node.children]
        if any(p is None for p in parts):
            return None
        keys = frozenset().union(*(p[0] for p in parts if p is not None))
        wild = frozenset().union(*(p[1] for p in parts if p is not None))
        return keys, wild
    return None


def _and_predicate(node: And) -> Predicate:
    every: set[str] = set()  # plain keys that must all be present
    none_keys: set[str] = set()  # keys of negated set-tests: none may be present
    none_wild: set[str] = set()
    some: list[tuple[frozenset[str], frozenset[str]]] = []  # each needs one key present
    rest: list[Node] = []
    for child in node.children:
        if _is_plain_key(child):
            every.add(_plain_key(child))
            continue
        test = _set_test(child)
        if test is not None:
            some.append(test)
            continue
        negated = _set_test(child.child) if isinstance(child, Not) else None
        if negated is not None:
            none_keys.update(negated[0])
            none_wild.update(negated[1])
            continue
        rest.append(child)
    # Cheap checks first; positional work (phrases, NEAR) last.
    rest.sort(key=check_cost)
    checks = [predicate(c) for c in rest]
    all_of, none_of, none_of_wild = frozenset(every), frozenset(none_keys), frozenset(none_wild)

    def check(v: PostView) -> bool:
        keys = v.keys
        if all_of and not all_of.issubset(keys):
            return False
        if none_of and not none_of.isdisjoint(keys):
            return False
        if none_of_wild and not none_of_wild.isdisjoint(v.wild):
            return False
        for any_keys, any_wild in some:
            if any_keys.isdisjoint(keys) and any_wild.isdisjoint(v.wild):
                return False
        for each in checks:  # noqa: SIM110 - a plain loop: all() adds a generator per call
            if not each(v):
                return False
        return True

    if not some and not checks and not none_of_wild:
        if not none_of:
            return lambda v: all_of.issubset(v.keys)
        return lambda v: all_of.issubset(v.keys) and none_of.isdisjoint(v.keys)
    return check


def _or_predicate(node: Or) -> Predicate:
    plain = frozenset(_plain_key(c) for c in node.children if _is_plain_key(c))
    wild = frozenset(
        k for c in node.children if isinstance(c, Term) and c.prefix for k in term_keys(c)
    )
    rest = [
        predicate(c)
        for c in sorted(node.children, key=check_cost)
        if not _is_plain_key(c) and not (isinstance(c, Term) and c.prefix)
    ]

    def check(v: PostView) -> bool:
        if plain and not plain.isdisjoint(v.keys):
            return True
        if wild and not wild.isdisjoint(v.wild):
            return True
        for each in rest:  # noqa: SIM110 - a plain loop: any() adds a generator per call
            if each(v):
                return True
        return False

    if not rest and not wild:
        return lambda v: not plain.isdisjoint(v.keys)
    return check


def check_cost(node: Node) -> int:
    if isinstance(node, Not):
        return check_cost(node.child)
    if isinstance(node, Term | Field):
        return 1 if not (isinstance(node, Term) and node.exact_case) else 3
    if isinstance(node, Phrase):
        return 4
    if isinstance(node, And | Or):
        return 2 + max(check_cost(c) for c in node.children)
    return 6


def _operand_spans(node: Node) -> Callable[[PostView], list[Span]]:
    if isinstance(node, Term):
        return lambda v: [(p, p) for p in v.term_positions(node)]
    if isinstance(node, Phrase):
        terms = node.terms
        return lambda v: v.phrase_spans(terms)
    assert isinstance(node, Or)
    parts = [_operand_spans(c) for c in node.children]
    return lambda v: [span for part in parts for span in part(v)]


def _near_predicate(node: Near) -> Predicate:
    left_present, right_present = predicate(node.left), predicate(node.right)
    left_spans, right_spans = _operand_spans(node.left), _operand_spans(node.right)
    distance, ordered = node.distance, node.ordered

    def check(v: PostView) -> bool:
        if not (left_present(v) and right_present(v)):
            return False
        return spans_near(left_spans(v), right_spans(v), distance, ordered=ordered)

    return check


def _features(node: Node) -> tuple[frozenset[str], set[str]]:
    """The wildcard keys anywhere in the tree and the names of the fields it reads."""
    wildcards: set[str] = set()
    fields: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Term):
            if current.prefix:
                wildcards.update(term_keys(current))
        elif isinstance(current, Field):
            fields.add(current.name)
        elif isinstance(current, Phrase):
            stack.extend(current.terms)
        elif isinstance(current, Not):
            stack.append(current.child)
        elif isinstance(current, And | Or):
            stack.extend(current.children)
        else:
            stack.extend((current.left, current.right))
    return frozenset(wildcards), fields


class CompiledQuery:
    """A parsed, checked query ready to test posts; build it with ``compile_query``."""

    __slots__ = (
        "_predicate",
        "_required",
        "text",
        "tree",
        "uses_author",
        "uses_site",
        "wildcards",
    )

    def __init__(self, text: str, tree: Node) -> None:
        self.text = text
        self.tree = tree
        # Built on first use: the matcher indexes a query through slusha.query.plan and
        # needs neither for most topics, so compiling 100k topics skips building them.
        self._predicate: Predicate | None = None
        self._required: tuple[Required | None] | None = None
        self.wildcards, fields = _features(tree)
        self.uses_site = "site" in fields
        self.uses_author = "author" in fields

    @property
    def predicate(self) -> Predicate:
        """The whole query as one closure over a ``PostView``."""
        if self._predicate is None:
            self._predicate = predicate(self.tree)
        return self._predicate

    @property
    def required(self) -> Required | None:
        """Keys of which every matching post holds one (``None``: no such set)."""
        if self._required is None:
            self._required = (required(self.tree),)
        return self._required[0]

    @property
    def is_exact(self) -> bool:
        """Whether a hit on a required key alone decides the query."""
        return self.required is not None and _is_exact(self.tree)

    def view(self, post: Any) -> PostView:
        """The post read, tokenised and prepared for this query."""
        view = PostView(read_post(post), with_site=self.uses_site, with_author=self.uses_author)
        if self.wildcards:
            view.find_wildcards(self.wildcards)
        return view

    def matches(self, post: Any) -> bool:
        """Whether the post (dict, ``Post`` or store row) matches the query."""
        return self.predicate(self.view(post))

    def highlights(self, text: str, title: str | None = None) -> list[tuple[int, int]]:
        """Character ranges of ``text`` (and ``title``, if given) held by the query's words.

        With a title, offsets count in ``title + "\\n" + text``, the stream queries read.
        """
        from slusha.query.highlight import highlight_spans

        joined = f"{title}\n{text}" if title else text
        return highlight_spans(self.tree, joined)

    def dump(self) -> str:
        """The parsed structure as an indented tree."""
        return dump(self.tree)

    def to_dict(self) -> dict[str, Any]:
        """The parsed structure as JSON-able data."""
        return to_dict(self.tree)

    def __repr__(self) -> str:
        return f"CompiledQuery({self.text!r})"


def compile_query(text: str) -> CompiledQuery:
    """Parse, check and compile a query; raise ``QuerySyntaxError`` if it is not valid."""
    if not isinstance(text, str):
        raise QuerySyntaxError("A query must be text.", 0)
    return CompiledQuery(text, parse(text))


def validate_query(text: str) -> QuerySyntaxError | None:
    """The problem with a query, or ``None`` when it is valid (for editors, as one types)."""
    try:
        parse(text)
    except QuerySyntaxError as exc:
        return exc
    return None
