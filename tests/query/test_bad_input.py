"""Hostile and odd input: a clear error or a correct answer, never a crash or a hang."""

from __future__ import annotations

import pytest

from slusha.query import Matcher, QuerySyntaxError, compile_query, evaluate
from slusha.query.parser import MAX_NESTING
from tests.query.helpers import matches, post

KB = 1024


def test_100_kb_or_list() -> None:
    words = [f"brand{i}" for i in range(12_000)]
    query = " OR ".join(words)
    assert len(query) > 100 * KB
    compiled = compile_query(query)
    assert compiled.matches(post("we love brand11999"))
    assert not compiled.matches(post("we love brand"))
    matcher = Matcher({"big": query, "small": "brand5"})
    assert matcher.match(post("brand5 and brand7")) == {"big", "small"}


def test_100_kb_and_chain_with_negations() -> None:
    query = "acme " + " ".join(f"NOT spam{i}" for i in range(10_000))
    assert len(query) > 100 * KB
    compiled = compile_query(query)
    assert compiled.matches(post("acme is fine"))
    assert not compiled.matches(post("acme spam9999"))


def test_100_kb_phrase() -> None:
    words = [f"w{i}" for i in range(20_000)]
    query = '"' + " ".join(words) + '"'
    assert len(query) > 100 * KB
    compiled = compile_query(query)
    assert compiled.matches(post(" ".join(words)))
    assert not compiled.matches(post(" ".join(words[:-1])))


def test_100_kb_of_garbage_is_an_error() -> None:
    query = "acme " + "(" * (100 * KB)
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(query)
    assert info.value.position == 5


def test_100_kb_unclosed_quote() -> None:
    query = 'acme "' + "x " * (50 * KB)
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(query)
    assert info.value.position == 5


def test_1000_nested_parentheses_is_a_clear_error() -> None:
    query = "(" * 1000 + "acme" + ")" * 1000
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(query)
    assert info.value.position == MAX_NESTING
    assert "nested" in info.value.message


def test_1000_nested_alternating_groups_is_a_clear_error() -> None:
    query = "".join(f"(w{i} OR (v{i} AND " for i in range(500)) + "acme" + "))" * 500
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(query)
    assert "nested" in info.value.message


def test_nesting_up_to_the_limit_works() -> None:
    query = "".join(f"(w{i} OR (v{i} " for i in range(MAX_NESTING // 2)) + "acme"
    query += "))" * (MAX_NESTING // 2)
    compiled = compile_query(query)
    every_v = " ".join(f"v{i}" for i in range(MAX_NESTING // 2))
    assert compiled.matches(post(every_v + " acme"))
    assert not compiled.matches(post(every_v))
    assert compiled.matches(post("w0"))
    assert not compiled.matches(post("acme"))
    assert compiled.dump()
    assert matches(query, "v0 w1")


def test_1000_nots_in_a_row() -> None:
    assert matches("acme " + "NOT " * 1000 + "jobs", "acme jobs")  # even: NOT NOT = nothing
    assert not matches("acme " + "NOT " * 1001 + "jobs", "acme jobs")


def test_1_mb_post() -> None:
    text = ("lorem ipsum dolor acme sit amet refund " * 26_000)[: 1024 * KB]
    item = post(text)
    matcher = Matcher(
        {
            "near": "acme NEAR/2 refund",
            "far": "acme NEAR/0f refund",
            "phrase": '"dolor acme sit"',
            "wild": "ref*",
            "missing": "globex",
            "case": "{Acme}",
        }
    )
    assert matcher.match(item) == {"near", "phrase", "wild"}
    assert compile_query("acme NEAR/2 refund").highlights(text[:10_000])


def test_1_mb_post_near_with_many_occurrences_on_both_sides() -> None:
    # Every token is on both sides: a quadratic pair check would never finish.
    text = "a b " * (256 * KB)
    assert compile_query("a NEAR/0f b").matches(post(text))
    assert not compile_query("a NEAR/0f c").matches(post(text))
    assert compile_query('"a b" NEAR/0 "b a"').matches(post(text)) is False


def test_1_mb_single_token() -> None:
    text = "x" * (1024 * KB)
    assert compile_query("xxx*").matches(post(text))
    assert not compile_query("xxx").matches(post(text))


def test_emoji() -> None:
    assert matches("acme", "😀acme😀")
    assert matches("acme NEAR/0 refund", "acme 😡😡😡 refund")
    assert matches("#acme", "#acme🔥")
    assert not matches("#acme", "#🔥acme")
    assert matches("acme", "👨‍👩‍👧 acme")


def test_mixed_scripts() -> None:
    text = "Acme во Скопје: 退款 refund مرحبا acme-ов ΑΘΗΝΑ"
    assert matches("скопје", text)
    assert matches("退款", text)
    assert matches("مرحبا", text)
    assert matches("αθηνα", text)
    assert matches("acme-ов", text)
    assert matches('"скопје 退款 refund"', text)
    assert not matches("acme NEAR/0 refund", text)


def test_combining_marks_stay_in_words() -> None:
    assert matches("हिन्दी", "मैं हिन्दी बोलता हूँ")
    # A decomposed é (e + U+0301) is composed by NFKC and matches the composed one.
    assert matches("café", "cafe\u0301 time")
    assert matches("istanbul", "İstanbul") is False  # casefold("İ") keeps its dot
    assert matches("i̇stanbul", "İSTANBUL")


def test_control_characters_and_nul() -> None:
    assert matches("acme", "\x00acme\x07")
    assert matches("acme NEAR/0 corp", "acme\x00corp")


def test_surrogates_do_not_crash() -> None:
    # Lone surrogates cannot come from valid UTF-8, but a caller may pass any str.
    text = "acme \ud800 refund"
    assert compile_query("acme NEAR/0 refund").matches(post(text))


def test_missing_or_odd_post_fields() -> None:
    for item in [{}, {"text": None}, {"text": 5, "lang": 3, "author": "bob"}, {"title": "acme"}]:
        result = compile_query("acme OR lang:mk").matches(item)
        assert result == evaluate(compile_query("acme OR lang:mk").tree, item)
    assert compile_query("acme").matches({"title": "acme"})


def test_very_many_topics_on_one_word() -> None:
    matcher = Matcher({f"t{i}": f"shared NOT x{i}" for i in range(2000)})
    assert len(matcher.match(post("shared x5"))) == 1999
