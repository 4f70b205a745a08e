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

import heapq
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import lingua
from lingua import IsoCode639_1, LanguageDetectorBuilder

from slusha.domain.languages import EUROPE, WORLD, normalise_code
from slusha.enrich.words import WordLanguages, words_of
from slusha.errors import ConfigError

DEFAULT_LANGUAGES: tuple[str, ...] = EUROPE + WORLD
DEFAULT_MIN_CONFIDENCE = 0.6
# Languages so close that a tag of one on a text of another is not "confidently wrong".
COMPATIBLE: tuple[frozenset[str], ...] = (
    frozenset({"sr", "hr", "bs"}),
    frozenset({"nb", "nn"}),
    frozenset({"ms", "id"}),
)

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
_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())
_EUROPEAN = tuple(s for s in _SCRIPTS if s[0] in {"latin", "cyrillic", "greek", "armenian"})
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


def same_language(a: str, b: str) -> bool:
    """True when two codes are equal or in one group of near-identical languages."""
    return a == b or any(a in group and b in group for group in COMPATIBLE)


def script_counts(text: str) -> dict[str, int]:
    """Letters per script in a text (only scripts that occur)."""
    counts: dict[str, int] = {}
    if not text:
        return counts
    if text.isascii():  # most posts: count A-Z and a-z in C, without a list of matches
        found = len(text.encode("ascii").translate(None, _ASCII_NON_LETTERS))
        if found:
            counts["latin"] = found
        return counts
    highest = ord(max(text))  # most posts: Latin (below Greek), or up to Armenian
    scripts = _SCRIPTS[:1] if highest < 0x370 else _EUROPEAN if highest < 0x590 else _SCRIPTS
    for name, pattern in scripts:
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

    Confidence is the odds of the answer against the runner-up (see ``_best``). Speed comes from
    three things (measured in ``bench/enrich.py``): lingua's fast (trigram) mode settles most
    texts and only the unsure ones are scored again in its accurate mode, and then only among
    the ``accurate_candidates`` likeliest languages of the fast pass (the others are too far
    behind to win; the cost of lingua grows with the number of languages); a text whose words
    were mostly seen before is scored in the fast pass only against the few languages those
    words were confidently read in (``self.words``, up to ``word_memory`` words, learnt from
    texts scored against every language), and a text whose known words all say one language
    (not one of the near-identical groups) is settled by them without lingua (method
    ``words``, confidence ``words_confidence``: how often such answers were right on held-out
    tweets, so that they pass the same gates as lingua's sure answers); identical texts are
    scored once (within a batch and across the last ``cache_size`` texts: reposts, retweets).
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
        accurate_candidates: int | None = 8,
        cache_size: int = 20_000,
        max_chars: int = 5000,
        word_memory: int = 100_000,
        learn_confidence: float = 0.9,
        narrowed_confidence: float = 0.995,
        words_confidence: float = 0.98,
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
        self.accurate_candidates = accurate_candidates
        self.cache_size = cache_size
        self.max_chars = max_chars
        self.learn_confidence = learn_confidence
        self.narrowed_confidence = narrowed_confidence
        self.words_confidence = words_confidence
        self.words = WordLanguages(size=word_memory)
        _codes(sorted(self.languages))  # fail early on an unknown code
        self._detectors: dict[tuple[frozenset[str], bool], lingua.LanguageDetector] = {}
        self._cache: dict[_Key, Detection] = {}
        self._lock = threading.Lock()
        self._script_langs: dict[str, frozenset[str]] = {}
        for script, members in _SCRIPT_LANGUAGES.items():
            inside = members & self.languages
            if inside:
                self._script_langs[script] = inside
        non_latin = frozenset(_SINGLE_SCRIPT.values()).union(*_SCRIPT_LANGUAGES.values())
        self._script_langs["latin"] = self.languages - non_latin
        self._script_langs["other"] = self.languages

    def warm_up(self) -> None:
        """Load every language model now (seconds, once per process) rather than mid-batch.

        lingua loads models lazily, and the accurate pass only ever asks for the few
        candidate languages of each text, so without this the first hours of ingest would keep
        stopping to load another language's models.
        """
        for script, langs in self._script_langs.items():
            if script != "other" and langs:  # the accurate mode's models hold the fast mode's
                builder = LanguageDetectorBuilder.from_iso_codes_639_1(*_codes(sorted(langs)))
                builder.with_preloaded_language_models().build()

    def clear_cache(self) -> None:
        """Forget the scores of texts seen before (benchmarks call this between passes)."""
        self._cache.clear()

    def _langs(self, script: str) -> frozenset[str]:
        return self._script_langs.get(script) or self._script_langs["other"]

    def _detector(self, langs: frozenset[str], low: bool) -> lingua.LanguageDetector:
        key = (langs, low)
        detector = self._detectors.get(key)
        if detector is None:
            # Cheap to build: lingua shares its models between detectors.
            builder = LanguageDetectorBuilder.from_iso_codes_639_1(*_codes(sorted(langs)))
            if low:
                builder = builder.with_low_accuracy_mode()
            detector = builder.build()
            with self._lock:
                if len(self._detectors) >= _MAX_DETECTORS:  # candidate subsets: forget the oldest
                    self._detectors.pop(next(iter(self._detectors)), None)
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
        # Texts to score, per script; identical (text, hints) pairs are scored once.
        pending: dict[str, dict[_Key, _Item]] = {}
        cache = self._cache
        for i, text in enumerate(texts):
            cleaned = _NOISE.sub(" ", text[: self.max_chars])
            key = (cleaned, _hint_codes(hints[i]) if hints is not None else _NO_HINTS)
            cached = cache.get(key)
            if cached is not None:
                results[i] = cached
                continue
            counts = script_counts(cleaned)
            letters = sum(counts.values())
            if letters < self.min_letters:
                results[i] = Detection(None, 0.0, "too-short")
                continue
            script = max(counts, key=counts.__getitem__)
            if script == "han" and "kana" in counts:
                script = "kana"
            single = _SINGLE_SCRIPT.get(script)
            if single is not None and single in self.languages:
                results[i] = Detection(single, 1.0, "script")
                continue
            by_key = pending.setdefault(script, {})
            item = by_key.get(key)
            if item is None:
                by_key[key] = _Item(cleaned, letters, key[1], [i])
            else:
                item.indices.append(i)
        for script, items in pending.items():
            langs = self._langs(script)
            if not langs:
                for item in items.values():
                    for i in item.indices:
                        results[i] = Detection(None, 0.0, "unsupported-script")
                continue
            self._score(script, langs, list(items.values()))
            for key, item in items.items():
                assert item.detection is not None
                self._remember(key, item.detection)
                for i in item.indices:
                    results[i] = item.detection
        return [r if r is not None else Detection(None, 0.0, "empty") for r in results]

    def _score(self, script: str, langs: frozenset[str], items: list[_Item]) -> None:
        """Set ``item.detection``: lingua's fast pass, then its accurate one where unsure.

        The fast pass scores a text only against the languages its known words vote for
        (``self.words``) when there are any, else against every language of its script; the
        texts scored against every language and found with confidence teach ``self.words``.
        """
        unsure = items
        if self.fast_confidence is not None:
            unsure = []
            for group, members in self._fast_groups(script, langs, items).items():
                fast = self._lingua(group, True, [item.text for item in members])
                for item, scores in zip(members, fast, strict=True):
                    item.scores = scores
                    item.detection = self._decide(
                        item.text, item.letters, script, scores, item.hints
                    )
                    # Fewer languages leave less to share the probability: a narrowed fast
                    # pass must be surer to skip the accurate one.
                    sure = self.narrowed_confidence if item.narrowed else self.fast_confidence
                    if item.detection.confidence < sure:
                        unsure.append(item)
        # The accurate pass, grouped by the languages still in the running.
        groups: dict[frozenset[str], list[_Item]] = {}
        for item in unsure:
            groups.setdefault(self._candidates(langs, script, item), []).append(item)
        for candidates, members in groups.items():
            accurate = self._lingua(candidates, False, [item.text for item in members])
            for item, scores in zip(members, accurate, strict=True):
                item.detection = self._decide(item.text, item.letters, script, scores, item.hints)
        for item in items:
            found = item.detection
            if item.narrowed is not None and found is not None:
                item.detection = Detection(found.lang, found.confidence, found.method + "+words")
            elif (
                item.words
                and found is not None
                and found.lang is not None
                and found.method.startswith("lingua")
                and "+hints" not in found.method
                and found.confidence >= self.learn_confidence
                and item.letters >= self.short_text_letters
            ):
                self.words.learn(item.words, found.lang, _rivals(item.scores, found.lang))

    def _fast_groups(
        self, script: str, langs: frozenset[str], items: list[_Item]
    ) -> dict[frozenset[str], list[_Item]]:
        """Texts grouped by the languages their fast pass scores: word votes, else all.

        A text its known words settle (``WordLanguages.decided``) gets its detection here and
        joins no group.
        """
        groups: dict[frozenset[str], list[_Item]] = {}
        if self.words.size <= 0 or len(langs) <= _NARROW_ABOVE:
            groups[langs] = items
            return groups
        # A threshold stricter than the words' measured precision leaves every text to lingua.
        settle = self.words_confidence >= self.min_confidence
        for item in items:
            item.words = words_of(item.text)
            decided = self.words.decided(item.words) if settle else None
            if decided is not None and decided[0] in langs and decided[0] not in _GROUP_OF:
                lang = decided[0]
                found = self._decide(item.text, item.letters, script, {lang: 1.0}, item.hints)
                if found.lang == lang:  # not a network's language that the words cannot outvote
                    method = "words+override" if found.method.endswith("+override") else "words"
                    item.detection = Detection(lang, self.words_confidence, method)
                    continue
            voted = self.words.candidates(item.words)
            chosen = langs
            if voted is not None:
                wanted = set(voted).union(*(_group(code) for code in voted))
                wanted.update(code for code in item.hints if code)
                narrowed = frozenset(wanted & langs)
                if len(narrowed) >= 2:  # one language alone would be "sure" by construction
                    chosen = narrowed
                    item.narrowed = chosen
            groups.setdefault(chosen, []).append(item)
        return groups

    def _candidates(self, langs: frozenset[str], script: str, item: _Item) -> frozenset[str]:
        """The languages an unsure text is scored against again: the fast pass's best few."""
        if item.narrowed is not None:  # already few; one set for many texts keeps lingua parallel
            return item.narrowed
        limit = self.accurate_candidates
        if limit is None or item.scores is None or len(langs) <= limit:
            return langs
        scores = item.scores
        if script == "cyrillic":
            scores, _ = _rule_out_by_letters(item.text, scores)
        ranked = sorted(scores, key=scores.__getitem__, reverse=True)[:limit]
        chosen = set(ranked).union(*(_group(code) for code in ranked))
        chosen.update(code for code in item.hints if code)
        return frozenset(chosen & langs)

    def _lingua(self, langs: frozenset[str], low: bool, texts: list[str]) -> list[dict[str, float]]:
        detector = self._detector(langs, low)
        if len(texts) == 1:
            values = [detector.compute_language_confidence_values(texts[0])]
        else:
            values = detector.compute_language_confidence_values_in_parallel(texts)
        return [{_CODE[c.language]: c.value for c in confs} for confs in values]

    def _remember(self, key: _Key, detection: Detection) -> None:
        if self.cache_size <= 0 or len(key[0]) > _MAX_CACHED_CHARS:
            return
        with self._lock:
            if len(self._cache) >= self.cache_size:  # forget the oldest
                self._cache.pop(next(iter(self._cache)), None)
            self._cache[key] = detection

    def _decide(
        self,
        text: str,
        letters: int,
        script: str,
        scores: dict[str, float],
        hints: _Hints,
    ) -> Detection:
        method = "lingua"
        if script == "cyrillic":
            scores, ruled_out = _rule_out_by_letters(text, scores)
            if ruled_out:
                method = "lingua+letters"
        network = hints[0]
        if letters < self.short_text_letters:
            boosted = dict(scores)
            for code in {c for c in hints if c}:
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


_Hints = tuple[str | None, str | None, str | None]  # network, author, source (normalised)
_Key = tuple[str, _Hints]
_NO_HINTS: _Hints = (None, None, None)
_MAX_DETECTORS = 2048
_NARROW_ABOVE = 12  # scripts with more languages than this are narrowed by word votes
_MAX_CACHED_CHARS = 1000  # reposts and retweets are short; long texts rarely repeat
_CODE: dict[lingua.Language, str] = {
    language: language.iso_code_639_1.name.lower() for language in lingua.Language.all()
}


@dataclass(slots=True)
class _Item:
    """One distinct text waiting for lingua, and the batch positions that share it."""

    text: str
    letters: int
    hints: _Hints
    indices: list[int]
    scores: dict[str, float] | None = None  # of the fast pass
    detection: Detection | None = None
    words: tuple[str, ...] = ()
    # The languages its words voted for, when it was scored against those rather than all.
    narrowed: frozenset[str] | None = None


def _hint_codes(hints: LanguageHints | None) -> _Hints:
    if hints is None:
        return _NO_HINTS
    return (
        normalise_code(hints.network),
        normalise_code(hints.author),
        normalise_code(hints.source),
    )


_GROUP_OF: dict[str, frozenset[str]] = {code: group for group in COMPATIBLE for code in group}


def _group(code: str) -> frozenset[str]:
    return _GROUP_OF.get(code) or frozenset({code})


def _rivals(scores: dict[str, float] | None, lang: str, count: int = 3) -> list[str]:
    """The ``count`` best-scored languages outside ``lang``'s group."""
    if not scores:
        return []
    group = _group(lang)
    others = [code for code in scores if code not in group]
    return heapq.nlargest(count, others, key=scores.__getitem__)


def _best(scores: dict[str, float]) -> tuple[str | None, float]:
    """The likeliest language and its odds against the runner-up outside its group.

    Confidence is ``p / (p + q)``: ``p`` the summed score of the best language's group
    (Serbian, Croatian and Bosnian count together), ``q`` the best score outside it. It is 0.5
    for a tie and 1.0 when nothing else is possible; lingua's own values spread over every
    similar language, so they say little on short texts.
    """
    if not scores:
        return None, 0.0
    best = max(scores, key=scores.__getitem__)
    top = scores[best]
    if top <= 0:
        return None, 0.0
    group = _GROUP_OF.get(best)
    if group is None:
        inside = top
        runner_up = heapq.nlargest(2, scores.values())
        outside = runner_up[1] if len(runner_up) > 1 else 0.0
    else:
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
