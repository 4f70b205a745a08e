"""Every rule and example of shared/spec/query-language.md, each as a test."""

from __future__ import annotations

import pytest

from slusha.query import compile_query
from slusha.query.ast import to_query
from tests.query.helpers import matches, post

# ## Examples (the spec's table, verbatim)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("acme", "I love #Acme!", True),
        ("#acme", "Acme is great", False),
        ('"acme corp"', "ACME  Corp, again", True),
        ("acme NOT job*", "Acme jobs available", False),
        ("acme NEAR/2 refund", "acme never sent my refund", False),
        ("acme NEAR/3 refund", "acme never sent my refund", True),
        ("refund NEAR/3f acme", "acme never sent my refund", False),
        ("{Slack}", "cut me some slack", False),
    ],
)
def test_spec_examples(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


# ## Text model


def test_title_then_body_is_one_stream() -> None:
    item = post("corp says hello", title="News about Acme")
    assert matches('"acme corp"', item)
    assert matches("news NEAR/0 about", item)
    assert matches("hello", item)


def test_nfkc_full_width_and_ligatures() -> None:
    assert matches("acme", "ＡＣＭＥ rocks")
    assert matches("office", "the o\ufb03ce is open")  # the ffi ligature


def test_case_folding_is_full() -> None:
    assert matches("strasse", "Die STRASSE")
    assert matches("straße", "Die Strasse")  # casefold("ß") == "ss"
    assert matches("ΣΟΦΙΑ", "σοφια")


def test_typographic_apostrophe_reads_as_straight() -> None:
    assert matches("don't", "I don’t like it")
    assert matches("don’t", "I don't like it")


def test_accents_are_kept() -> None:
    assert matches("café", "Café au lait")
    assert not matches("cafe", "Café au lait")
    assert not matches("café", "cafe au lait")


def test_macedonian_letters_stay_distinct() -> None:
    assert matches("ѓубре", "Ѓубре насекаде")
    assert not matches("губре", "Ѓубре насекаде")


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("don't", "I don't know"),
        ("e-mail", "send an e-mail"),
        ("covid_19", "covid_19 update"),
    ],
)
def test_joiners_between_letters_keep_one_token(query: str, text: str) -> None:
    assert matches(query, text)


def test_joined_token_is_not_its_parts() -> None:
    assert not matches("mail", "send an e-mail")
    assert not matches("don", "I don't know")


def test_joiners_not_between_letters_separate() -> None:
    assert matches("acme", "acme- and more")
    assert matches("acme", "'acme'")
    assert matches("acme", "__acme__")
    assert matches("a NEAR/0 b", "a--b")
    assert matches("acme", "acme_")


def test_hashtag_token_starts_right_after_hash() -> None:
    assert matches("#acme", "buy#acme now")
    assert matches("#acme", "##acme")
    assert not matches("#acme", "# acme")


def test_mention_keeps_inner_dots() -> None:
    assert matches("@acme.support", "ask @acme.support please")
    assert not matches("@acme", "ask @acme.support please")
    assert matches("@acme", "ask @acme. please")  # a final dot is not followed by a letter
    assert matches("@acme.support", "@Acme.Support!")


def test_positions_count_tokens() -> None:
    # Punctuation and emoji are not tokens, so they do not count as words between.
    assert matches("acme NEAR/0 refund", "acme!!! 😀 -- refund")
    assert matches("acme NEAR/1 refund", "acme, my refund")
    assert not matches("acme NEAR/0 refund", "acme, my refund")


# ## Terms


def test_word_matches_word_hashtag_and_mention() -> None:
    assert matches("acme", "acme")
    assert matches("acme", "#acme")
    assert matches("acme", "@acme")


def test_hashtag_term_matches_only_hashtags() -> None:
    assert matches("#acme", "#ACME")
    assert not matches("#acme", "acme")
    assert not matches("#acme", "@acme")


def test_mention_term_matches_only_mentions() -> None:
    assert matches("@acme", "@Acme")
    assert not matches("@acme", "acme")
    assert not matches("@acme", "#acme")


def test_wildcard_matches_word_starts() -> None:
    assert matches("acme*", "acme")
    assert matches("acme*", "AcmeCorp")
    assert matches("acme*", "#acmecorp")
    assert matches("acme*", "acme-tech")
    assert not matches("acme*", "theacme")
    assert not matches("acme*", "acm")


def test_tag_wildcards() -> None:
    assert matches("#acme*", "#acmecorp")
    assert not matches("#acme*", "acmecorp")
    assert matches("@acme*", "@acme.support")
    assert not matches("@acme*", "#acmecorp")


def test_wildcard_needs_three_characters() -> None:
    assert matches("acm*", "acmecorp")


def test_phrase_needs_consecutive_tokens() -> None:
    assert matches('"acme corp"', "acme corp")
    assert not matches('"acme corp"', "acme big corp")
    assert not matches('"acme corp"', "corp acme")


def test_phrase_counts_tags_as_their_words() -> None:
    assert matches('"acme corp"', "#acme #corp")
    assert matches('"acme corp"', "@acme corp")


def test_exact_case() -> None:
    assert matches("{Acme}", "Acme rocks")
    assert not matches("{Acme}", "acme rocks")
    assert not matches("{Acme}", "ACME rocks")
    assert matches("{Slack}", "I use Slack")


def test_terms_match_whole_tokens() -> None:
    assert not matches("acme", "acmeless")
    assert not matches("corp", "acme-corp")
    assert matches("acme-corp", "acme-corp")
    assert matches("acme*", "acme-corp")


# ## Operators


def test_and() -> None:
    assert matches("acme AND refund", "acme refund")
    assert not matches("acme AND refund", "acme only")


def test_adjacent_terms_are_anded() -> None:
    assert matches("acme refund", "refund from acme")
    assert not matches("acme refund", "acme only")
    implicit = compile_query("acme refund").tree
    explicit = compile_query("acme AND refund").tree
    assert to_query(implicit) == to_query(explicit) == "(acme) AND (refund)"


def test_or() -> None:
    assert matches("acme OR globex", "globex")
    assert not matches("acme OR globex", "initech")


@pytest.mark.parametrize("query", ["acme NOT jobs", "acme AND NOT jobs"])
def test_not_forms(query: str) -> None:
    assert matches(query, "acme refund")
    assert not matches(query, "acme jobs")


def test_grouping() -> None:
    assert matches("(acme OR globex) refund", "globex refund")
    assert not matches("(acme OR globex) refund", "globex only")


def test_near_either_order() -> None:
    assert matches("acme NEAR/3 refund", "refund from acme")
    assert matches("acme NEAR/0 refund", "refund acme")


def test_near_f_keeps_order() -> None:
    assert matches("acme NEAR/3f refund", "acme gave refund")
    assert not matches("acme NEAR/3f refund", "refund from acme")


def test_operators_are_case_sensitive() -> None:
    assert matches("acme and refund", "acme and refund")
    assert not matches("acme and refund", "acme refund")  # "and" is a word here
    assert matches("acme or", "acme or")
    assert matches("not acme", "not acme")
    assert not matches("not acme", "acme")
    assert matches("near acme", "near acme")


# ## Precedence


def test_or_binds_loosest() -> None:
    # a OR b c is a OR (b AND c)
    assert matches("a OR b c", "a")
    assert not matches("a OR b c", "b")
    assert matches("a OR b c", "b c")


def test_not_binds_tighter_than_and() -> None:
    # NOT a b is (NOT a) AND b
    assert matches("NOT a b", "b")
    assert not matches("NOT a b", "a b")


def test_near_binds_tighter_than_not() -> None:
    # x NOT a NEAR/1 b is x AND NOT (a NEAR/1 b)
    assert matches("x NOT a NEAR/1 b", "x a c d b")
    assert not matches("x NOT a NEAR/1 b", "x a b")


def test_near_binds_tighter_than_and_and_or() -> None:
    assert matches("x OR a NEAR/0 b", "b a")
    assert not matches("c a NEAR/0 b", "a b")
    assert matches("c a NEAR/0 b", "a b c")


# ## Proximity


@pytest.mark.parametrize(
    ("distance", "between", "expected"),
    [(0, 0, True), (0, 1, False), (3, 3, True), (3, 4, False), (1, 0, True)],
)
def test_distance_counts_words_between(distance: int, between: int, expected: bool) -> None:
    text = "acme " + "x " * between + "refund"
    assert matches(f"acme NEAR/{distance} refund", text) is expected


def test_near_with_or_groups_and_phrases() -> None:
    query = '(acme OR acmecorp) NEAR/5 (refund OR "money back")'
    assert matches(query, "acmecorp would not give my money back")
    assert matches(query, "refund? never, said acme")
    assert not matches(query, "acme a b c d e f money back")


def test_phrase_distance_is_between_closest_ends() -> None:
    assert matches('"acme corp" NEAR/0 refund', "acme corp refund")
    assert matches('"acme corp" NEAR/0 refund', "refund acme corp")
    assert matches('"acme corp" NEAR/1 "money back"', "money back x acme corp")
    assert not matches('"acme corp" NEAR/0 "money back"', "money back x acme corp")


def test_near_with_wildcards() -> None:
    assert matches("acme* NEAR/1 refund*", "acmecorp refunded")


# ## Fields


@pytest.mark.parametrize(
    ("query", "handle", "expected"),
    [
        ("author:acme_support", "acme_support", True),
        ("author:acme_support", "@Acme_Support", True),
        ("author:@acme_support", "acme_support", True),
        ("author:ACME_SUPPORT", "acme_support", True),
        ("author:acme_support", "acme", False),
    ],
)
def test_author(query: str, handle: str, expected: bool) -> None:
    assert matches(query, post("hi", author={"handle": handle})) is expected


def test_author_unknown_never_matches() -> None:
    assert not matches("author:acme", post("acme"))


def test_lang() -> None:
    assert matches("lang:mk", post("здраво", lang="mk"))
    assert not matches("lang:mk", post("здраво", lang="bg"))
    assert not matches("lang:mk", post("здраво"))
    assert matches("lang:MK", post("здраво", lang="MK"))


@pytest.mark.parametrize(
    "network",
    [
        "rss",
        "mastodon",
        "bluesky",
        "reddit",
        "hackernews",
        "x",
        "facebook",
        "instagram",
        "linkedin",
        "youtube",
        "webhook",
        "import",
    ],
)
def test_every_network(network: str) -> None:
    assert matches(f"network:{network}", post("hi", network=network))
    other = "rss" if network != "rss" else "x"
    assert not matches(f"network:{network}", post("hi", network=other))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a", True),
        ("https://blog.example.com/a", True),
        ("https://a.b.Example.COM:8443/x?y#z", True),
        ("https://user@example.com/", True),
        ("https://notexample.com/", False),
        ("https://example.com.evil.org/", False),
        ("https://example.org/", False),
    ],
)
def test_site(url: str, expected: bool) -> None:
    assert matches("site:example.com", post("hi", url=url)) is expected


def test_site_without_url_never_matches() -> None:
    assert not matches("site:example.com", post("hi"))
    assert not matches("site:example.com", post("hi", url="not a url"))


@pytest.mark.parametrize(
    ("query", "followers", "expected"),
    [
        ("followers:>1000", 1001, True),
        ("followers:>1000", 1000, False),
        ("followers:<50", 49, True),
        ("followers:<50", 50, False),
        ("followers:>=1000", 1000, True),
        ("followers:>=1000", 999, False),
        ("followers:<=10", 10, True),
        ("followers:=10", 10, True),
        ("followers:10", 11, False),
        ("followers:>10k", 10_001, True),
        ("followers:>1,000", 1001, True),
    ],
)
def test_followers(query: str, followers: int, expected: bool) -> None:
    item = post("hi", author={"handle": "a", "followers": followers})
    assert matches(query, item) is expected


def test_followers_unknown_never_matches() -> None:
    assert not matches("followers:<50", post("hi"))
    assert not matches("followers:<50", post("hi", author={"handle": "a"}))


def test_field_names_are_not_case_sensitive() -> None:
    assert matches("LANG:mk", post("x", lang="mk"))
    assert matches("Network:reddit", post("x", network="reddit"))


def test_fields_combine_like_terms() -> None:
    assert matches("lang:mk OR lang:bg", post("x", lang="bg"))
    assert matches("acme NOT network:reddit", post("acme", network="x"))
    assert not matches("acme NOT network:reddit", post("acme", network="reddit"))


# ## Valid queries the spec calls fine


@pytest.mark.parametrize(
    "query",
    [
        "acme NOT jobs",
        "NOT jobs acme",
        "acme AND NOT (jobs OR hiring)",
        "lang:mk",
        "followers:>1000",
        "NOT NOT acme",
        '(acme OR acmecorp) NEAR/5 (refund OR "money back")',
    ],
)
def test_valid(query: str) -> None:
    compile_query(query)
