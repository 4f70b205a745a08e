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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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


def tokens(text: str) -> list[str]:
    """The folded tokens of a text, negated words prefixed with ``not_``."""
    folded = fold(clean(text))
    out: list[str] = []
    scope = 0
    for token in TOKEN_RE.findall(folded):
        if token[0] in "!?.,;:" and (token in _PUNCT or token[0] in "!?"):
            scope = 0
            out.append(token if len(token) < 3 else token[:2])
            continue
        if token.endswith(("n't", "n’t")) or token in NEGATORS:
            out.append(token.replace("’", "'"))
            scope = NEGATION_SCOPE
            continue
        if _EMOJI_RE.fullmatch(token):
            out.append(token)
            out.extend(emoji_words(token))
        elif scope and token[0].isalnum() and token not in ("xurl", "xuser"):
            out.append("not_" + token)
            scope -= 1
        else:
            out.append(token)
    return out


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


@dataclass(frozen=True, slots=True)
class FeatureHasher:
    """Turns texts into sparse rows of hashed feature counts (CSR arrays)."""

    bits: int = 20

    @property
    def dim(self) -> int:
        """Number of hash buckets."""
        return 1 << self.bits

    def indices(self, text: str) -> np.ndarray:
        """The bucket of every feature of one text (with repeats)."""
        mask = self.dim - 1
        crc = zlib.crc32
        return np.fromiter(
            (crc(f.encode("utf-8")) & mask for f in feature_strings(text)), dtype=np.int64
        )

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR ``(data, indices, indptr)`` of L2-normalised counts, one row per text."""
        all_idx: list[np.ndarray] = []
        all_val: list[np.ndarray] = []
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        for row, text in enumerate(texts):
            idx, counts = np.unique(self.indices(text), return_counts=True)
            values = counts.astype(np.float32)
            norm = float(np.sqrt(np.dot(values, values)))
            if norm:
                values /= norm
            all_idx.append(idx)
            all_val.append(values)
            indptr[row + 1] = indptr[row] + idx.size
        if not all_idx:
            return np.zeros(0, np.float32), np.zeros(0, np.int64), indptr
        return np.concatenate(all_val), np.concatenate(all_idx), indptr
