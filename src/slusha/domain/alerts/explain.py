"""The explanation every alert carries: observed, expected, window, top posts, words, authors."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from slusha.domain.alerts.rules import AlertRule, MentionFacts
from slusha.domain.alerts.stopwords import stopwords_for

STREAM_PATH = "/stream"
EXCERPT_CHARS = 280
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@[\w.]+")
# Letters and digits with inner joiners, as the query language tokenises (spec/query-language.md).
_TOKEN = re.compile(r"[^\W_]+(?:['’\-_][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class PostSummary:
    """A post as an alert shows it: who, where, an excerpt and a link."""

    key: str
    network: str
    text: str
    created_at: datetime
    url: str | None = None
    author: str | None = None
    followers: int | None = None
    engagement: int = 0
    sentiment: str | None = None
    topic_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON."""
        return {
            "key": self.key,
            "network": self.network,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "url": self.url,
            "author": self.author,
            "followers": self.followers,
            "engagement": self.engagement,
            "sentiment": self.sentiment,
            "topic_id": self.topic_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PostSummary:
        """Read the JSON form back."""
        return cls(
            key=data["key"],
            network=data["network"],
            text=data["text"],
            created_at=datetime.fromisoformat(data["created_at"]),
            url=data.get("url"),
            author=data.get("author"),
            followers=data.get("followers"),
            engagement=int(data.get("engagement") or 0),
            sentiment=data.get("sentiment"),
            topic_id=data.get("topic_id"),
        )


def summarize_post(mention: MentionFacts) -> PostSummary:
    """The summary of one mention's post."""
    post = mention.post
    text = " ".join(f"{post.title or ''} {post.text}".split())
    if len(text) > EXCERPT_CHARS:
        text = text[: EXCERPT_CHARS - 1].rstrip() + "…"
    return PostSummary(
        key=post.key,
        network=post.network,
        text=text,
        created_at=post.created_at,
        url=post.url,
        author=post.author_handle or (post.author.name if post.author else None),
        followers=post.author_followers,
        engagement=sum(post.metrics.get(k, 0) for k in ("likes", "shares", "replies")),
        sentiment=mention.sentiment,
        topic_id=mention.topic_id,
    )


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why an alert fired, in words and in numbers."""

    reason: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    observed: float | None = None
    expected: float | None = None
    threshold: float | None = None
    usual_low: float | None = None
    usual_high: float | None = None
    p_value: float | None = None
    unit: str = "mentions"
    top_posts: tuple[PostSummary, ...] = ()
    top_words: tuple[tuple[str, int], ...] = ()
    top_authors: tuple[tuple[str, int], ...] = ()
    stream_url: str | None = None
    facts: tuple[tuple[str, str], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON."""
        return {
            "reason": self.reason,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "observed": _finite(self.observed),
            "expected": _finite(self.expected),
            "threshold": _finite(self.threshold),
            "usual_low": _finite(self.usual_low),
            "usual_high": _finite(self.usual_high),
            "p_value": _finite(self.p_value),
            "unit": self.unit,
            "top_posts": [p.to_dict() for p in self.top_posts],
            "top_words": [[w, n] for w, n in self.top_words],
            "top_authors": [[a, n] for a, n in self.top_authors],
            "stream_url": self.stream_url,
            "facts": [[k, v] for k, v in self.facts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        """Read the JSON form back."""

        def when(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if value else None

        return cls(
            reason=data["reason"],
            window_start=when("window_start"),
            window_end=when("window_end"),
            observed=data.get("observed"),
            expected=data.get("expected"),
            threshold=data.get("threshold"),
            usual_low=data.get("usual_low"),
            usual_high=data.get("usual_high"),
            p_value=data.get("p_value"),
            unit=data.get("unit", "mentions"),
            top_posts=tuple(PostSummary.from_dict(p) for p in data.get("top_posts", [])),
            top_words=tuple((str(w), int(n)) for w, n in data.get("top_words", [])),
            top_authors=tuple((str(a), int(n)) for a, n in data.get("top_authors", [])),
            stream_url=data.get("stream_url"),
            facts=tuple((str(k), str(v)) for k, v in data.get("facts", [])),
        )


def _finite(value: float | None) -> float | None:
    # JSON has no infinity; "no threshold" is null.
    return value if value is not None and math.isfinite(value) else None


def tokenize(text: str) -> list[str]:
    """Case-folded word tokens, without links and @handles."""
    text = _HANDLE.sub(" ", _URL.sub(" ", text))
    return [token.casefold() for token in _TOKEN.findall(text)]


def top_words(
    mentions: Iterable[MentionFacts], *, limit: int = 10, exclude: Iterable[str] = ()
) -> tuple[tuple[str, int], ...]:
    """The words most posts use, stopwords and ``exclude`` (the topic's own terms) left out.

    A word counts once per post, so one long or repeated post cannot dominate.
    """
    skip = {word.casefold() for word in exclude}
    counts: Counter[str] = Counter()
    for mention in mentions:
        stop = stopwords_for(mention.language)
        post = mention.post
        words = {
            token
            for token in tokenize(f"{post.title or ''} {post.text}")
            if len(token) >= 3 and not token.isdigit() and token not in stop and token not in skip
        }
        counts.update(words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ranked[:limit])


def top_authors(mentions: Iterable[MentionFacts], *, limit: int = 5) -> tuple[tuple[str, int], ...]:
    """Authors with the most posts (ties: more followers first)."""
    counts: Counter[str] = Counter()
    followers: dict[str, int] = {}
    for mention in mentions:
        post = mention.post
        name = post.author_handle or (post.author.name if post.author else None)
        if not name:
            continue
        counts[name] += 1
        followers[name] = max(followers.get(name, 0), post.author_followers or 0)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], -followers[item[0]], item[0]))
    return tuple(ranked[:limit])


def top_posts(mentions: Sequence[MentionFacts], *, limit: int = 5) -> tuple[PostSummary, ...]:
    """The posts with the most engagement, then the widest-read authors, then the newest."""
    summaries = [summarize_post(m) for m in mentions]
    summaries.sort(key=lambda s: (-s.engagement, -(s.followers or 0), -s.created_at.timestamp()))
    seen: set[str] = set()
    unique = []
    for summary in summaries:
        if summary.key not in seen:
            seen.add(summary.key)
            unique.append(summary)
    return tuple(unique[:limit])


def stream_url(
    base_url: str | None,
    rule: AlertRule,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str | None:
    """A link to the stream filtered as the rule filters, over the window (None without base)."""
    if not base_url:
        return None
    params: list[tuple[str, str]] = [("team", rule.team)]
    params += [("topic", topic) for topic in sorted(rule.topic_ids)]
    params += [("network", n) for n in sorted(rule.filters.networks)]
    params += [("lang", lang) for lang in sorted(rule.filters.languages)]
    params += [("sentiment", s) for s in sorted(rule.filters.sentiments)]
    if rule.kind == "sentiment" and not rule.filters.sentiments:
        params.append(("sentiment", "negative"))
    if rule.filters.min_followers is not None:
        params.append(("min_followers", str(rule.filters.min_followers)))
    if rule.filters.query:
        params.append(("q", rule.filters.query))
    if since is not None:
        params.append(("since", since.isoformat()))
    if until is not None:
        params.append(("until", until.isoformat()))
    return f"{base_url.rstrip('/')}{STREAM_PATH}?{urlencode(params)}"
