"""Hashed word, word-pair and character n-gram features for the sentiment model.

Feature hashing (CRC-32 of the feature string, masked to ``2**bits`` buckets) keeps the model a
fixed size whatever the vocabulary, needs no vocabulary file, and gives the same indices in every
process (Python's own ``hash`` is salted per process). Character n-grams of folded text are what
carries sentiment across related languages and scripts.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from slusha.enrich.text import clean, fold

FEATURE_VERSION = 2

_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55\u2764\u203c\u2049\u3030\u303d"
TOKEN_RE = re.compile(
    r"(?:[:;=8][-o^'’]?[)(\]\[dp/\\|*3o])"  # western emoticons, after lower-casing
    r"|(?:[)(\]\[d][-o^'’]?[:;=])"  # reversed emoticons
    r"|<3|</3"
    r"|\w+(?:['’]\w+)*"
    rf"|[{_EMOJI}]"
    r"|[!?]+"
    r"|[.,;:]"
)
_EMOJI_RE = re.compile(rf"[{_EMOJI}]")
_CAPS_RE = re.compile(r"\b[^\W\d_a-z]{3,}\b")
_PUNCT = frozenset({".", ",", ";", ":", "!", "?"})
# Negators in folded form (Cyrillic already transliterated) for the languages the model serves.
NEGATORS: frozenset[str] = frozenset(
    {
        # English
        "not", "no", "never", "nothing", "nobody", "none", "nor", "cannot", "cant", "dont",
        "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "wont", "wouldnt", "shouldnt",
        "couldnt", "aint", "hardly", "without",
        # South Slavic (sr, hr, bs, sl, mk, bg)
        "ne", "nije", "nisam", "nisi", "nismo", "niste", "nisu", "nema", "nemam", "nemas",
        "nemamo", "nemaju", "nikad", "nikada", "nista", "nisto", "nece", "necu", "nemoj",
        "ni", "bez", "nikogas", "nikoj", "njama", "nito", "nikoga",
        # German, Dutch
        "nicht", "kein", "keine", "keinen", "nie", "niemals", "nichts", "niet", "geen", "nooit",
        # Romance
        "pas", "jamais", "rien", "non", "nunca", "nada", "nao", "nem", "mai", "niente", "sem",
        "sin", "senza", "sans",
        # Slavic elsewhere
        "net", "nichego",
    }
)  # fmt: skip
NEGATION_SCOPE = 3
_NAME_NOISE = frozenset({"face", "with", "sign", "and", "of", "the", "symbol", "symbols", "on"})


@lru_cache(maxsize=4096)
def emoji_words(emoji: str) -> tuple[str, ...]:
    """The words of an emoji's Unicode name (``👎`` -> thumbs, down), shared with English text.

    Old training tweets hold few of today's emoji; their names carry the English words the
    model has learnt (``BROKEN HEART``, ``POUTING FACE``, ``LOUDLY CRYING FACE``).
    """
    name = unicodedata.name(emoji, "").lower()
    return tuple(w for w in name.split() if w not in _NAME_NOISE and w.isalpha())


# CRC-32 runs on: ``crc32(b, crc32(a)) == crc32(a + b)``. So ``w:tok`` hashes as the token's
# UTF-8 continued from the CRC of ``w:``, a char n-gram from that of ``c:``, a word pair
# ``b:a b`` as b's UTF-8 continued from the CRC of ``b:a `` (kept with a), and the first word's
# ``b:^tok`` from the CRC of ``b:^``: the same values as ``crc32`` of the feature strings.
_CARET_CRC = zlib.crc32(b"b:^")
_PAIR_CRC = zlib.crc32(b"b:")
_WORD_CRC = zlib.crc32(b"w:")
_CHAR_CRC = zlib.crc32(b"c:")
_CAPS_CRC = zlib.crc32(b"m:caps")
_EMOJI_CRC = zlib.crc32(b"m:emoji")
_CRC_TYPE = "I"  # array type code of unsigned 32-bit integers on every platform CPython runs on

# What a raw token does in ``tokens``: a word that negation can reach, another kept token, a
# punctuation mark (ends a negation scope), a negator (starts one) or an emoji (adds its words).
_WORD, _OTHER, _MARK, _NEGATOR, _EMOJI_TOKEN = range(5)
# A raw token as ``tokens`` outputs it: the CRCs of the output token's own features (``w:``
# first, then its ``c:`` n-grams) as the bytes of a uint32 array, its UTF-8, the CRC of
# ``b:tok ``, the output token, the raw token's kind and, for an emoji, its name's words (the
# same, each as a 6-tuple). Only atomic values, so the garbage collector stops tracking them.
_Token = tuple[bytes, bytes, int, str, int, tuple[Any, ...]]
# Tokens follow Zipf's law, so most of a tweet's tokens were seen before: each is hashed once
# and kept in a bounded cache (about 400 bytes a token), emptied when full.
TOKEN_CACHE_SIZE = 100_000
# Texts per batch in ``FeatureHasher.transform``; longer lists go in parts.
_CHUNK_TEXTS = 10_000
_TOKEN_CACHE: dict[str, _Token] = {}


@lru_cache(maxsize=64)
def _gram_slices(size: int) -> tuple[slice, ...]:
    """The slices of the 2- to 5-character n-grams of a padded token of ``size`` characters."""
    return tuple(slice(i, i + n) for n in (2, 3, 4, 5) for i in range(size - n + 1))


def _hash_token(token: str, kind: int = _OTHER, words: tuple[_Token, ...] = ()) -> _Token:
    crc = zlib.crc32
    encoded = token.encode("utf-8")
    crcs = [crc(encoded, _WORD_CRC)]
    if token[0].isalnum() and not token.startswith("not_"):
        if encoded.isascii():  # one byte per character: slice the bytes
            padded = b" " + encoded + b" "
            grams = map(padded.__getitem__, _gram_slices(len(padded)))
        else:
            text = " " + token + " "
            grams = map(str.encode, map(text.__getitem__, _gram_slices(len(text))))
        crcs += map(crc, grams, itertools.repeat(_CHAR_CRC))
    own = array(_CRC_TYPE, crcs).tobytes()
    return own, encoded, crc(b" ", crc(encoded, _PAIR_CRC)), token, kind, words


def _learn(token: str) -> _Token:
    """A raw token's kind and output token, hashed and added to the cache."""
    output = token
    words: tuple[_Token, ...] = ()
    if token[0] in "!?.,;:" and (token in _PUNCT or token[0] in "!?"):
        kind = _MARK
        output = token if len(token) < 3 else token[:2]
    elif token.endswith(("n't", "n’t")) or token in NEGATORS:
        kind = _NEGATOR
        output = token.replace("’", "'")
    elif len(token) == 1 and _EMOJI_RE.match(token):
        kind = _EMOJI_TOKEN
        words = tuple(map(_hash_token, emoji_words(token)))
    elif token[0].isalnum() and token not in ("xurl", "xuser"):
        kind = _WORD
    else:
        kind = _OTHER
    known = _hash_token(output, kind, words)
    if len(_TOKEN_CACHE) >= TOKEN_CACHE_SIZE:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[token] = known
    return known


def _tokens(text: str) -> list[_Token]:
    """The output tokens of a text, hashed (what ``tokens`` returns the strings of)."""
    out: list[_Token] = []
    append = out.append
    get = _TOKEN_CACHE.get
    scope = 0
    for token in TOKEN_RE.findall(fold(clean(text))):
        known = get(token) or _learn(token)
        kind = known[4]
        if kind == _WORD:
            if scope:
                scope -= 1
                token = "not_" + token
                known = get(token) or _learn(token)
        elif kind == _MARK:
            scope = 0
        elif kind == _NEGATOR:
            scope = NEGATION_SCOPE
        elif kind == _EMOJI_TOKEN:
            append(known)
            out.extend(known[5])
            continue
        append(known)
    return out


def tokens(text: str) -> list[str]:
    """The folded tokens of a text, negated words prefixed with ``not_``."""
    return [t[3] for t in _tokens(text)]


def feature_strings(text: str) -> list[str]:
    """Every feature of a text as a string: words, word pairs, char n-grams, cues."""
    toks = tokens(text)
    feats: list[str] = ["b:^" + toks[0] if toks else "b:^"]
    feats.extend("w:" + t for t in toks)
    feats.extend("b:" + a + " " + b for a, b in itertools.pairwise(toks))
    for tok in toks:
        if not tok[0].isalnum() or tok.startswith("not_"):
            continue
        padded = " " + tok + " "
        size = len(padded)
        for n in (2, 3, 4, 5):
            if n > size:
                break
            feats.extend("c:" + padded[i : i + n] for i in range(size - n + 1))
    if _CAPS_RE.search(text):
        feats.append("m:caps")
    if _EMOJI_RE.search(text):
        feats.append("m:emoji")
    return feats


def _batch_crcs(texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """The CRC of every feature of every text, end to end (any order within a text), and where
    each text ends. Every text has at least one feature (``b:^``)."""
    crc = zlib.crc32
    buf = array(_CRC_TYPE)
    extend = buf.frombytes
    append = buf.append
    ends: list[int] = []
    for text in texts:
        state = _CARET_CRC
        hashed = _tokens(text)
        if not hashed:
            append(state)  # b:^ alone
        for own, encoded, pair_state, _, _, _ in hashed:
            extend(own)
            append(crc(encoded, state))
            state = pair_state
        if _CAPS_RE.search(text):
            append(_CAPS_CRC)
        if not text.isascii() and _EMOJI_RE.search(text):
            append(_EMOJI_CRC)
        ends.append(len(buf))
    return np.frombuffer(buf, dtype=np.uint32), ends


@dataclass(frozen=True, slots=True)
class FeatureHasher:
    """Turns texts into sparse rows of hashed feature counts (CSR arrays).

    A feature's bucket is ``crc32(feature string) & (dim - 1)``; each token's CRCs are computed
    once and kept in a bounded cache.
    """

    bits: int = 20

    @property
    def dim(self) -> int:
        """Number of hash buckets."""
        return 1 << self.bits

    def indices(self, text: str) -> np.ndarray:
        """The bucket of every feature of one text (with repeats), in ``feature_strings`` order."""
        crc = zlib.crc32
        hashed = _tokens(text)
        own = [np.frombuffer(t[0], dtype=np.uint32) for t in hashed]
        crcs = [crc(hashed[0][1], _CARET_CRC) if hashed else _CARET_CRC]
        crcs.extend(int(o[0]) for o in own)
        crcs.extend(crc(b[1], a[2]) for a, b in itertools.pairwise(hashed))
        for o in own:
            crcs.extend(o[1:].tolist())
        if _CAPS_RE.search(text):
            crcs.append(_CAPS_CRC)
        if _EMOJI_RE.search(text):
            crcs.append(_EMOJI_CRC)
        return np.array(crcs, dtype=np.int64) & (self.dim - 1)

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR ``(data, indices, indptr)`` of L2-normalised counts, one row per text.

        Each row's indices are sorted and unique; its values are the float32 counts divided by
        the row's float32 L2 norm.
        """
        n = len(texts)
        indptr = np.zeros(n + 1, dtype=np.int64)
        if not n:
            return np.zeros(0, np.float32), np.zeros(0, np.int64), indptr
        if n > _CHUNK_TEXTS:  # a training set: bound the temporary arrays
            parts = [self.transform(texts[i : i + _CHUNK_TEXTS]) for i in range(0, n, _CHUNK_TEXTS)]
            done = 0
            for _, _, part_indptr in parts:
                size = part_indptr.size - 1
                indptr[done + 1 : done + size + 1] = part_indptr[1:] + indptr[done]
                done += size
            data = np.concatenate([part[0] for part in parts])
            return data, np.concatenate([part[1] for part in parts]), indptr
        crcs, ends = _batch_crcs(texts)
        ids = crcs & np.uint32(min(self.dim, 1 << 32) - 1)
        # Every text has at least one feature (``b:^``), so no row is empty. Sorting row by row
        # is faster than one sort of the whole batch (small sorts stay in cache or registers).
        starts = [0, *ends[:-1]]
        for lo, hi in zip(starts, ends, strict=True):
            ids[lo:hi].sort()
        first = np.empty(ids.size, dtype=bool)
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        first[starts] = True
        where = np.flatnonzero(first)
        counts = np.diff(where, append=ids.size)
        indices = ids[where].astype(np.int64)
        indptr[:-1] = np.searchsorted(where, starts)
        indptr[-1] = where.size
        values = counts.astype(np.float32)
        squares = np.add.reduceat(counts * counts, indptr[:-1])
        norms = np.sqrt(squares.astype(np.float32))
        # Below 2**24 every float32 partial sum of squared counts is exact, whatever the order;
        # above it the norm is summed as it always was, by np.dot, to give the same float32.
        for row in np.flatnonzero(squares >= 1 << 24):
            part = values[indptr[row] : indptr[row + 1]].copy()  # aligned like the old array
            norms[row] = np.sqrt(np.dot(part, part))
        values /= np.repeat(norms, np.diff(indptr))
        return values, indices, indptr
