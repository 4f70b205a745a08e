"""Post hygiene: text that is not valid Unicode is repaired, sizes are capped, dates clamped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from slusha.domain.hygiene import (
    PostLimits,
    clamp_future,
    is_valid_unicode,
    repair_text,
    sanitise_post,
)
from slusha.domain.post import Author, Post, PostFormatError, parse_post

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
HALF_EMOJI = "\ud83d"  # the first half of 😀 alone, as a JSON "\ud83d" escape gives it


def raw(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "network": "webhook", "id": "1", "text": "Acme works", "created_at": NOW.isoformat(),
    }  # fmt: skip
    return {**base, **changes}


def test_lone_surrogates_become_replacement_characters_and_pairs_their_character() -> None:
    assert repair_text(f"broken {HALF_EMOJI} text") == "broken \ufffd text"
    assert repair_text("\ud83d\ude00") == "😀"  # a pair kept as two halves is joined
    assert repair_text("\ude00\ud83d") == "\ufffd\ufffd"  # halves in the wrong order
    assert repair_text("Вести 😀") == "Вести 😀"
    assert not is_valid_unicode(HALF_EMOJI) and is_valid_unicode("😀")


def test_a_post_with_lone_surrogates_is_repaired_everywhere_and_says_so() -> None:
    body = json.loads(
        '{"network": "webhook", "id": "a\\ud83d", "text": "sale \\ud83d!", '
        '"created_at": "2026-11-27T08:00:00Z", "title": "\\udc00", '
        '"author": {"name": "Ana \\ud83d", "handle": "ana"}, '
        '"extra": {"note\\ud83d": ["x\\ud83d", {"deep": "\\ud83d"}]}, '
        '"metrics": {"likes\\ud83d": 3}}'
    )
    post = parse_post(body)
    assert post.text == "sale \ufffd!" and post.id == "a\ufffd" and post.title == "\ufffd"
    assert post.author is not None and post.author.name == "Ana \ufffd"
    assert post.extra["note\ufffd"] == ["x\ufffd", {"deep": "\ufffd"}]
    assert post.metrics == {"likes\ufffd": 3}
    repaired = post.extra["slusha"]["repaired"]
    assert {"id", "text", "title", "author.name", "metrics"} <= set(repaired)
    orjson.dumps(post.to_dict())  # what the bus, the database and the detector need


def test_posts_built_by_connectors_are_repaired_too() -> None:
    post = Post(network="rss", id="1", text=f"x{HALF_EMOJI}", created_at=NOW,
                author=Author(handle=HALF_EMOJI))  # fmt: skip
    sanitise_post(post)
    assert post.text == "x\ufffd" and post.author is not None and post.author.handle == "\ufffd"


def test_text_title_and_html_are_cut_to_their_caps_and_the_cut_is_recorded() -> None:
    limits = PostLimits(text_chars=1000, title_chars=100, html_chars=2000)
    post = parse_post(raw(text="a" * 5000, title="t" * 150, html="<p>" * 1000), limits=limits)
    assert len(post.text) == 1000 and len(post.title or "") == 100 and len(post.html or "") == 2000
    assert post.extra["slusha"]["cut"] == {"text": 5000, "title": 150, "html": 3000}
    untouched = parse_post(raw(text="short"), limits=limits)
    assert "slusha" not in untouched.extra


def test_extra_nested_too_deep_is_refused_with_its_reason() -> None:
    deep: Any = "bottom"
    for _ in range(900):
        deep = [deep]
    with pytest.raises(PostFormatError) as info:
        parse_post(raw(extra={"tree": deep}))
    assert info.value.key == "extra" and "nested more than 32 levels" in info.value.reason
    shallow = parse_post(raw(extra={"a": {"b": {"c": [1, 2, {"d": True}]}}}))
    assert shallow.extra == {"a": {"b": {"c": [1, 2, {"d": True}]}}}


def test_numbers_larger_than_64_bits() -> None:
    with pytest.raises(PostFormatError) as info:
        parse_post(raw(metrics={"likes": 2**64}))
    assert info.value.key == "metrics.likes" and "larger than" in info.value.reason
    with pytest.raises(PostFormatError):
        parse_post(raw(author={"followers": 2**70}))
    # In extra (kept untouched otherwise) such a number travels as text.
    post = parse_post(raw(extra={"big": 2**70, "fine": 2**62}))
    assert post.extra["big"] == str(2**70) and post.extra["fine"] == 2**62
    orjson.dumps(post.to_dict())


def test_a_post_dated_far_in_the_future_is_dated_when_it_arrived() -> None:
    limits = PostLimits(future_tolerance_seconds=600)
    far = parse_post(raw(created_at="9999-12-31T23:59:59+00:00"))
    clamp_future(far, now=NOW, limits=limits)
    assert far.created_at == NOW
    assert far.extra["slusha"]["created_at_given"] == "9999-12-31T23:59:59+00:00"
    skewed = parse_post(raw(created_at=(NOW + timedelta(minutes=5)).isoformat()))
    clamp_future(skewed, now=NOW, limits=limits)
    assert skewed.created_at == NOW + timedelta(minutes=5)  # within the tolerance: clock skew
