"""Explanations: top words (stopwords in several languages), authors, posts, stream link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from slusha.domain.alerts import AlertRule, Filters, MentionFacts, stream_url
from slusha.domain.alerts.explain import tokenize, top_authors, top_posts, top_words
from slusha.domain.alerts.messages import Alert
from slusha.domain.post import Author, Post
from tests.notifiers.samples import firing_alert

WHEN = datetime(2026, 4, 1, 9, tzinfo=UTC)


def m(n: int, text: str, *, lang: str | None, handle: str = "@a", likes: int = 0) -> MentionFacts:
    post = Post(
        network="x",
        id=str(n),
        text=text,
        created_at=WHEN + timedelta(minutes=n),
        lang=lang,
        author=Author(handle=handle, followers=n * 10),
        metrics={"likes": likes},
    )
    return MentionFacts(post=post, topic_id="t", team="PR")


def test_tokens_drop_links_and_handles_but_keep_joined_words() -> None:
    text = "Don't use e-mail! @acme_help see https://acme.example/x #outage"
    assert tokenize(text) == ["don't", "use", "e-mail", "see", "outage"]


def test_top_words_skip_stopwords_in_each_language() -> None:
    mentions = [
        m(1, "The delivery is late again and the app crashed", lang="en"),
        m(2, "Доставата не дојде, апликацијата паѓа и не работи", lang="mk"),
        m(3, "Delivery late, app crashed", lang=None),
        m(4, "Die Lieferung war spät", lang="de"),
    ]
    words = dict(top_words(mentions, exclude=["acme"]))
    assert words["delivery"] == 2 and words["crashed"] == 2 and words["late"] == 2
    for stopword in ("the", "and", "не", "и", "die", "war"):
        assert stopword not in words
    assert "доставата" in words and "lieferung" in words


def test_a_word_counts_once_per_post() -> None:
    words = dict(top_words([m(1, "refund refund refund", lang="en")]))
    assert words == {"refund": 1}


def test_top_authors_and_posts() -> None:
    mentions = [
        m(1, "one", lang="en", handle="@ana", likes=1),
        m(2, "two", lang="en", handle="@ana", likes=50),
        m(3, "three", lang="en", handle="@bo"),
    ]
    assert top_authors(mentions) == (("@ana", 2), ("@bo", 1))
    assert [p.key for p in top_posts(mentions, limit=2)] == ["x:2", "x:1"]


def test_stream_url_carries_the_rule_filters_and_the_window() -> None:
    rule = AlertRule(
        id="r",
        team="PR",
        kind="sentiment",
        topic_ids=frozenset({"t1", "t2"}),
        filters=Filters(networks=frozenset({"reddit"}), query="refund NOT spam"),
    )
    url = stream_url(
        "https://slusha.example.org/", rule, since=WHEN, until=WHEN + timedelta(hours=1)
    )
    assert url is not None and url.startswith("https://slusha.example.org/stream?")
    query = parse_qs(urlsplit(url).query)
    assert query["team"] == ["PR"] and query["topic"] == ["t1", "t2"]
    assert query["network"] == ["reddit"] and query["sentiment"] == ["negative"]
    assert query["q"] == ["refund NOT spam"]
    assert query["since"] == [WHEN.isoformat()]
    assert stream_url(None, rule) is None


def test_alert_json_round_trip() -> None:
    alert = firing_alert()
    assert Alert.from_dict(alert.to_dict()) == alert
    assert alert.explanation.observed == 42 and alert.explanation.expected == 6
    assert alert.posts and alert.explanation.top_words
