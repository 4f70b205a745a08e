"""The author's earlier language tips their short posts (the enricher remembers it)."""

from __future__ import annotations

from typing import Any

from slusha.domain.post import parse_post
from slusha.enrich import Enricher, LanguageHints
from slusha.enrich.authors import AuthorLanguages, author_key

LONG_MK = "Денес во Скопје беше убав ден, отидовме на прошетка покрај Вардар и вечеравме."
SHORT_MK = "посебно"  # one Macedonian word: read as Serbian without a hint


def _post(pid: str, text: str, handle: str | None, **extra: Any) -> dict[str, Any]:
    post: dict[str, Any] = {"network": "mastodon", "id": pid, "text": text,
                            "created_at": "2026-11-27T09:00:00+00:00", **extra}  # fmt: skip
    if handle is not None:
        post["author"] = {"handle": handle}
    return post


def _fresh(enricher: Enricher) -> Enricher:
    """The session's loaded models with an empty author memory."""
    return Enricher(detector=enricher.detector, sentiment_model=enricher.sentiment_model)


def test_a_short_post_gets_the_language_of_the_authors_long_post(enricher: Enricher) -> None:
    fresh = _fresh(enricher)
    assert fresh.enrich([_post("0", SHORT_MK, "ana")])[0].lang != "mk"  # nothing known yet
    first = fresh.enrich([_post("1", LONG_MK, "ana")])
    assert first[0].lang == "mk"
    later = fresh.enrich([_post("2", SHORT_MK, "@Ana"), _post("3", SHORT_MK, "boris")])
    assert later[0].lang == "mk"  # same author (handle case and @ do not matter)
    assert later[1].lang != "mk"  # another author gets no hint
    # The store's Post works as well as a post-format dict.
    assert fresh.enrich([_post("4", LONG_MK, "vesna")])[0].lang == "mk"
    assert fresh.enrich([parse_post(_post("5", SHORT_MK, "vesna"))])[0].lang == "mk"  # a Post


def test_a_given_author_hint_wins_over_the_memory(enricher: Enricher) -> None:
    fresh = _fresh(enricher)
    fresh.enrich([_post("1", LONG_MK, "ana")])
    hinted = fresh.enrich([_post("2", SHORT_MK, "ana")], hints=[LanguageHints(author="sr")])
    assert hinted[0].lang == "sr"


def test_short_or_unsure_posts_teach_nothing() -> None:
    memory = AuthorLanguages(min_letters=30, min_confidence=0.9, size=2)
    key = ("mastodon", "ana")
    memory.remember(key, "kratko", "hr", 1.0)
    memory.remember(key, "a" * 40, "hr", 0.5)
    memory.remember(key, "1234567890 " * 5, "hr", 1.0)  # long, but not letters
    assert memory.get(key) is None
    memory.remember(key, "Danas je bio lijep dan u Zagrebu, šetali smo.", "hr", 0.95)
    assert memory.get(key) == "hr"
    memory.remember(None, LONG_MK, "mk", 1.0)  # no author: nothing to remember
    assert len(memory) == 1


def test_the_memory_is_bounded_and_keeps_recent_authors() -> None:
    memory = AuthorLanguages(min_letters=5, size=2)
    text = "enough letters here"
    memory.remember(("x", "a"), text, "en", 1.0)
    memory.remember(("x", "b"), text, "de", 1.0)
    assert memory.get(("x", "a")) == "en"  # a is now the most recent
    memory.remember(("x", "c"), text, "fr", 1.0)
    assert memory.get(("x", "b")) is None and memory.get(("x", "a")) == "en"
    assert len(memory) == 2
    memory.clear()
    assert len(memory) == 0


def test_author_key_uses_the_id_then_the_handle() -> None:
    assert author_key(_post("1", "x", None)) is None
    assert author_key(_post("1", "x", " @Ana ")) == ("mastodon", "ana")
    with_id = _post("1", "x", "ana")
    with_id["author"]["id"] = "109"
    assert author_key(with_id) == ("mastodon", "109")
    assert author_key({"network": "x", "author": "not an object"}) is None
