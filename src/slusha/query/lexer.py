"""Query text -> lexemes: operators, brackets and ready-made atoms (terms, phrases, fields).

Every lexeme keeps the 0-based offset where it starts; every error points at one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from slusha.query.ast import Atom, Phrase, Term
from slusha.query.errors import QuerySyntaxError
from slusha.query.fields import parse_field
from slusha.query.normalise import Kind, Token, normalise, tokenize

LexKind = Literal["(", ")", "AND", "OR", "NOT", "NEAR", "ATOM"]

MIN_PREFIX = 3

# Straight quotes, and the typographic pairs people paste from word processors and mail:
# “...” and the „...“ used in Macedonian, Serbian, Bulgarian and German.
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c\u201d"}
_STOP = '()"{}\u201c\u201d\u201e'
_BARE = re.compile(f"[^\\s{re.escape(_STOP)}]+")
_SPACE = re.compile(r"\s+")
_NEAR = re.compile(r"NEAR/(\d+)(f?)")
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_TAG_KINDS: dict[str, Kind] = {"#": "hashtag", "@": "mention"}


@dataclass(frozen=True, slots=True)
class Lexeme:
    """One lexical unit with its offset; ``atom`` is set for terms, phrases and fields."""

    kind: LexKind
    start: int
    atom: Atom | None = None
    distance: int = 0
    ordered: bool = False


def lex(query: str) -> list[Lexeme]:
    """Split a query into lexemes, or raise ``QuerySyntaxError`` at the first problem."""
    out: list[Lexeme] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        space = _SPACE.match(query, i)
        if space:
            i = space.end()
            continue
        if ch in "()":
            out.append(Lexeme(ch, i))  # type: ignore[arg-type]
            i += 1
        elif ch in _QUOTES:
            end = _find_any(query, _QUOTES[ch], i + 1)
            if end < 0:
                raise QuerySyntaxError(
                    "This quote is never closed. Add the closing quote after the phrase.", i
                )
            out.append(Lexeme("ATOM", i, atom=_quoted(query[i + 1 : end], i)))
            i = end + 1
        elif ch == "{":
            end = query.find("}", i + 1)
            if end < 0:
                raise QuerySyntaxError("This { is never closed. Add } after the word.", i)
            out.append(Lexeme("ATOM", i, atom=_exact_case(query[i + 1 : end], i)))
            i = end + 1
        elif ch == "}":
            raise QuerySyntaxError("This } has no { before it.", i)
        elif ch == "\u201d":
            raise QuerySyntaxError("This closing quote has no opening quote before it.", i)
        else:
            bare = _BARE.match(query, i)
            assert bare is not None  # any other character starts a bare word
            out.append(_bare(bare.group(), i))
            i = bare.end()
    return out


def _find_any(query: str, closers: str, start: int) -> int:
    found = [pos for pos in (query.find(c, start) for c in closers) if pos >= 0]
    return min(found) if found else -1


def _bare(word: str, start: int) -> Lexeme:
    if word in ("AND", "OR", "NOT"):
        return Lexeme(word, start)  # type: ignore[arg-type]
    if word == "NEAR" or word.startswith("NEAR/"):
        near = _NEAR.fullmatch(word)
        if near is None:
            raise QuerySyntaxError(
                "NEAR needs the number of words allowed between its two sides, 0 or more, "
                "written right after a slash: NEAR/3 (or NEAR/3f when the order matters).",
                start,
            )
        return Lexeme("NEAR", start, distance=int(near.group(1)), ordered=bool(near.group(2)))
    field = _FIELD.fullmatch(word)
    if field is not None:
        return Lexeme("ATOM", start, atom=parse_field(field.group(1), field.group(2), start))
    return Lexeme("ATOM", start, atom=_word(word, start))


def _word(word: str, start: int) -> Atom:
    if word.isascii():
        # The common cases, plain ASCII words and tags, need no regex: one token each.
        if word.isalnum():
            return Term(word.lower(), start=start)
        kind = _TAG_KINDS.get(word[0])
        body = word[1:] if kind else word
        is_prefix = body.endswith("*") and len(body) > MIN_PREFIX
        if is_prefix:
            body = body[:-1]
        if body.isalnum():
            return Term(body.lower(), kind or "word", prefix=is_prefix, start=start)
    if "*" in word:
        return _wildcard(word, start)
    tokens = tokenize(word)
    if not tokens:
        raise QuerySyntaxError(
            f"'{word}' has no letters or digits, so it can never match a word. "
            "Remove it or put letters in it.",
            start,
        )
    return _atom(tokens, start, exact_case=False)


def _wildcard(word: str, start: int) -> Term:
    if word.count("*") > 1 or not word.endswith("*"):
        raise QuerySyntaxError(
            f"In '{word}' the * stands inside a word. A * can only end a word: acme* "
            "finds acme, acmecorp, acme-tech.",
            start,
        )
    tokens = tokenize(word[:-1])
    body = normalise(word[:-1])
    if len(tokens) != 1 or tokens[0].end != len(body):
        raise QuerySyntaxError(
            f"In '{word}' the * must follow one word directly, e.g. acme* or #acme*.", start
        )
    token = tokens[0]
    if len(token.raw) < MIN_PREFIX:
        raise QuerySyntaxError(
            f"'{word}' is too short: a * needs at least {MIN_PREFIX} letters before it "
            "(acm*), or it would match too many words.",
            start,
        )
    return Term(token.text, token.kind, prefix=True, start=start)


def _quoted(content: str, start: int) -> Atom:
    body = normalise(content)
    tokens = tokenize(content)
    if not tokens:
        raise QuerySyntaxError(
            "There is nothing to search for inside these quotes; put words in them.", start
        )
    stars = {t.end for t in tokens if body.startswith("*", t.end)}
    if body.count("*") != len(stars):
        raise QuerySyntaxError(
            "Inside these quotes a * stands where it cannot: a * can only end a word (acme*).",
            start,
        )
    terms: list[Term] = []
    for token in tokens:
        is_prefix = token.end in stars
        if is_prefix and len(token.raw) < MIN_PREFIX:
            raise QuerySyntaxError(
                f"'{token.raw}*' is too short: a * needs at least {MIN_PREFIX} letters before it.",
                start,
            )
        terms.append(Term(token.text, token.kind, prefix=is_prefix, start=start))
    if len(terms) == 1:
        return terms[0]
    return Phrase(tuple(terms), start=start)


def _exact_case(content: str, start: int) -> Atom:
    if "*" in content:
        raise QuerySyntaxError(
            "A * does not work inside {...}: exact-case terms match whole words only.", start
        )
    tokens = tokenize(content)
    if not tokens:
        raise QuerySyntaxError(
            "There is nothing to search for inside {}; put the word in its exact case, "
            "e.g. {Slack}.",
            start,
        )
    return _atom(tokens, start, exact_case=True)


def _atom(tokens: list[Token], start: int, *, exact_case: bool) -> Atom:
    terms = tuple(
        Term(t.raw if exact_case else t.text, t.kind, exact_case=exact_case, start=start)
        for t in tokens
    )
    if len(terms) == 1:
        return terms[0]
    # A bare word that holds several tokens (acme.com, c/o) is read as the phrase of them.
    return Phrase(terms, start=start)
