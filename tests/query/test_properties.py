"""Property tests: the matcher agrees with the reference evaluator; parsing never crashes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from slusha.query import Matcher, QuerySyntaxError, compile_query, evaluate
from slusha.query.ast import And, Field, Near, Node, Not, Or, Phrase, Term, to_query
from slusha.query.normalise import fold, raw_token_strings, token_strings, tokenize
from tests.query.helpers import post

SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WORDS = ["acme", "corp", "refund", "back", "jobs", "acmecorp", "café", "ѓубре", "don't", "e-mail"]
CASED = ["Acme", "ACME", "Corp", "Café", "Ѓубре"]
PREFIXES = ["acm", "acme", "ref", "ѓуб", "caf"]

terms = st.one_of(
    st.builds(
        Term,
        st.sampled_from(WORDS),
        st.sampled_from(["word", "word", "hashtag", "mention"]),
    ),
    st.builds(
        lambda v, k: Term(v, k, prefix=True),
        st.sampled_from(PREFIXES),
        st.sampled_from(["word", "word", "hashtag", "mention"]),
    ),
    st.builds(lambda v: Term(v, "word", exact_case=True), st.sampled_from(CASED)),
)
phrases = st.builds(
    lambda ts: Phrase(tuple(ts)),
    st.lists(
        st.one_of(
            st.builds(Term, st.sampled_from(WORDS)),
            st.builds(lambda v: Term(v, prefix=True), st.sampled_from(PREFIXES)),
        ),
        min_size=2,
        max_size=3,
    ),
)
fields = st.one_of(
    st.builds(lambda v: Field("lang", v), st.sampled_from(["en", "mk"])),
    st.builds(lambda v: Field("network", v), st.sampled_from(["x", "reddit"])),
    st.builds(lambda v: Field("author", v), st.sampled_from(["bob", "acme_support"])),
    st.builds(lambda v: Field("site", v), st.sampled_from(["example.com", "b.example.com"])),
    st.builds(
        lambda op, n: Field("followers", n, op=op),
        st.sampled_from([">", "<", ">=", "<=", "="]),
        st.sampled_from([0, 10, 1000]),
    ),
)
near_operands = st.one_of(
    terms,
    phrases,
    st.builds(
        lambda cs: Or(tuple(cs)), st.lists(st.one_of(terms, phrases), min_size=2, max_size=3)
    ),
)
nears = st.builds(
    Near,
    near_operands,
    near_operands,
    st.integers(min_value=0, max_value=3),
    st.booleans(),
)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(lambda cs: And(tuple(cs)), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda cs: Or(tuple(cs)), st.lists(children, min_size=2, max_size=3)),
        st.builds(Not, children),
    )


trees = st.recursive(st.one_of(terms, phrases, fields, nears), _extend, max_leaves=8)

TOKENS = [*WORDS, *CASED, "acmecorp", "refunded", "ѓубреto", "money", "x", "and"]
post_tokens = st.builds(
    lambda prefix, word: prefix + word,
    st.sampled_from(["", "", "", "#", "@"]),
    st.sampled_from(TOKENS),
)
separators = st.sampled_from([" ", " ", ", ", " - ", "! ", "\n", " 😀 "])


@st.composite
def posts(draw: st.DrawFn) -> dict[str, Any]:
    words = draw(st.lists(post_tokens, max_size=12))
    text = "".join(w + draw(separators) for w in words)
    item = post(text)
    if draw(st.booleans()):
        item["title"] = draw(st.sampled_from(["Acme news", "refund", "Ѓубре"]))
    if draw(st.booleans()):
        item["lang"] = draw(st.sampled_from(["en", "mk", "EN", "en-US"]))
    item["network"] = draw(st.sampled_from(["x", "reddit", "rss"]))
    if draw(st.booleans()):
        author: dict[str, Any] = {"handle": draw(st.sampled_from(["bob", "@Acme_Support", "eve"]))}
        if draw(st.booleans()):
            author["followers"] = draw(st.sampled_from([0, 9, 10, 11, 999, 1000, 1001]))
        item["author"] = author
    if draw(st.booleans()):
        item["url"] = draw(
            st.sampled_from(
                ["https://example.com/a", "https://a.b.example.com/", "https://x.org/", "nope"]
            )
        )
    return item


def _compiles(tree: Node) -> str | None:
    text = to_query(tree)
    try:
        compile_query(text)
    except QuerySyntaxError:
        return None  # a negation-only combination: rightly rejected
    return text


@SETTINGS
@given(st.lists(trees, min_size=1, max_size=6), st.lists(posts(), min_size=1, max_size=6))
def test_matcher_agrees_with_reference(
    tree_list: list[Node], post_list: list[dict[str, Any]]
) -> None:
    queries = {f"t{i}": q for i, t in enumerate(tree_list) if (q := _compiles(t)) is not None}
    assume(queries)
    matcher = Matcher(queries)
    compiled = {topic: compile_query(q) for topic, q in queries.items()}
    for item in post_list:
        expected = {t for t, q in compiled.items() if evaluate(q.tree, item)}
        assert matcher.match(item) == expected, (queries, item)
        assert matcher.may_match(item) or not expected, (queries, item)  # the prefilter
        for topic, query in compiled.items():
            assert query.matches(item) == (topic in expected)


@SETTINGS
@given(
    st.lists(trees, min_size=2, max_size=6),
    st.lists(posts(), min_size=1, max_size=4),
    st.data(),
)
def test_incremental_changes_agree_with_reference(
    tree_list: list[Node], post_list: list[dict[str, Any]], data: st.DataObject
) -> None:
    queries = [q for t in tree_list if (q := _compiles(t)) is not None]
    assume(len(queries) >= 2)
    matcher = Matcher()
    live: dict[str, str] = {}
    for step, query in enumerate(queries):
        topic = f"t{data.draw(st.integers(0, 3))}"
        matcher.add(topic, query)
        live[topic] = query
        if data.draw(st.booleans()) and live:
            gone = data.draw(st.sampled_from(sorted(live)))
            matcher.remove(gone)
            del live[gone]
        for item in post_list:
            expected = {t for t, q in live.items() if compile_query(q).matches(item)}
            assert matcher.match(item) == expected, (step, live, item)
            assert matcher.may_match(item) or not expected, (step, live, item)
            assert expected == {t for t, q in live.items() if evaluate(compile_query(q).tree, item)}


@SETTINGS
@given(trees)
def test_rendered_trees_parse_back_to_the_same_tree(tree: Node) -> None:
    text = _compiles(tree)
    assume(text is not None)
    assert text is not None
    again = to_query(compile_query(text).tree)
    assert to_query(compile_query(again).tree) == again


QUERY_PIECES = [
    "acme", "Acme", "AND", "OR", "NOT", "NEAR/2", "NEAR/0f", "NEAR/", "NEAR", "(", ")", '"',
    "{", "}", "*", "ac*", "acme*", "#", "@", "#acme", "@acme.x", "lang:", "lang:mk",
    "followers:>", "followers:>=10", "site:example.com", "colour:red", ":", "/", "\u201c",
    "\u201d", "\u201e", "😀", "ѓ", "-", "'", "’", "_", ".", " ", "  ", "\t", "\n", "\x00",
]  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(QUERY_PIECES), max_size=16).map("".join))
def test_parser_never_crashes_on_query_like_text(text: str) -> None:
    _parse_or_error(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_parser_never_crashes_on_any_text(text: str) -> None:
    _parse_or_error(text)


def _parse_or_error(text: str) -> None:
    try:
        query = compile_query(text)
    except QuerySyntaxError as exc:
        assert exc.message
        assert 0 <= exc.position <= len(text)
        return
    # A query that compiles can be used on any post without failing.
    query.matches(post(text))
    query.highlights(text)
    assert query.dump()


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_fast_tokens_equal_canonical_tokens(text: str) -> None:
    canonical = tokenize(text)
    assert token_strings(fold(text)) == [t.key for t in canonical]
    raw = raw_token_strings(text)
    assert [r.lstrip("#@") for r in raw] == [t.raw for t in canonical]
    assert [t.position for t in canonical] == list(range(len(canonical)))


small_terms = st.one_of(
    st.builds(Term, st.sampled_from(["a1", "b2", "c3"]), st.sampled_from(["word", "hashtag"])),
    st.builds(lambda v: Term(v, prefix=True), st.sampled_from(["a1x", "b2x"])),
)
small_operands = st.one_of(
    small_terms,
    st.builds(lambda ts: Phrase(tuple(ts)), st.lists(small_terms, min_size=2, max_size=2)),
    st.builds(lambda cs: Or(tuple(cs)), st.lists(small_terms, min_size=2, max_size=2)),
)


@settings(max_examples=600, deadline=None)
@given(
    st.builds(Near, small_operands, small_operands, st.integers(0, 3), st.booleans()),
    st.lists(st.sampled_from(["a1", "b2", "c3", "#a1", "a1xy", "b2xz", "z"]), max_size=10),
)
def test_near_and_phrases_agree_with_reference(tree: Near, words: list[str]) -> None:
    query = to_query(tree)
    item = post(" ".join(words))
    expected = evaluate(compile_query(query).tree, item)
    assert compile_query(query).matches(item) == expected
    assert (Matcher({"t": query}).match(item) == {"t"}) == expected
