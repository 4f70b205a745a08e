"""The choices docs/query-language.md lists where the spec is silent, one test each."""

from __future__ import annotations

import pytest

from slusha.query import QuerySyntaxError, compile_query
from tests.query.helpers import matches, post


def test_exact_case_matches_inside_tags() -> None:
    assert matches("{Acme}", "#Acme")
    assert matches("{Acme}", "@Acme")
    assert not matches("{Acme}", "#acme")
    assert matches("{#Acme}", "#Acme")
    assert not matches("{#Acme}", "Acme")


def test_exact_case_is_still_normalised() -> None:
    assert matches("{Acme}", "Ａｃｍｅ")
    assert not matches("{Acme}", "ａｃｍｅ")


def test_exact_case_phrase() -> None:
    assert matches("{Acme Corp}", "the Acme Corp team")
    assert not matches("{Acme Corp}", "the Acme corp team")


def test_wildcards_inside_tags_and_phrases() -> None:
    assert matches("acme*", "@acme.support")
    assert matches('"acme corp*"', "acme corporation")
    assert not matches('"acme corp*"', "acme big corporation")


def test_wildcard_is_weighted_as_commoner_than_a_word() -> None:
    required = compile_query("acme* AND refund").required
    assert required is not None and required.keys == {"refund"}


def test_rarer_side_of_and_is_indexed() -> None:
    required = compile_query("(acmecorp OR #acme) lang:en").required
    assert required is not None and required.keys == {"acmecorp", "#acme"}
    required = compile_query("acme NEAR/3 (refund OR chargeback OR return)").required
    assert required is not None and required.keys == {"acme"}


def test_field_only_queries_are_indexed_except_followers() -> None:
    assert compile_query("lang:mk").required is not None
    assert compile_query("author:acme").required is not None
    assert compile_query("site:example.com").required is not None
    assert compile_query("followers:>1000").required is None
    assert compile_query("followers:>1000 lang:mk").required is not None


def test_punctuation_around_a_word_is_ignored() -> None:
    assert compile_query("acme!").dump() == "word 'acme'"
    assert matches("acme!", "acme")


def test_near_sides_must_not_overlap() -> None:
    assert not matches("acme NEAR/0 acme", "acme")
    assert matches("acme NEAR/0 acme", "acme acme")
    assert not matches('"acme corp" NEAR/2 corp', "acme corp")
    assert matches('"acme corp" NEAR/2 corp', "acme corp and corp")


def test_typographic_quotes() -> None:
    assert matches("\u201cacme corp\u201d", "acme corp")
    assert matches("\u201eacme corp\u201c", "acme corp")
    assert not matches("\u201cacme corp\u201d", "corp acme")


def test_lang_ignores_region_and_case() -> None:
    assert matches("lang:en", post("x", lang="en-US"))
    assert matches("lang:en", post("x", lang="EN_gb"))


def test_site_accepts_uppercase_and_final_dot() -> None:
    assert matches("site:Example.COM.", post("x", url="https://www.example.com/"))


def test_followers_forms() -> None:
    item = post("x", author={"handle": "a", "followers": 1_500_000})
    assert matches("followers:>1m", item)
    assert matches("followers:>=1_500_000", item)
    assert not matches("followers:<1m", item)


@pytest.mark.parametrize("query", ["lang:e", "lang:eng", "site:a..b", "followers:>10x"])
def test_malformed_field_values(query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_query(query)
