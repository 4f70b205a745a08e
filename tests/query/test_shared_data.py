"""Real tweets from ../shared/data: the matcher agrees with the reference evaluator on them."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from slusha.query import Matcher, compile_query, evaluate

QUERIES = {
    "love": "love OR #love",
    "near": "(i OR we) NEAR/2 (love OR hate)",
    "phrase": '"i love"',
    "wild": "tomorr* NOT (game OR match)",
    "tags": "#ff OR @youtube",
    "sr": "(danas OR sutra) lang:sr",
    "bg": "днес OR утре",
    "case": "{Obama} OR {APPLE}",
    "slo": "je NEAR/0f bil*",
    "field": "followers:>1000 lang:hr",
}


def _posts(data: Path) -> list[dict[str, Any]]:
    rng = random.Random(7)
    posts: list[dict[str, Any]] = []
    text_file = data / "tweeteval-sentiment" / "val_text.txt"
    if text_file.is_file():
        lines = text_file.read_text(encoding="utf-8").splitlines()
        posts += [{"network": "x", "text": t, "lang": "en"} for t in lines[:400]]
    for path in sorted((data / "mozetic-twitter-sentiment-balkan").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for _, line in zip(range(200), handle, strict=False):
                row = json.loads(line)
                posts.append(
                    {
                        "network": "x",
                        "text": row["text"],
                        "lang": row.get("lang"),
                        "author": {"handle": "u", "followers": rng.choice([None, 10, 5000])},
                    }
                )
    if not posts:
        pytest.skip("no tweet collections in the shared data")
    return posts


def test_real_tweets_agree_with_reference(shared_data: Path) -> None:
    posts = _posts(shared_data)
    matcher = Matcher(QUERIES)
    trees = {t: compile_query(q).tree for t, q in QUERIES.items()}
    hits = 0
    for item in posts:
        expected = {t for t, tree in trees.items() if evaluate(tree, item)}
        assert matcher.match(item) == expected, item["text"]
        hits += len(expected)
    # The queries were chosen to match some real tweets: the check is not vacuous.
    assert hits > 50
