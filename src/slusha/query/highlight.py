"""Which characters of a text a query's words hold, for highlighting in the CLI and web UI.

Highlighting is for people, not for the firehose, so it reuses the reference evaluator's
plain functions on ``Token`` objects and maps offsets back to the original text.
"""

from __future__ import annotations

import unicodedata

from slusha.query.ast import And, Near, Node, Not, Or, Phrase, Term
from slusha.query.evaluate import near_pairs, operand_spans, phrase_spans, term_matches
from slusha.query.normalise import Token, tokenize_normal

Span = tuple[int, int]


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index it came from."""
    if text.isascii():
        return text, list(range(len(text)))
    pieces: list[str] = []
    origin: list[int] = []
    # Character by character, so every output character knows its source; composition
    # across characters is lost, which only matters for rare decomposed input.
    for i, ch in enumerate(text):
        piece = unicodedata.normalize("NFKC", ch).replace("\u2019", "'")
        pieces.append(piece)
        origin.extend([i] * len(piece))
    return "".join(pieces), origin


def _positive_atoms(node: Node) -> list[Node]:
    """Terms, phrases and NEARs that are not under a NOT: what made the post match."""
    out: list[Node] = []
    stack: list[tuple[Node, bool]] = [(node, True)]
    while stack:
        current, positive = stack.pop()
        if isinstance(current, Not):
            stack.append((current.child, not positive))
        elif isinstance(current, And | Or):
            stack.extend((c, positive) for c in current.children)
        elif positive and isinstance(current, Term | Phrase | Near):
            out.append(current)
    return out


def highlight_spans(node: Node, text: str) -> list[Span]:
    """Sorted, merged (start, end) character ranges of ``text`` matched by the query's words."""
    normal, origin = _normalise_with_map(text)
    tokens = tokenize_normal(normal)
    positions: set[int] = set()
    for atom in _positive_atoms(node):
        positions.update(_atom_positions(atom, tokens))
    spans: list[Span] = []
    for position in sorted(positions):
        token = tokens[position]
        # Tags are highlighted with their # or @, which sits just before the word.
        first = token.start if token.kind == "word" else token.start - 1
        start, end = origin[first], origin[token.end - 1] + 1
        if spans and spans[-1][1] >= start:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _atom_positions(atom: Node, tokens: list[Token]) -> set[int]:
    if isinstance(atom, Term):
        return {t.position for t in tokens if term_matches(atom, t)}
    if isinstance(atom, Phrase):
        return {p for s, e in phrase_spans(atom, tokens) for p in range(s, e + 1)}
    assert isinstance(atom, Near)
    # Only occurrences that take part in a close-enough pair are highlighted.
    out: set[int] = set()
    if len(tokens) > 20_000:
        # Pairs are quadratic; on huge texts highlight each side's occurrences instead.
        for side in (atom.left, atom.right):
            out.update(p for s, e in operand_spans(side, tokens) for p in range(s, e + 1))
        return out
    for left, right in near_pairs(atom, tokens):
        out.update(range(left[0], left[1] + 1))
        out.update(range(right[0], right[1] + 1))
    return out
