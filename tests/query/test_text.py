"""Tokens, highlights and the parsed structure shown to people."""

from __future__ import annotations

import json

from slusha.query import compile_query, tokenize
from slusha.query.ast import to_dict


def test_tokens_kinds_offsets_positions() -> None:
    tokens = tokenize("Hi #Acme, @acme.support don’t e-mail")
    assert [(t.text, t.kind) for t in tokens] == [
        ("hi", "word"),
        ("acme", "hashtag"),
        ("acme.support", "mention"),
        ("don't", "word"),
        ("e-mail", "word"),
    ]
    assert [t.raw for t in tokens][:2] == ["Hi", "Acme"]
    assert [t.position for t in tokens] == [0, 1, 2, 3, 4]
    assert tokens[1].start == 4 and tokens[1].end == 8
    assert tokens[1].key == "#acme"


def test_highlights_cover_matched_words() -> None:
    text = "I love #Acme, but ACME never sent my refund. Jobs at acme!"
    spans = compile_query("acme NEAR/4 refund NOT jobs").highlights(text)
    # "refund. Jobs at acme" is a second close pair.
    assert [text[s:e] for s, e in spans] == ["ACME", "refund", "acme"]
    spans = compile_query("acme NEAR/1 refund").highlights(text)
    assert spans == []
    spans = compile_query("acme").highlights(text)
    assert [text[s:e] for s, e in spans] == ["#Acme", "ACME", "acme"]


def test_highlights_skip_negated_terms_and_fields() -> None:
    text = "acme jobs"
    assert compile_query("acme NOT jobs lang:en").highlights(text) == [(0, 4)]


def test_highlights_phrases_only_where_whole() -> None:
    text = "acme corp and acme alone"
    spans = compile_query('"acme corp"').highlights(text)
    assert [text[s:e] for s, e in spans] == ["acme", "corp"]


def test_highlights_map_back_through_normalisation() -> None:
    text = "ＡＣＭＥ and the o\ufb03ce don’t"
    query = compile_query("acme OR office OR don't")
    assert [text[s:e] for s, e in query.highlights(text)] == ["ＡＣＭＥ", "o\ufb03ce", "don’t"]


def test_highlights_with_title_count_in_the_joined_stream() -> None:
    spans = compile_query("acme").highlights("body acme", title="Acme")
    assert spans == [(0, 4), (10, 14)]


def test_dump_is_readable() -> None:
    dump = compile_query('(acme OR "acme corp" OR #acme*) NOT job* lang:en').dump()
    assert dump.splitlines() == [
        "AND",
        "  OR",
        "    word 'acme'",
        '    phrase "acme corp"',
        "      word 'acme'",
        "      word 'corp'",
        "    hashtag starting with 'acme'",
        "  NOT",
        "    word starting with 'job'",
        "  field lang:en",
    ]


def test_dump_of_near_and_exact_case() -> None:
    dump = compile_query("{Acme} NEAR/2f refund").dump()
    assert dump.splitlines() == [
        "NEAR (left before right, at most 2 words between)",
        "  word exact case 'Acme'",
        "  word 'refund'",
    ]


def test_to_dict_is_json() -> None:
    data = compile_query('acme NEAR/3 (refund OR "money back") followers:>=10').to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["type"] == "and"
    assert data["children"][0]["type"] == "near"
    assert data["children"][1] == {
        "type": "field",
        "name": "followers",
        "op": ">=",
        "value": 10,
        "start": 37,
    }
    assert to_dict(compile_query("acme").tree)["start"] == 0


def test_bare_word_with_inner_punctuation_is_a_phrase() -> None:
    query = compile_query("acme.com")
    assert query.dump().splitlines()[0] == 'phrase "acme com"'
    assert query.matches({"text": "visit acme.com today"})
    assert query.matches({"text": "acme com"})
    assert not query.matches({"text": "acme"})
