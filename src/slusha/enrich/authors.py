"""The language each author last wrote in, read from their longer posts: a hint for short ones.

Detectors fail on one- to three-word posts (a single Macedonian word is often read as Bulgarian
or Serbian). An author who wrote a long Macedonian post an hour ago most likely writes
Macedonian now, so the enricher remembers, per (network, author), the language of each post
long enough to be read with confidence and passes it as ``LanguageHints.author`` for that
author's next posts. Only texts under the detector's short-text limit are tipped by it, so a
long post always speaks for itself. The memory is bounded (least recently used authors go
first) and lives in the process: a restart starts afresh, which costs only the hint.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from slusha.domain.post import Post

AuthorKey = tuple[str, str]


def author_key(post: Post | Mapping[str, Any]) -> AuthorKey | None:
    """``(network, author id or handle)``, or None when the post names no author."""
    network: Any
    who: Any
    if isinstance(post, Post):
        network, author = post.network, post.author
        who = (author.id or author.handle) if author is not None else None
    else:
        network = post.get("network")
        raw = post.get("author")
        who = (raw.get("id") or raw.get("handle")) if isinstance(raw, Mapping) else None
    if not isinstance(network, str) or not isinstance(who, str) or not who.strip():
        return None
    return network, who.strip().lstrip("@").lower()


class AuthorLanguages:
    """A bounded, thread-safe memory of each author's language in their last confident post."""

    def __init__(
        self, *, size: int = 50_000, min_letters: int = 30, min_confidence: float = 0.9
    ) -> None:
        self.size = size
        self.min_letters = min_letters
        self.min_confidence = min_confidence
        self._langs: OrderedDict[AuthorKey, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._langs)

    def get(self, key: AuthorKey | None) -> str | None:
        """The author's remembered language, if any."""
        if key is None:
            return None
        with self._lock:
            lang = self._langs.get(key)
            if lang is not None:
                self._langs.move_to_end(key)
            return lang

    def remember(
        self, key: AuthorKey | None, text: str, lang: str | None, confidence: float
    ) -> None:
        """Keep ``lang`` for the author when the text was long enough to be sure of it."""
        if key is None or lang is None or self.size <= 0 or confidence < self.min_confidence:
            return
        if len(text) < self.min_letters or sum(ch.isalpha() for ch in text) < self.min_letters:
            return
        with self._lock:
            self._langs[key] = lang
            self._langs.move_to_end(key)
            while len(self._langs) > self.size:
                self._langs.popitem(last=False)

    def clear(self) -> None:
        """Forget every author."""
        with self._lock:
            self._langs.clear()
