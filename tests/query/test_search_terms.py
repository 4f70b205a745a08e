"""Backfill asks networks for words that every matching post contains."""

from __future__ import annotations

import pytest

from slusha.query import compile_query, search_terms


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("acme", ["acme"]),
        ("#acme NOT job*", ["acme"]),
        ("acme OR #acmecorp OR @acme_support", ["acme", "acmecorp", "acme_support"]),
        ('(acme OR acmecorp) NEAR/5 (refund OR "money back")', ["acme", "acmecorp"]),
        ("acme refund", ["acme"]),
        ("lang:mk лумио*", ["лумио"]),
        ('"acme corp" OR {Acme}', ['"acme corp"', "Acme"]),
        ("acme OR acme", ["acme"]),
    ],
)
def test_search_terms(query: str, terms: list[str]) -> None:
    assert search_terms(query) == terms


def test_every_matching_post_contains_one_of_the_terms() -> None:
    query = '(acme OR acmecorp) NEAR/5 (refund OR "money back") NOT job*'
    post = {
        "network": "x",
        "id": "1",
        "text": "Acmecorp: where is my money back?",
        "created_at": "2026-11-27T09:00:00Z",
    }
    assert compile_query(query).matches(post)
    assert any(t.strip('"').lower() in post["text"].lower() for t in search_terms(query))
