"""The parsed form of a query: immutable nodes, a readable dump and a JSON-able dict.

Every node keeps ``start``, its 0-based offset in the query text, so later checks (NEAR
operands, negation-only queries) can point at the place a user must change. Compound nodes
also keep ``op``, the offset of their operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slusha.query.normalise import KIND_PREFIX, Kind


@dataclass(frozen=True, slots=True)
class Term:
    """One word: folded (or case-kept when ``exact_case``), maybe a hashtag, mention or prefix."""

    value: str
    kind: Kind = "word"
    prefix: bool = False
    exact_case: bool = False
    start: int = 0

    @property
    def key(self) -> str:
        """``acme``, ``#acme`` or ``@acme``: the form the matcher indexes."""
        return KIND_PREFIX[self.kind] + self.value


@dataclass(frozen=True, slots=True)
class Phrase:
    """Consecutive tokens; each element is a ``Term``."""

    terms: tuple[Term, ...]
    start: int = 0


@dataclass(frozen=True, slots=True)
class Field:
    """A condition on a post field: ``author``, ``lang``, ``network``, ``site``, ``followers``."""

    name: str
    value: str | int
    op: str = "="
    start: int = 0


@dataclass(frozen=True, slots=True)
class Not:
    """The child must not match."""

    child: Node
    start: int = 0


@dataclass(frozen=True, slots=True)
class And:
    """Every child must match."""

    children: tuple[Node, ...]
    start: int = 0
    op: int = 0


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child must match."""

    children: tuple[Node, ...]
    start: int = 0
    op: int = 0


@dataclass(frozen=True, slots=True)
class Near:
    """Both operands, at most ``distance`` words apart; ``ordered``: left before right."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False
    start: int = 0
    op: int = 0


Node = Term | Phrase | Field | Not | And | Or | Near
Atom = Term | Phrase | Field


def term_text(term: Term) -> str:
    """A term as it would be written in a query."""
    body = KIND_PREFIX[term.kind] + term.value + ("*" if term.prefix else "")
    return "{" + body + "}" if term.exact_case else body


def _phrase_text(phrase: Phrase) -> str:
    if phrase.terms and all(t.exact_case for t in phrase.terms):
        inner = " ".join(KIND_PREFIX[t.kind] + t.value for t in phrase.terms)
        return "{" + inner + "}"
    return '"' + " ".join(term_text(t) for t in phrase.terms) + '"'


def field_text(field: Field) -> str:
    """A field condition as it would be written in a query."""
    if field.name == "followers":
        return f"followers:{field.op}{field.value}"
    return f"{field.name}:{field.value}"


def to_query(node: Node) -> str:
    """The node as query text that parses back to an equal tree (up to offsets)."""
    if isinstance(node, Term):
        return term_text(node)
    if isinstance(node, Phrase):
        return _phrase_text(node)
    if isinstance(node, Field):
        return field_text(node)
    if isinstance(node, Not):
        return f"NOT ({to_query(node.child)})"
    if isinstance(node, And):
        return " AND ".join(f"({to_query(c)})" for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(f"({to_query(c)})" for c in node.children)
    op = f"NEAR/{node.distance}{'f' if node.ordered else ''}"
    return f"({to_query(node.left)}) {op} ({to_query(node.right)})"


def _term_label(term: Term) -> str:
    kind = {"word": "word", "hashtag": "hashtag", "mention": "mention"}[term.kind]
    extras = [kind]
    if term.prefix:
        extras.append("starting with")
    if term.exact_case:
        extras.append("exact case")
    return f"{' '.join(extras)} {term.value!r}"


def dump(node: Node, indent: str = "  ") -> str:
    """An indented, readable tree of the query, one node a line."""
    lines: list[str] = []
    # An explicit stack: dumps of deeply nested queries must not hit the recursion limit.
    stack: list[tuple[Node, int]] = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        pad = indent * depth
        children: tuple[Node, ...] = ()
        if isinstance(current, Term):
            lines.append(pad + _term_label(current))
        elif isinstance(current, Phrase):
            lines.append(pad + "phrase " + _phrase_text(current))
            children = current.terms
        elif isinstance(current, Field):
            lines.append(pad + "field " + field_text(current))
        elif isinstance(current, Not):
            lines.append(pad + "NOT")
            children = (current.child,)
        elif isinstance(current, And | Or):
            lines.append(pad + ("AND" if isinstance(current, And) else "OR"))
            children = current.children
        else:
            order = "left before right, " if current.ordered else ""
            lines.append(pad + f"NEAR ({order}at most {current.distance} words between)")
            children = (current.left, current.right)
        for child in reversed(children):
            stack.append((child, depth + 1))
    return "\n".join(lines)


def to_dict(node: Node) -> dict[str, Any]:
    """The tree as plain JSON-able data, for the API and the topic editor."""
    if isinstance(node, Term):
        return {
            "type": "term",
            "kind": node.kind,
            "value": node.value,
            "prefix": node.prefix,
            "exact_case": node.exact_case,
            "start": node.start,
        }
    if isinstance(node, Phrase):
        return {
            "type": "phrase",
            "terms": [to_dict(t) for t in node.terms],
            "start": node.start,
        }
    if isinstance(node, Field):
        return {
            "type": "field",
            "name": node.name,
            "op": node.op,
            "value": node.value,
            "start": node.start,
        }
    if isinstance(node, Not):
        return {"type": "not", "child": to_dict(node.child), "start": node.start}
    if isinstance(node, And | Or):
        return {
            "type": "and" if isinstance(node, And) else "or",
            "children": [to_dict(c) for c in node.children],
            "start": node.start,
        }
    return {
        "type": "near",
        "distance": node.distance,
        "ordered": node.ordered,
        "left": to_dict(node.left),
        "right": to_dict(node.right),
        "start": node.start,
    }
