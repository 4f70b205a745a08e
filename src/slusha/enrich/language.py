"""Language identification: lingua, restricted and thresholded, helped by script and hints.

Three things lingua alone gets wrong on social posts are handled here:

* scripts that only one supported language writes (Greek, Hebrew, Hangul, ...) are answered
  without a model, and texts are sent to a detector holding only the languages of their script;
* Cyrillic letters that some languages lack (Macedonian ``ѓ ќ ѕ``, Serbian ``ђ ћ``, both
  ``ј љ њ џ``; Bulgarian and East Slavic ``ъ щ ь ю я й``) rule those languages out;
* on short posts, what else is known (the network's tag, the author's earlier language, the
  source's language) is a prior that tips a close call, never a confident one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import lingua
from lingua import IsoCode639_1, LanguageDetectorBuilder

from slusha.errors import ConfigError

EUROPE: tuple[str, ...] = (
    "sq", "hy", "az", "eu", "be", "bs", "bg", "ca", "hr", "cs", "da", "nl", "en", "et", "fi",
    "fr", "ka", "de", "el", "hu", "is", "ga", "it", "lv", "lt", "mk", "nb", "nn", "pl", "pt",
    "ro", "ru", "sr", "sk", "sl", "es", "sv", "tr", "uk", "cy",
)  # fmt: skip
WORLD: tuple[str, ...] = (
    "ar", "bn", "zh", "fa", "gu", "he", "hi", "id", "ja", "kk", "ko", "ms", "mr", "pa", "sw",
    "tl", "ta", "te", "th", "ur", "vi",
)  # fmt: skip
DEFAULT_LANGUAGES: tuple[str, ...] = EUROPE + WORLD
DEFAULT_MIN_CONFIDENCE = 0.6
# Languages so close that a tag of one on a text of another is not "confidently wrong".
COMPATIBLE: tuple[frozenset[str], ...] = (
    frozenset({"sr", "hr", "bs"}),
    frozenset({"nb", "nn"}),
    frozenset({"ms", "id"}),
)
_NO_LANGUAGE = frozenset({"und", "zxx", "mul", "mis", "xx", "qme", "qht", "art"})

# Scripts written by one supported language only: answered without a model.
_SINGLE_SCRIPT: dict[str, str] = {
    "greek": "el",
    "hebrew": "he",
    "armenian": "hy",
    "georgian": "ka",
    "hangul": "ko",
    "kana": "ja",
    "thai": "th",
    "bengali": "bn",
    "gurmukhi": "pa",
    "gujarati": "gu",
    "tamil": "ta",
    "telugu": "te",
    "han": "zh",
}
_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(f"[{chars}]"))
    for name, chars in (
        ("latin", "A-Za-z\u00c0-\u024f\u1e00-\u1eff"),
        ("cyrillic", "\u0400-\u04ff\u0500-\u052f"),
        ("greek", "\u0370-\u03ff\u1f00-\u1fff"),
        ("arabic", "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff"),
        ("hebrew", "\u0590-\u05ff"),
        ("devanagari", "\u0900-\u097f"),
        ("bengali", "\u0980-\u09ff"),
        ("gurmukhi", "\u0a00-\u0a7f"),
        ("gujarati", "\u0a80-\u0aff"),
        ("tamil", "\u0b80-\u0bff"),
        ("telugu", "\u0c00-\u0c7f"),
        ("thai", "\u0e00-\u0e7f"),
        ("georgian", "\u10a0-\u10ff"),
        ("armenian", "\u0530-\u058f"),
        ("hangul", "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"),
        ("kana", "\u3040-\u30ff"),
        ("han", "\u4e00-\u9fff\u3400-\u4dbf"),
    )
)
_SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {
    "cyrillic": frozenset({"be", "bg", "kk", "mk", "mn", "ru", "sr", "uk"}),
    "arabic": frozenset({"ar", "fa", "ur"}),
    "devanagari": frozenset({"hi", "mr"}),
}
# Each Cyrillic alphabet, lower case: a letter outside it rules the language out.
_RU = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
CYRILLIC_ALPHABETS: dict[str, frozenset[str]] = {
    "ru": frozenset(_RU),
    "uk": frozenset("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"),
    "be": frozenset("абвгдеёжзйклмнопрстуўфхцчшыьэюяі"),
    "bg": frozenset("абвгдежзийклмнопрстуфхцчшщъьюя"),
    "mk": frozenset("абвгдѓежзѕијклљмнњопрстќуфхцчџш"),
    "sr": frozenset("абвгдђежзијклљмнњопрстћуфхцчџш"),
    "kk": frozenset(_RU + "әғқңөұүһі"),
    "mn": frozenset(_RU + "өү"),
}
_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff\u0500-\u052f]")
_NOISE = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+|[\d_]+")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class LanguageHints:
    """What else is known about a post's language; every field is an ISO 639-1 code or None.

    ``network`` is the language the network tagged (kept unless the text confidently says
    otherwise); ``author`` the author's language in earlier posts; ``source`` the language the
    source (feed, page, subreddit) is configured with. ``author`` and ``source`` only tip close
    calls on short texts.
    """

    network: str | None = None
    author: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Detection:
    """A detector's answer: ``lang`` (None when unsure), its confidence, and how it was found."""

    lang: str | None
    confidence: float
    method: str


def normalise_code(code: str | None) -> str | None:
    """``en-US`` -> ``en``; empty, ``und`` and similar non-languages -> None."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-", 1)[0]
    if not primary or primary in _NO_LANGUAGE or not primary.isalpha():
        return None
    return primary


def same_language(a: str, b: str) -> bool:
    """True when two codes are equal or in one group of near-identical languages."""
    return a == b or any(a in group and b in group for group in COMPATIBLE)


def script_counts(text: str) -> dict[str, int]:
    """Letters per script in a text (only scripts that occur)."""
    counts: dict[str, int] = {}
    for name, pattern in _SCRIPTS:
        found = len(pattern.findall(text))
        if found:
            counts[name] = found
    return counts


def _codes(languages: Iterable[str]) -> list[IsoCode639_1]:
    out = []
    for code in languages:
        try:
            out.append(IsoCode639_1.from_str(code))
        except ValueError:
            raise ConfigError(f"unknown language code {code!r} for language detection") from None
    return out


class LanguageDetector:
    """Detects the language of texts among ``languages``; answers None below ``min_confidence``.

    Confidence is the odds of the answer against the runner-up (see ``_best``): 0.5 is a tie.
    """

    def __init__(
        self,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        *,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        override_confidence: float = 0.95,
        override_min_letters: int = 15,
        short_text_letters: int = 30,
        hint_weight: float = 4.0,
        min_letters: int = 2,
        fast_confidence: float | None = 0.95,
        max_chars: int = 5000,
    ) -> None:
        if not languages:
            raise ConfigError("language detection needs at least one language")
        self.languages = frozenset(languages)
        self.min_confidence = min_confidence
        self.override_confidence = override_confidence
        self.override_min_letters = override_min_letters
        self.short_text_letters = short_text_letters
        self.hint_weight = hint_weight
        self.min_letters = min_letters
        self.fast_confidence = fast_confidence
        self.max_chars = max_chars
        _codes(sorted(self.languages))  # fail early on an unknown code
        self._detectors: dict[tuple[str, bool], lingua.LanguageDetector] = {}
        self._script_langs: dict[str, frozenset[str]] = {}
        for script, members in _SCRIPT_LANGUAGES.items():
            inside = members & self.languages
            if inside:
                self._script_langs[script] = inside
        non_latin = frozenset(_SINGLE_SCRIPT.values()).union(*_SCRIPT_LANGUAGES.values())
        self._script_langs["latin"] = self.languages - non_latin
        self._script_langs["other"] = self.languages

    def _detector(self, script: str, low: bool) -> lingua.LanguageDetector | None:
        langs = self._script_langs.get(script) or self._script_langs["other"]
        if not langs:
            return None
        key = (script, low)
        detector = self._detectors.get(key)
        if detector is None:
            builder = LanguageDetectorBuilder.from_iso_codes_639_1(*_codes(sorted(langs)))
            if low:
                builder = builder.with_low_accuracy_mode()
            detector = builder.build()
            self._detectors[key] = detector
        return detector

    def detect(self, text: str, hints: LanguageHints | None = None) -> Detection:
        """The language of one text."""
        return self.detect_many([text], [hints])[0]

    def detect_many(
        self, texts: Sequence[str], hints: Sequence[LanguageHints | None] | None = None
    ) -> list[Detection]:
        """The language of each text; detector calls are batched per script and run in parallel."""
        if hints is not None and len(hints) != len(texts):
            raise ValueError("hints must have one entry per text")
        results: list[Detection | None] = [None] * len(texts)
        pending: dict[str, list[tuple[int, str, int]]] = {}
        for i, text in enumerate(texts):
            cleaned = _NOISE.sub(" ", text[: self.max_chars])
            counts = script_counts(cleaned)
            letters = sum(counts.values())
            if letters < self.min_letters:
                results[i] = Detection(None, 0.0, "too-short")
                continue
            script = max(counts, key=lambda s: counts[s])
            if script == "han" and "kana" in counts:
                script = "kana"
            single = _SINGLE_SCRIPT.get(script)
            if single is not None and single in self.languages:
                results[i] = Detection(single, 1.0, "script")
                continue
            pending.setdefault(script, []).append((i, cleaned, letters))
        for script, items in pending.items():
            if self._detector(script, False) is None:
                for i, _, _ in items:
                    results[i] = Detection(None, 0.0, "unsupported-script")
                continue
            # Cascade: lingua's fast (trigram) mode first; what it is unsure of goes to the
            # accurate mode. Most posts are settled by the fast pass.
            unsure = items
            if self.fast_confidence is not None:
                unsure = []
                fast = self._run(script, True, items, hints)
                for item, detection in zip(items, fast, strict=True):
                    if detection.confidence >= self.fast_confidence:
                        results[item[0]] = detection
                    else:
                        unsure.append(item)
            for item, detection in zip(
                unsure, self._run(script, False, unsure, hints), strict=True
            ):
                results[item[0]] = detection
        return [r if r is not None else Detection(None, 0.0, "empty") for r in results]

    def _run(
        self,
        script: str,
        low: bool,
        items: list[tuple[int, str, int]],
        hints: Sequence[LanguageHints | None] | None,
    ) -> list[Detection]:
        if not items:
            return []
        detector = self._detector(script, low)
        assert detector is not None
        values = detector.compute_language_confidence_values_in_parallel(
            [cleaned for _, cleaned, _ in items]
        )
        out = []
        for (i, cleaned, letters), confs in zip(items, values, strict=True):
            scores = {c.language.iso_code_639_1.name.lower(): c.value for c in confs}
            hint = hints[i] if hints is not None else None
            out.append(self._decide(cleaned, letters, script, scores, hint))
        return out

    def _decide(
        self,
        text: str,
        letters: int,
        script: str,
        scores: dict[str, float],
        hints: LanguageHints | None,
    ) -> Detection:
        method = "lingua"
        if script == "cyrillic":
            scores, ruled_out = _rule_out_by_letters(text, scores)
            if ruled_out:
                method = "lingua+letters"
        network = normalise_code(hints.network) if hints else None
        priors = [normalise_code(h) for h in (hints.author, hints.source)] if hints else []
        if letters < self.short_text_letters:
            boosted = dict(scores)
            for code in {c for c in [network, *priors] if c}:
                if code in boosted:
                    boosted[code] *= self.hint_weight
            if boosted != scores:
                method += "+hints"
                scores = boosted
        best, confidence = _best(scores)
        if network is not None:
            overrides = (
                best is not None
                and not same_language(best, network)
                and confidence >= self.override_confidence
                and letters >= self.override_min_letters
            )
            if not overrides:
                kept = confidence if best is not None and same_language(best, network) else 0.0
                return Detection(network, kept, "network")
            return Detection(best, confidence, method + "+override")
        if best is None or confidence < self.min_confidence:
            return Detection(None, confidence, method)
        return Detection(best, confidence, method)


def _group(code: str) -> frozenset[str]:
    for group in COMPATIBLE:
        if code in group:
            return group
    return frozenset({code})


def _best(scores: dict[str, float]) -> tuple[str | None, float]:
    """The likeliest language and its odds against the runner-up outside its group.

    Confidence is ``p / (p + q)``: ``p`` the summed score of the best language's group
    (Serbian, Croatian and Bosnian count together), ``q`` the best score outside it. It is 0.5
    for a tie and 1.0 when nothing else is possible; lingua's own values spread over every
    similar language, so they say little on short texts.
    """
    if not scores or max(scores.values()) <= 0:
        return None, 0.0
    best = max(scores, key=lambda k: scores[k])
    group = _group(best)
    inside = sum(v for k, v in scores.items() if k in group)
    outside = max((v for k, v in scores.items() if k not in group), default=0.0)
    return best, round(inside / (inside + outside), 4)


def _rule_out_by_letters(text: str, scores: dict[str, float]) -> tuple[dict[str, float], bool]:
    """Drop Cyrillic languages whose alphabet lacks a letter of the text (if any remain)."""
    letters = set(_CYRILLIC_LETTER.findall(text.lower()))
    if not letters:
        return scores, False
    kept = {
        code: value
        for code, value in scores.items()
        if code not in CYRILLIC_ALPHABETS or letters <= CYRILLIC_ALPHABETS[code]
    }
    if not kept or len(kept) == len(scores):
        return scores, False
    return kept, True
