"""Hashed sentiment features: the cached, batched hashing gives exactly what the plain one gave.

The reference below is the straightforward implementation the shipped model was trained with:
every feature built as a string, ``crc32`` of each, ``np.unique`` per text. The fast path must
give the same buckets, counts and float32 values, so the model file needs no retraining.
"""

from __future__ import annotations

import itertools
import sys
import unicodedata
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slusha.enrich import LinearSentimentModel, features, text
from slusha.enrich.features import (
    _CAPS_RE,
    _EMOJI_RE,
    _PUNCT,
    NEGATION_SCOPE,
    NEGATORS,
    TOKEN_RE,
    FeatureHasher,
    emoji_words,
    feature_strings,
    tokens,
)
from slusha.enrich.model import softmax

# --- the reference: the implementation before the fast path, written out plainly -----------

_REFERENCE_FOLD = str.maketrans({**text._CYRILLIC_TO_LATIN, **text._LATIN_SPECIAL})


def reference_fold(value: str) -> str:
    lowered = value.lower().translate(_REFERENCE_FOLD)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def reference_clean(value: str) -> str:
    if "\\u" in value:
        value = text._ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), value)
    if "&" in value:
        for entity, char in text._ENTITY.items():
            value = value.replace(entity, char)
    value = text.URL_RE.sub(" xurl ", value)
    value = text.USER_RE.sub(" xuser ", value)
    return text._REPEAT_RE.sub(r"\1\1", value)


def reference_tokens(value: str) -> list[str]:
    out: list[str] = []
    scope = 0
    for token in TOKEN_RE.findall(reference_fold(reference_clean(value))):
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


def reference_feature_strings(value: str) -> list[str]:
    toks = reference_tokens(value)
    feats = ["b:^" + toks[0] if toks else "b:^"]
    feats.extend("w:" + t for t in toks)
    feats.extend("b:" + a + " " + b for a, b in itertools.pairwise(toks))
    for tok in toks:
        if not tok[0].isalnum() or tok.startswith("not_"):
            continue
        padded = " " + tok + " "
        for n in (2, 3, 4, 5):
            feats.extend("c:" + padded[i : i + n] for i in range(len(padded) - n + 1))
    if _CAPS_RE.search(value):
        feats.append("m:caps")
    if _EMOJI_RE.search(value):
        feats.append("m:emoji")
    return feats


def reference_indices(value: str, bits: int) -> np.ndarray:
    mask = (1 << bits) - 1
    return np.array(
        [zlib.crc32(f.encode("utf-8")) & mask for f in reference_feature_strings(value)],
        dtype=np.int64,
    )


def reference_transform(texts: list[str], bits: int) -> tuple[np.ndarray, ...]:
    all_val, all_idx = [], []
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    for row, value in enumerate(texts):
        idx, counts = np.unique(reference_indices(value, bits), return_counts=True)
        values = counts.astype(np.float32)
        norm = float(np.sqrt(np.dot(values, values)))
        if norm:
            values /= norm
        all_idx.append(idx)
        all_val.append(values)
        indptr[row + 1] = indptr[row] + idx.size
    if not texts:
        return np.zeros(0, np.float32), np.zeros(0, np.int64), indptr
    return np.concatenate(all_val), np.concatenate(all_idx), indptr


def reference_proba(model: LinearSentimentModel, texts: list[str]) -> np.ndarray:
    data, indices, indptr = reference_transform(texts, model.hasher.bits)
    logits = np.add.reduceat(model.weights[indices] * data[:, None], indptr[:-1], axis=0)
    return softmax((logits + model.bias) / model.temperature)


# --- texts ------------------------------------------------------------------------------------

TEXTS = [
    "",
    "   ",
    "I love it",
    "I LOVE IT!!! Best. Day. Ever. 😍😍😍",
    "The update is not good at all, I don't like it and I won’t recommend it",
    "never ever buying this again... hardly worth it?!",
    "Ужасна услуга, никогаш повеќе! Не е добро.",
    "Одлично сте го направиле ова, браво ќе дојдам",
    "Ужасно обслужване, никога повече. Нищо не работи.",
    "Usluga nije bila dobra, nisam zadovoljan, nema šanse. Đak, čaša, ćevapi.",
    "Das ist wirklich schlecht, ich bin sehr enttäuscht. Straße, Größe",
    "Me encanta, es genial! ¿Qué tal? Ça va très bien, jamais sans toi",
    "هذا رائع جدا، أحب هذا المنتج",
    "यह बहुत अच्छा है, मुझे पसंद आया",
    "這個產品很好 😀 👍🏽 👨‍👩‍👧 ❤️ ✨ ☀ ⭐",
    "Ελληνικά κείμενα με τόνους: καλημέρα",
    "İstanbul'da KELVIN sign K and long ſ, æ œ ø ł ß ı đ",
    "@someone check https://example.com/x?y=1 and WWW.Example.org or wWw.x.y :) :-( ;) <3 </3",
    "soooooo goooood!!!!!! whyyyy??? 1111 ____ __init__",
    "escaped \\u00e9t\\u00e9 &amp; &lt;3 &gt; &quot;quoted&quot; &#39;s",
    "not_good xurl xuser not not not good good good",
    "tab\tnew\nline\r\n carriage",
    "punct only . , ; : ! ? !? ?! ...",
    "a",
    "😡",
    "❶ ① ² ½ Ⅻ ❶❷ x❶",  # numeric characters, one of them in an emoji range
    # Counts above 4,096: the squared counts pass 2**24, float32 sums round, and this text's
    # norm as np.dot sums it differs from the exact one (55119.305 against 55119.3).
    "ok " * 7980 + "love " * 8855 + "awful " * 4633 + "x " * 4204 + "meh " * 7940,
    " ".join(f"word{i} mixed{i % 7} слово{i % 13}" for i in range(3000)),  # a very long text
]


@pytest.mark.parametrize("bits", [20, 8])
def test_transform_equals_the_reference(bits: int) -> None:
    hasher = FeatureHasher(bits)
    got = hasher.transform(TEXTS)
    want = reference_transform(TEXTS, bits)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    # A text gets the same row alone as in a batch.
    for row, value in enumerate(TEXTS):
        data, indices, _ = hasher.transform([value])
        lo, hi = got[2][row], got[2][row + 1]
        np.testing.assert_array_equal(indices, got[1][lo:hi])
        np.testing.assert_array_equal(data, got[0][lo:hi])


def test_tokens_features_and_indices_equal_the_reference() -> None:
    hasher = FeatureHasher()
    for value in TEXTS:
        assert tokens(value) == reference_tokens(value)
        assert feature_strings(value) == reference_feature_strings(value)
        got = hasher.indices(value)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, reference_indices(value, 20))


def test_a_full_token_cache_is_emptied_and_results_stay_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(features, "TOKEN_CACHE_SIZE", 5)
    features._TOKEN_CACHE.clear()
    texts = TEXTS[:-2] * 2
    got = FeatureHasher().transform(texts)
    assert len(features._TOKEN_CACHE) <= 5
    for g, w in zip(got, reference_transform(texts, 20), strict=True):
        np.testing.assert_array_equal(g, w)


def test_long_lists_are_transformed_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "_CHUNK_TEXTS", 4)
    texts = TEXTS[:-2]
    for g, w in zip(FeatureHasher().transform(texts), reference_transform(texts, 20), strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_shipped_model_probabilities_equal_the_reference() -> None:
    model = LinearSentimentModel.load()
    got = model.predict_proba(TEXTS)
    np.testing.assert_allclose(got, reference_proba(model, TEXTS), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(got.argmax(axis=1), reference_proba(model, TEXTS).argmax(axis=1))


def test_fold_and_clean_equal_the_reference_for_every_character() -> None:
    # More characters than the learning translate tables hold, so they are emptied on the way.
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000:  # lone surrogates cannot be encoded anyway
            continue
        value = "Wa" + chr(code) + "\u0301b"
        assert text.fold(value) == reference_fold(value), hex(code)
        assert text.clean(value) == reference_clean(value), hex(code)


_PIECES = [
    "good", "bad", "not", "never", "don't", "isn’t", "ne", "nije", "love", "hate", "xurl",
    "Ужасно", "добро", "ќе", "šta", "Größe", "İ", "😍", "😡", "👍🏽", "❤️", "☀", ":)", ":-(",
    "<3", "!", "?!", "...", ",", ";", ":", "@user", "http://t.co/x", "www.a.b", "&amp;", "\\u00e9",
    "AWFUL", "sooooo", "a", "12", "_", "not_x", "é", "\u0301", "\t", " ",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from([*_PIECES, " ", " "]), max_size=40).map("".join)))
def test_random_texts_equal_the_reference(texts: list[str]) -> None:
    got = FeatureHasher().transform(texts)
    for g, w in zip(got, reference_transform(texts, 20), strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    for value in texts:
        assert tokens(value) == reference_tokens(value)
