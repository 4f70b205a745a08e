"""Which languages words were written in, learnt from confident detections: a candidate filter.

lingua's cost grows with the number of languages it scores (its fast mode costs about 12 µs
per language per tweet), and most of a stream's texts are written with words seen many times
before. This memory keeps, for each word of every text that lingua read *against every
language of its script* and was sure of, how often it was seen in which language, and which
languages came closest on those texts (rivals). A later text whose words are mostly known, and
mostly in one language, is then scored only against that language, its usual rivals, their
near-identical neighbours and any hinted language; a text with unknown or mixed-language
words, or too few words, is scored against every language as before and teaches the memory.

A text whose words settle it on their own (``decided``: at least 4 words, three quarters of
them known, every known word seen in one language and at least half of them in no other) is
not scored at all: method ``words``. Languages with near-identical neighbours (Serbian,
Croatian, Bosnian; the Norwegians; Malay and Indonesian) are never settled this way.

Only full scorings teach it, so what it learns is never biased by its own narrowing: a
language the stream has never carried confidently is never excluded by a text whose words
it does not know. The memory is bounded and lives in the process (a restart relearns it within
a few thousand posts).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]{2,}")
MAX_WORD_LETTERS = 30  # longer "words" (spam, glued hashtags) say little and would fill memory


def words_of(text: str) -> tuple[str, ...]:
    """The distinct lower-case words of 2 to 30 letters, in order of first use."""
    found = _WORD.findall(text.lower())
    return tuple(dict.fromkeys(w for w in found if len(w) <= MAX_WORD_LETTERS))


class WordLanguages:
    """A bounded, thread-safe tally of the languages each word was confidently seen in.

    ``candidates(words)`` returns the language most of a text's known words were seen in and
    the ``rivals`` languages that most often came closest to it; or None when fewer than
    ``min_known`` words, or less than ``min_known_share`` of them, are known, or when no
    language holds ``min_top_share`` of them (mixed-language texts, where a narrowed fast pass
    is overconfident): then the text must be scored against every language.
    """

    def __init__(
        self,
        *,
        size: int = 100_000,
        min_known: int = 2,
        min_known_share: float = 0.3,
        min_share: float = 0.05,
        min_top_share: float = 0.8,
        rivals: int = 2,
        decide_words: int = 4,
        decide_known: float = 0.75,
        decide_exclusive: float = 0.5,
    ) -> None:
        self.size = size
        self.min_known = min_known
        self.min_known_share = min_known_share
        self.min_share = min_share
        self.min_top_share = min_top_share
        self.rivals = rivals
        self.decide_words = decide_words
        self.decide_known = decide_known
        self.decide_exclusive = decide_exclusive
        self._table: dict[str, dict[str, int]] = {}
        # Per word, the languages that hold at least ``min_share`` of its sightings.
        self._counted: dict[str, tuple[str, ...]] = {}
        self._rivals: dict[str, dict[str, int]] = {}
        self._top_rivals: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._table)

    def learn(self, words: Iterable[str], lang: str, rivals: Iterable[str] = ()) -> None:
        """Count each word as seen in ``lang`` (from a confident, full detection).

        ``rivals`` are the languages that came closest to ``lang`` on that text: every narrowed
        set holds its best language's usual rivals, so that lingua still has something to
        weigh it against.
        """
        if self.size <= 0:
            return
        table = self._table
        counted = self._counted
        with self._lock:
            seen = self._rivals.setdefault(lang, {})
            for rival in rivals:
                seen[rival] = seen.get(rival, 0) + 1
            top = sorted(seen, key=seen.__getitem__, reverse=True)[: self.rivals]
            self._top_rivals[lang] = tuple(top)
            for word in words:
                langs = table.get(word)
                if langs is None:
                    if len(table) >= self.size:  # full: forget the older half
                        for old in list(table)[: self.size // 2]:
                            del table[old]
                            del counted[old]
                    table[word] = {lang: 1}
                    counted[word] = (lang,)
                else:
                    langs[lang] = langs.get(lang, 0) + 1
                    floor = self.min_share * sum(langs.values())
                    counted[word] = tuple(code for code, n in langs.items() if n >= floor)

    def candidates(self, words: tuple[str, ...]) -> list[str] | None:
        """The language most of the known words were seen in, then its rivals; None: score all.

        A word counts for a language when at least ``min_share`` of its sightings were in it.
        Languages are ranked by how many known words count for them, and the best must hold
        ``min_top_share`` of the known words. Its rivals come after it, most often seen first.
        The set depends only on the best language, so a batch's texts fall into a few large
        groups that lingua scores in parallel.
        """
        if len(words) < self.min_known:
            return None
        cover: dict[str, int] = {}
        known = 0
        counted = self._counted
        with self._lock:
            for word in words:
                langs = counted.get(word)
                if langs is None:
                    continue
                known += 1
                for lang in langs:
                    cover[lang] = cover.get(lang, 0) + 1
            if known < self.min_known or known < self.min_known_share * len(words) or not cover:
                return None
            best = max(cover, key=cover.__getitem__)  # ties: the language first counted
            if cover[best] < self.min_top_share * known:  # mixed or unclear: score all
                return None
            return [best, *self._top_rivals.get(best, ())]

    def decided(self, words: tuple[str, ...]) -> tuple[str, float] | None:
        """The language a text's words settle on their own, with a confidence; else None.

        Much stricter than ``candidates``: at least ``decide_words`` words, ``decide_known``
        of them known, every known word seen in the same language, and most known words seen
        in no other. A text like that is in its words' language for every purpose here; lingua
        would only confirm it. The second value is the share of known words seen in no other
        language (at least ``decide_exclusive``). It is not the answer's odds: such answers are
        right about 98 % of the time at every share from 0.5 to 1 (``docs/benchmarks.md``), so
        the detector reports its own calibrated ``words_confidence`` for them.
        """
        if self.decide_words <= 0 or len(words) < self.decide_words:
            return None
        counted = self._counted
        best: str | None = None
        known = exclusive = 0
        with self._lock:
            for word in words:
                langs = counted.get(word)
                if langs is None:
                    continue
                known += 1
                if len(langs) == 1:
                    lang = langs[0]
                    if best is None:
                        best = lang
                    elif lang != best:
                        return None
                    exclusive += 1
                elif best is not None and best not in langs:
                    return None
        if best is None or known < self.decide_known * len(words):
            return None
        share = exclusive / known
        if share < self.decide_exclusive:
            return None
        for word in words:  # words seen in several languages must include the winner
            langs = counted.get(word)
            if langs is not None and best not in langs:
                return None
        return best, round(share, 4)

    def clear(self) -> None:
        """Forget every word and rival."""
        with self._lock:
            self._table.clear()
            self._counted.clear()
            self._rivals.clear()
            self._top_rivals.clear()
