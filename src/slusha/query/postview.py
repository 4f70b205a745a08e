"""One post, normalised and tokenised once, as every compiled query reads it.

The constructor does only C-level work (normalise, ``findall``, ``set``): it is the hot path
of the matcher. Positions, case-kept tokens and the like are computed on first use, because
most posts only ever meet queries that need none of them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

from slusha.query.ast import Term
from slusha.query.fields import PostFields, host_of, normal_handle, normal_lang
from slusha.query.normalise import (
    ASCII_TOKENS,
    fold,
    normalise,
    raw_token_strings,
    token_strings,
)

Span = tuple[int, int]

# Field keys share the set of token keys; NUL never occurs inside a token, so they cannot clash.
LANG_KEY = "\x00lang:"
NETWORK_KEY = "\x00network:"
AUTHOR_KEY = "\x00author:"
SITE_KEY = "\x00site:"


def wildcard_keys(term: Term) -> tuple[str, ...]:
    """The strings a prefix term looks for in ``PostView.joined`` (space = token start)."""
    if term.kind == "word":
        return (" " + term.value, " #" + term.value, " @" + term.value)
    return (" " + term.key,)


def full_text(fields: PostFields) -> str:
    """The text queries search: the title (when there is one) and the text."""
    title = fields.title
    return f"{title}\n{fields.text}" if title else fields.text


def add_field_keys(
    keys: set[str], fields: PostFields, *, with_site: bool, with_author: bool
) -> None:
    """Add the post's field keys (network, language, author, site) to ``keys``."""
    if fields.network:
        keys.add(_network_key(fields.network))
    if fields.lang:
        lang = _lang_key(fields.lang)
        if lang:
            keys.add(lang)
    if with_author and fields.handle:
        handle = normal_handle(fields.handle)
        if handle:
            keys.add(AUTHOR_KEY + handle)
    if with_site:
        host = host_of(fields.url)
        if host:
            keys.update(_site_keys(host))


class PostView:
    """A post as compiled queries read it: token keys, field keys, lazy positions."""

    __slots__ = (
        "_joined",
        "_normal",
        "_plain",
        "_positions",
        "_raw",
        "followers",
        "keys",
        "text",
        "tokens",
        "wild",
    )

    def __init__(
        self,
        fields: PostFields,
        *,
        with_site: bool = False,
        with_author: bool = True,
        folded: str | None = None,
    ) -> None:
        text = full_text(fields)
        # fold + token_strings + tagged_words, inlined: this runs once per post per matcher.
        # ``folded`` is ``fold(full_text(fields))`` when the caller has it already.
        if text.isascii():
            folded = text.lower() if folded is None else folded
            tokens = ASCII_TOKENS.findall(folded)
        else:
            folded = fold(text) if folded is None else folded
            tokens = token_strings(folded)
        keys = set(tokens)
        if "#" in folded or "@" in folded:
            # The words inside tags are the tag tokens without their first character (what
            # ``tagged_words`` finds, without scanning the text a second time).
            keys.update([t[1:] for t in tokens if t[0] in "#@"])
        add_field_keys(keys, fields, with_site=with_site, with_author=with_author)
        self.text = text
        self.tokens = tokens
        self.keys = keys
        self.followers = fields.followers
        self.wild: set[str] = set()
        self._joined: str | None = None
        self._normal: str | None = None
        self._plain: str | None = None
        self._positions: dict[str, list[int]] | None = None
        self._raw: list[str] | None = None

    @property
    def normal_text(self) -> str:
        """The text normalised but not folded (what ``{...}`` terms are compared with)."""
        if self._normal is None:
            self._normal = normalise(self.text)
        return self._normal

    @property
    def plain_words(self) -> str:
        """Each token's word (tags without # or @) between single spaces, spaces at both ends.

        A phrase of plain words occurs exactly when " w1 w2 " is a substring of this.
        """
        if self._plain is None:
            self._plain = self.joined.replace(" #", " ").replace(" @", " ") + " "
        return self._plain

    @property
    def joined(self) -> str:
        """The tokens as one string, each after a space: prefix search = substring search."""
        if self._joined is None:
            tokens = self.tokens
            self._joined = " " + " ".join(tokens) if tokens else ""
        return self._joined

    def find_wildcards(self, keys: Iterable[str]) -> None:
        """Record which of these wildcard keys occur (without an automaton: few keys)."""
        joined = self.joined
        self.wild.update(k for k in keys if k in joined)

    def term_positions(self, term: Term) -> Sequence[int]:
        """Token positions where a term matches."""
        if term.exact_case:
            raw = self._raw_tokens()
            if term.kind == "word":
                return [i for i, t in enumerate(raw) if t.lstrip("#@") == term.value]
            key = term.key
            return [i for i, t in enumerate(raw) if t == key]
        if term.prefix:
            if term.kind == "word":
                value = term.value
                return [i for i, t in enumerate(self.tokens) if t.lstrip("#@").startswith(value)]
            key = term.key
            return [i for i, t in enumerate(self.tokens) if t.startswith(key)]
        positions = self._positions
        if positions is None:
            positions = self._positions = _index_positions(self.tokens)
        return positions.get(term.key, ())

    def has_exact_case(self, term: Term) -> bool:
        """Whether a ``{...}`` term occurs with exactly its case."""
        return bool(self.term_positions(term))

    def phrase_spans(self, terms: Sequence[Term]) -> list[Span]:
        """(first, last) positions of each occurrence of the phrase."""
        first = self.term_positions(terms[0])
        if not first:
            return []
        rest = []
        for term in terms[1:]:
            positions = self.term_positions(term)
            if not positions:
                return []
            rest.append(set(positions))
        size = len(terms)
        return [
            (p, p + size - 1)
            for p in first
            if all(p + j in positions for j, positions in enumerate(rest, 1))
        ]

    def _raw_tokens(self) -> list[str]:
        if self._raw is None:
            raw = raw_token_strings(self.text)
            # Folding never moves token boundaries, so the two lists line up one to one.
            assert len(raw) == len(self.tokens)
            self._raw = raw
        return self._raw


# Field values repeat across posts (a few dozen languages and networks): cache their keys.
_FIELD_KEYS: dict[tuple[str, str], str | None] = {}


def _lang_key(lang: str) -> str | None:
    key = _FIELD_KEYS.get(("lang", lang), "")
    if key == "":
        code = normal_lang(lang)
        key = LANG_KEY + code if code else None
        if len(_FIELD_KEYS) < 10_000:
            _FIELD_KEYS[("lang", lang)] = key
    return key


def _network_key(network: str) -> str:
    key = _FIELD_KEYS.get(("network", network))
    if key is None:
        key = NETWORK_KEY + network.lower()
        if len(_FIELD_KEYS) < 10_000:
            _FIELD_KEYS[("network", network)] = key
    return key


_SITE_KEYS: dict[str, tuple[str, ...]] = {}


def _site_keys(host: str) -> tuple[str, ...]:
    """Keys for the host and every domain above it: a.b.example.com -> ..., example.com, com."""
    keys = _SITE_KEYS.get(host)
    if keys is None:
        labels = host.split(".")
        keys = tuple(SITE_KEY + ".".join(labels[i:]) for i in range(len(labels)))
        if len(_SITE_KEYS) < 10_000:
            _SITE_KEYS[host] = keys
    return keys


def _index_positions(tokens: list[str]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        positions.setdefault(token, []).append(i)
        if token[0] in "#@":
            positions.setdefault(token[1:], []).append(i)
    return positions


def spans_near(lefts: list[Span], rights: list[Span], distance: int, *, ordered: bool) -> bool:
    """Whether some left span and right span lie at most ``distance`` words apart.

    Sorted starts and ends with binary search keep this O(n log n), so a 1 MB post full of
    both words does not turn into billions of pair checks.
    """
    if not lefts or not rights:
        return False
    right_starts = sorted(s for s, _ in rights)
    right_ends = sorted(e for _, e in rights)
    for start, end in lefts:
        # The nearest right span that starts after this left one ends.
        k = bisect_left(right_starts, end + 1)
        if k < len(right_starts) and right_starts[k] - end - 1 <= distance:
            return True
        if not ordered:
            # The nearest right span that ends before this left one starts.
            k = bisect_left(right_ends, start) - 1
            if k >= 0 and start - right_ends[k] - 1 <= distance:
                return True
    return False
