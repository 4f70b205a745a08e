"""The words to ask a network's search API for, taken from a topic's query (for backfill)."""

from __future__ import annotations

from slusha.query.ast import And, Field, Near, Node, Not, Or, Phrase, Term
from slusha.query.compiler import compile_query


def search_terms(query: str) -> list[str]:
    """Positive words and phrases of the query, in order, without duplicates.

    Any post that matches contains at least one of them. Negated parts and fields are left
    out (a network search cannot express them; the matcher filters what comes back). A
    wildcard gives its stem, a phrase its quoted words, a hashtag or mention its plain word,
    since every network's search finds the word inside tags too.
    """
    found: list[str] = []
    _collect(compile_query(query).tree, found)
    return list(dict.fromkeys(found))


def _collect(node: Node, out: list[str]) -> None:
    if isinstance(node, Term):
        out.append(node.value)
    elif isinstance(node, Phrase):
        out.append('"' + " ".join(t.value for t in node.terms) + '"')
    elif isinstance(node, Or):
        for child in node.children:
            _collect(child, out)
    elif isinstance(node, And | Near):
        # Every side must occur, so searching for the first side that has words finds every
        # matching post; searching for all sides would fetch mostly posts that do not match.
        children = node.children if isinstance(node, And) else (node.left, node.right)
        for child in children:
            before = len(out)
            _collect(child, out)
            if len(out) > before:
                return
    elif isinstance(node, Not | Field):
        return
