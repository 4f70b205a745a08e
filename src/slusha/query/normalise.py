"""The text model of the query language: normalisation and tokens, shared by every part.

Queries and posts go through exactly these functions, so a word in a query and the same word
in a post always normalise alike. Two views exist:

- ``tokenize`` returns ``Token`` objects with offsets and the case-kept form: the reference
  evaluator, highlighting and ``{...}`` terms use it;
- ``fold`` + ``token_strings`` is the hot path of the matcher: one C-level ``findall``
  over the case-folded text, giving ``acme``, ``#acme``, ``@acme.support`` strings.

Both give the same tokens: case folding never turns a separator into a letter or the reverse
(checked over every code point when the mark table was generated, and by a property test).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from slusha.query._marks import MARK_CLASS_ASTRAL, MARK_CLASS_BMP

Kind = Literal["word", "hashtag", "mention"]

# A letter or digit (``[^\W_]``) or a combining mark, which stays with the letter before it.
_CHAR_FULL = f"(?:[^\\W_]|[{MARK_CLASS_BMP}]|[{MARK_CLASS_ASTRAL}])"
# Without marks the class is a single set, which the regex engine scans much faster.
_CHAR_FAST = "[^\\W_]"
_MARKS_BMP = re.compile(f"[{MARK_CLASS_BMP}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _word(char: str) -> str:
    # Joiners count only between two letters or digits: ``don't``, ``e-mail``, ``covid_19``.
    # Possessive quantifiers: the pattern never needs to backtrack, and saying so halves the
    # time the regex engine spends per post.
    return f"{char}++(?:[-'_]{char}++)*+"


def _mention(char: str) -> str:
    # ``@acme.support``: a dot stays inside a handle when a letter or digit follows it.
    return f"{_word(char)}(?:\\.{_word(char)})*+"


def _all_pattern(char: str) -> re.Pattern[str]:
    return re.compile(f"@{_mention(char)}|#{_word(char)}|{_word(char)}")


def _tagged_pattern(char: str) -> re.Pattern[str]:
    return re.compile(f"(?<=@){_mention(char)}|(?<=#){_word(char)}")


FAST_TOKENS = _all_pattern(_CHAR_FAST)
# For ASCII text already lower-cased, ``[^\W_]`` is exactly ``[a-z0-9]``: a bitmap test per
# character instead of a Unicode category lookup, about a fifth less time per post.
ASCII_TOKENS = _all_pattern("[a-z0-9]")
_ALL_FULL = _all_pattern(_CHAR_FULL)
FAST_TAGGED = _tagged_pattern(_CHAR_FAST)
_TAGGED_FULL = _tagged_pattern(_CHAR_FULL)
_SPANS_FULL = re.compile(
    f"(@)({_mention(_CHAR_FULL)})|(#)({_word(_CHAR_FULL)})|({_word(_CHAR_FULL)})"
)

_PREFIX_KIND: dict[str, Kind] = {"#": "hashtag", "@": "mention"}
KIND_PREFIX: dict[Kind, str] = {"word": "", "hashtag": "#", "mention": "@"}


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a normalised text: folded and case-kept forms, kind, offsets, position."""

    text: str
    raw: str
    kind: Kind
    start: int
    end: int
    position: int

    @property
    def key(self) -> str:
        """The token as the matcher indexes it: ``acme``, ``#acme`` or ``@acme``."""
        return KIND_PREFIX[self.kind] + self.text


def normalise(text: str) -> str:
    """NFKC, with the typographic apostrophe read as ``'``; case is kept."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'")


def fold(text: str) -> str:
    """Normalise and case-fold: the form every word of a query and a post is compared in."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'").casefold()


def _has_marks(text: str) -> bool:
    if text.isascii():
        return False
    if _MARKS_BMP.search(text) is not None:
        return True
    # Astral characters in posts are mostly emoji; check the few there are one by one.
    return any(unicodedata.category(ch)[0] == "M" for ch in _ASTRAL.findall(text))


def token_strings(folded: str) -> list[str]:
    """Tokens of an already folded text, tags keeping their ``#``/``@``: the hot path."""
    if _has_marks(folded):
        return _ALL_FULL.findall(folded)
    return FAST_TOKENS.findall(folded)


def tagged_words(folded: str) -> list[str]:
    """The words inside the hashtags and mentions of a folded text, without ``#``/``@``."""
    if "#" not in folded and "@" not in folded:
        return []
    if _has_marks(folded):
        return _TAGGED_FULL.findall(folded)
    return FAST_TAGGED.findall(folded)


def raw_token_strings(text: str) -> list[str]:
    """Tokens of a text normalised but not case-folded, for ``{...}`` terms."""
    normal = normalise(text)
    if _has_marks(normal):
        return _ALL_FULL.findall(normal)
    return FAST_TOKENS.findall(normal)


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` with offsets into ``normalise(text)`` and 0-based positions."""
    return tokenize_normal(normalise(text))


def tokenize_normal(normal: str) -> list[Token]:
    """The tokens of a text already passed through ``normalise``."""
    tokens: list[Token] = []
    for match in _SPANS_FULL.finditer(normal):
        if match.group(1):
            raw, kind, start = match.group(2), _PREFIX_KIND["@"], match.start(2)
        elif match.group(3):
            raw, kind, start = match.group(4), _PREFIX_KIND["#"], match.start(4)
        else:
            raw, kind, start = match.group(5), "word", match.start(5)
        tokens.append(
            Token(
                # ``raw`` is already normalised; folding is per character, so this equals the
                # token the hot path finds in the folded text.
                text=raw.casefold(),
                raw=raw,
                kind=kind,
                start=start,
                end=start + len(raw),
                position=len(tokens),
            )
        )
    return tokens


def join_title(title: str | None, text: str | None) -> str:
    """Title then body as one stream; the line break keeps their edge words apart."""
    if title:
        return f"{title}\n{text}" if text else title
    return text or ""
