"""How the matcher indexes a topic: branches, index keys, what is left to check."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from slusha.query import Matcher, compile_query
from slusha.query.normalise import ASCII_TOKENS, FAST_TOKENS, fold, tagged_words, token_strings
from slusha.query.plan import ANY, plan
from tests.query.helpers import post


def _branches(query: str) -> list:
    branches = plan(compile_query(query).tree).branches
    assert branches is not None
    return list(branches)


def test_or_of_terms_is_one_exact_branch() -> None:
    (branch,) = _branches("acme OR #acme OR @acme OR acme* OR lang:mk")
    assert branch.is_exact
    assert branch.keys == {"acme", "#acme", "@acme", " acme", " #acme", " @acme", "\x00lang:mk"}


def test_exclusions_alone_make_a_guarded_branch() -> None:
    (branch,) = _branches("(acme OR #acme) NOT (jobs OR promo*)")
    assert branch.is_guarded and branch.check is None
    assert branch.keys == {"acme", "#acme"}
    assert branch.exclude == {"jobs", " promo", " #promo", " @promo"}


def test_set_tests_left_over_are_checked_without_a_predicate() -> None:
    (branch,) = _branches("(acmecorp OR globex) AND (refund OR price) lang:en")
    assert branch.keys == {"acmecorp", "globex"}
    assert branch.every == {"\x00lang:en"} and branch.some == {"refund", "price"}
    assert branch.check is None and not branch.is_exact and not branch.is_guarded


def test_mixed_or_splits_into_exact_and_checked_branches() -> None:
    exact, phrase = _branches('"acme corp" OR globex OR #acme')
    assert exact.is_exact and exact.keys == {"globex", "#acme"}
    # The phrase is indexed on one word; the other is a necessary key tested as a set.
    assert len(phrase.keys) == 1 and phrase.check is not None
    assert phrase.keys | phrase.every == {"acme", "corp"}


def test_near_keeps_the_other_side_as_a_necessary_set() -> None:
    (branch,) = _branches('acmecorp NEAR/3 (refund OR "money back")')
    assert branch.keys == {"acmecorp"}
    assert branch.some == {"refund", "money"} and branch.every == set()
    assert branch.check is not None


def test_unindexable_topics_are_checked_on_every_post() -> None:
    assert plan(compile_query("followers:>1000").tree).branches is None
    assert plan(compile_query("acme OR followers:>10").tree).branches is None
    (branch,) = _branches("acme followers:>10")
    assert branch.some is ANY and branch.check is not None


def test_guards_decide_with_and_without_excluded_words() -> None:
    m = Matcher({"a": "(acme OR #acme) NOT (jobs OR promo*)", "b": "acme NOT spam"})
    assert m.match(post("acme news")) == {"a", "b"}
    assert m.match(post("acme jobs")) == {"b"}
    assert m.match(post("#acme promotion spam")) == set()
    assert m.match(post("acme spam")) == {"a"}


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_ascii_tokens_equal_fast_tokens(text: str) -> None:
    folded = text.lower()
    assert ASCII_TOKENS.findall(folded) == FAST_TOKENS.findall(folded)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab1-'_.#@ ＃é\u0301ѓ", max_size=40) | st.text(max_size=40))
def test_tag_words_are_tag_tokens_without_their_sign(text: str) -> None:
    folded = fold(text)
    derived = [t[1:] for t in token_strings(folded) if t[0] in "#@"]
    assert derived == tagged_words(folded)
