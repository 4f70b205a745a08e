"""The reference evaluator: the spec read literally, one query at a time, no index.

It is deliberately plain (loops over tokens, pairs for NEAR) so that it is easy to check
against the spec by eye. The compiled matcher must agree with it on every post and query
(a property test checks this), and the benchmark uses it as its baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slusha.query.ast import And, Field, Near, Node, Not, Or, Phrase, Term
from slusha.query.fields import (
    PostFields,
    compare_followers,
    host_of,
    normal_handle,
    normal_lang,
    read_post,
    site_matches,
)
from slusha.query.normalise import Token, join_title, tokenize

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class PreparedPost:
    """A post tokenised once, to be checked against many queries."""

    tokens: list[Token]
    fields: PostFields


def prepare(post: Any) -> PreparedPost:
    """Read and tokenise a post (any accepted shape) for ``evaluate_prepared``."""
    fields = read_post(post)
    return PreparedPost(tokenize(join_title(fields.title, fields.text)), fields)


def evaluate(node: Node, post: Any) -> bool:
    """Whether the query tree matches the post, computed directly from the spec."""
    return evaluate_prepared(node, prepare(post))


def evaluate_prepared(node: Node, post: PreparedPost) -> bool:
    """``evaluate`` on a post tokenised beforehand."""
    if isinstance(node, Term):
        return any(term_matches(node, t) for t in post.tokens)
    if isinstance(node, Phrase):
        return bool(phrase_spans(node, post.tokens))
    if isinstance(node, Field):
        return field_matches(node, post.fields)
    if isinstance(node, Not):
        return not evaluate_prepared(node.child, post)
    if isinstance(node, And):
        return all(evaluate_prepared(c, post) for c in node.children)
    if isinstance(node, Or):
        return any(evaluate_prepared(c, post) for c in node.children)
    return bool(near_pairs(node, post.tokens))


def term_matches(term: Term, token: Token) -> bool:
    """Whether one token satisfies one term (kind, wildcard and case rules of the spec)."""
    # A plain word matches the word inside hashtags and mentions too; #x and @x do not
    # match plain words.
    if term.kind != "word" and token.kind != term.kind:
        return False
    value = token.raw if term.exact_case else token.text
    if term.prefix:
        return value.startswith(term.value)
    return value == term.value


def phrase_spans(phrase: Phrase, tokens: Sequence[Token]) -> list[Span]:
    """Every (first, last) token position where the phrase occurs."""
    size = len(phrase.terms)
    return [
        (i, i + size - 1)
        for i in range(len(tokens) - size + 1)
        if all(term_matches(term, tokens[i + j]) for j, term in enumerate(phrase.terms))
    ]


def operand_spans(node: Node, tokens: Sequence[Token]) -> list[Span]:
    """The spans a NEAR operand (term, phrase or OR-group of those) occupies."""
    if isinstance(node, Term):
        return [(t.position, t.position) for t in tokens if term_matches(node, t)]
    if isinstance(node, Phrase):
        return phrase_spans(node, tokens)
    assert isinstance(node, Or)
    return [span for child in node.children for span in operand_spans(child, tokens)]


def gap(left: Span, right: Span, *, ordered: bool) -> int | None:
    """Words between two spans, or ``None`` when they overlap or are in the wrong order."""
    if left[1] < right[0]:
        return right[0] - left[1] - 1
    if not ordered and right[1] < left[0]:
        return left[0] - right[1] - 1
    return None


def near_pairs(node: Near, tokens: Sequence[Token]) -> list[tuple[Span, Span]]:
    """Every pair of operand spans close enough (and in order, for NEAR/nf)."""
    lefts = operand_spans(node.left, tokens)
    rights = operand_spans(node.right, tokens)
    pairs = []
    for left in lefts:
        for right in rights:
            words = gap(left, right, ordered=node.ordered)
            if words is not None and words <= node.distance:
                pairs.append((left, right))
    return pairs


def field_matches(field: Field, fields: PostFields) -> bool:
    """Whether a post's fields satisfy one field term."""
    if field.name == "followers":
        assert isinstance(field.value, int)
        return compare_followers(field.op, fields.followers, field.value)
    if field.name == "lang":
        return normal_lang(fields.lang) == field.value
    if field.name == "network":
        return (fields.network or "").lower() == field.value
    if field.name == "author":
        return normal_handle(fields.handle) == field.value
    assert isinstance(field.value, str)
    return site_matches(host_of(fields.url), field.value)
