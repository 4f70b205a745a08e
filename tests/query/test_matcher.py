"""The Matcher: many topics, incremental changes, post shapes, candidate selection."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from slusha.domain.post import NETWORKS as DOMAIN_NETWORKS
from slusha.domain.post import Author, Post, parse_post
from slusha.query import Matcher, QuerySyntaxError, compile_query
from slusha.query.fields import NETWORKS
from slusha.query.matcher import DELTA_LIMIT
from tests.query.helpers import post


def test_issue_example() -> None:
    m = Matcher({"t1": "acme", "t2": "#acme NOT job*"})
    assert m.match(post("I love #acme")) == {"t1", "t2"}
    assert m.match(post("#acme jobs")) == {"t1"}
    assert m.match(post("nothing")) == set()
    assert m.match_many([post("acme"), post("#acme"), post("")]) == [{"t1"}, {"t1", "t2"}, set()]


def test_add_and_remove() -> None:
    m = Matcher({"t1": "acme"})
    m.add("t3", "refund NEAR/2 acme")
    assert m.match(post("acme refund")) == {"t1", "t3"}
    m.remove("t1")
    assert m.match(post("acme refund")) == {"t3"}
    assert m.topics == ["t3"]
    assert "t1" not in m and "t3" in m and len(m) == 1
    m.remove("t1")  # unknown: no-op
    m.remove("t3")
    assert m.match(post("acme refund")) == set()


def test_add_replaces_a_topic() -> None:
    m = Matcher({"t": "acme"})
    m.add("t", "globex")
    assert m.match(post("acme")) == set()
    assert m.match(post("globex")) == {"t"}
    assert m.query("t").text == "globex"


def test_invalid_add_changes_nothing() -> None:
    m = Matcher({"t": "acme"})
    with pytest.raises(QuerySyntaxError):
        m.add("t", "acme AND")
    assert m.match(post("acme")) == {"t"}


def test_invalid_query_in_constructor() -> None:
    with pytest.raises(QuerySyntaxError):
        Matcher({"t": "NOT acme"})


def test_accepts_compiled_queries_and_pairs() -> None:
    m = Matcher([("a", "acme"), ("b", "globex")])
    m.add("c", compile_query("initech"))
    assert m.match(post("acme initech")) == {"a", "c"}


def test_field_only_topics() -> None:
    m = Matcher(
        {
            "mk": "lang:mk",
            "big": "followers:>1000",
            "site": "site:example.com",
            "author": "author:acme_support",
            "net": "network:reddit NOT lang:en",
        }
    )
    item = post(
        "здраво",
        lang="mk",
        network="reddit",
        url="https://news.example.com/x",
        author={"handle": "@Acme_Support", "followers": 5000},
    )
    assert m.match(item) == {"mk", "big", "site", "author", "net"}
    assert m.match(post("hello", lang="en")) == set()


def test_wildcards_added_after_build_are_found() -> None:
    m = Matcher({"base": "acme*"})
    for i in range(DELTA_LIMIT * 3):
        m.add(f"w{i}", f"zq{i:03d}x*")
        if i % 7 == 0:
            assert m.match(post(f"zq{i:03d}xyz")) == {f"w{i}"}
    assert m.match(post("zq000xa acmecorp")) == {"w0", "base"}
    for i in range(DELTA_LIMIT * 3):
        m.remove(f"w{i}")
    assert m.match(post("zq000xa acmecorp")) == {"base"}
    m.add("again", "zq000x*")
    assert m.match(post("zq000xa")) == {"again"}


def test_shared_wildcard_keys_survive_removal_of_one_user() -> None:
    m = Matcher({"a": "acme*", "b": "acme* refund"})
    m.remove("a")
    assert m.match(post("acmecorp refund")) == {"b"}


def test_candidates_are_only_topics_sharing_a_term() -> None:
    m = Matcher({f"t{i}": f"brand{i} NOT spam" for i in range(500)})
    assert m.candidates(post("brand7 and brand9")) == 2
    assert m.candidates(post("nothing here")) == 0
    m.add("always", "followers:>10")
    assert m.candidates(post("nothing here")) == 1


def test_exact_or_queries_skip_verification() -> None:
    m = Matcher({"t": "acme OR #globex OR initech* OR lang:mk"})
    assert m.candidates(post("acme")) == 0  # decided by the index alone
    assert m.match(post("acme")) == {"t"}
    assert m.match(post("x", lang="mk")) == {"t"}
    assert m.match(post("initechs")) == {"t"}
    assert m.match(post("globex")) == set()


def _domain_post(text: str, **extra: object) -> Post:
    return parse_post(post(text, **extra))


def test_accepts_domain_posts() -> None:
    m = Matcher({"t": "acme lang:en followers:>10 author:bob site:example.com"})
    item = _domain_post(
        "acme",
        lang="EN",
        url="https://example.com/",
        author={"handle": "bob", "followers": 11},
    )
    assert isinstance(item, Post)
    assert m.match(item) == {"t"}
    assert compile_query("acme").matches(item)


@dataclass
class StoreRow:
    network: str
    text: str
    title: str | None
    lang: str | None
    url: str | None
    author_handle: str | None
    author_followers: int | None


def test_accepts_store_rows_with_flat_author() -> None:
    m = Matcher({"t": "acme author:bob followers:>10", "u": "news NEAR/0 acme"})
    row = StoreRow("x", "acme", "News", "en", None, "@Bob", 11)
    assert m.match(row) == {"t", "u"}
    row.author_followers = None
    assert m.match(row) == {"u"}


def test_accepts_objects_with_author_object() -> None:
    @dataclass
    class Row:
        network: str
        text: str
        title: str | None
        lang: str | None
        url: str | None
        author: Author | None

    row = Row("x", "acme", None, None, None, Author(handle="bob", followers=50))
    assert Matcher({"t": "acme author:bob followers:>=50"}).match(row) == {"t"}
    row.author = None
    assert Matcher({"t": "acme author:bob"}).match(row) == set()


def test_networks_match_the_post_format() -> None:
    assert set(NETWORKS) == DOMAIN_NETWORKS


def test_created_at_is_not_needed() -> None:
    assert Matcher({"t": "acme"}).match({"text": "acme"}) == {"t"}


def test_prefilter_lets_through_only_posts_holding_a_key() -> None:
    m = Matcher({"t1": "acme NEAR/3 refund", "t2": '#brand OR "big sale"', "t3": "café*"})
    assert not m.may_match(post("nothing to see here"))
    assert m.match(post("nothing to see here")) == set()
    # "refund" (the rarer-looking word) indexes t1: a candidate, then no match.
    assert m.may_match(post("a REFUND post without the other word"))
    assert m.match(post("a REFUND post without the other word")) == set()
    assert m.may_match(post("#Brand")) and m.match(post("#Brand")) == {"t2"}
    assert m.match(post("the big old sale")) == set()  # the phrase needs adjacent words
    assert m.match(post("Big sale today")) == {"t2"}
    # Folding: "CAFÉS" folds to "cafés", which holds the wildcard's stem "café".
    assert m.match(post("Two CAFÉS closed")) == {"t3"}
    # The title is searched with the text.
    assert m.match(post("refund now", title="Acme news")) == {"t1"}


def test_prefilter_checks_field_keys_and_turns_off_for_topics_without_keys() -> None:
    m = Matcher({"t1": "author:acme_support", "t2": "acme"})
    reply = post("thanks for waiting", author={"handle": "@Acme_Support"})
    assert m.may_match(reply) and m.match(reply) == {"t1"}
    assert not m.may_match(post("thanks for waiting", author={"handle": "bob"}))
    m.add("t3", "followers:>1000")  # no necessary key: every post must be checked
    big = post("hello", author={"handle": "bob", "followers": 5000})
    assert m.may_match(post("hello")) and m.match(big) == {"t3"}
    m.remove("t3")
    assert not m.may_match(big)


def test_prefilter_follows_many_adds_and_removals() -> None:
    m = Matcher()
    for i in range(3 * DELTA_LIMIT):  # past the delta limit: the automaton is rebuilt
        m.add(f"t{i}", f"word{i}x OR pre{i}y*")
    assert m.match(post("about word7x")) == {"t7"}
    assert m.match(post(f"pre{2 * DELTA_LIMIT}yes")) == {f"t{2 * DELTA_LIMIT}"}
    for i in range(0, 3 * DELTA_LIMIT, 2):  # removed keys stay as tombstones, then go
        m.remove(f"t{i}")
    assert m.match(post("about word8x and word9x")) == {"t9"}
    assert not m.may_match(post("only unrelated words"))
    m.add("late", "word8x")
    assert m.match(post("about word8x")) == {"late"}


def test_prefilter_steps_aside_while_most_posts_get_past_it() -> None:
    from slusha.query.matcher import PREFILTER_SAMPLE, PREFILTER_WINDOW

    m = Matcher({"t1": "the", "t2": "acme"})
    assert m.prefiltering
    for i in range(PREFILTER_WINDOW):  # every post holds "the": the pass only costs
        assert m.match(post(f"the post {i}")) == {"t1"}
    assert not m.prefiltering
    # Answers stay right meanwhile, and a sample of posts keeps measuring.
    for _ in range(PREFILTER_WINDOW * PREFILTER_SAMPLE):
        assert m.match(post("nothing here")) == set()
    assert m.prefiltering  # the stream changed: most posts hold no key any more
    assert m.match(post("ACME again")) == {"t2"}
