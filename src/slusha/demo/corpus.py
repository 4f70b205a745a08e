"""A seeded demo corpus: complaints, praise, jobs, press and a spike, in six languages."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from slusha.demo import phrases as ph

LANG_WEIGHTS = {"en": 0.33, "mk": 0.25, "sr": 0.12, "bg": 0.1, "de": 0.1, "hr": 0.1}
KIND_WEIGHTS = {
    "complaint": 0.18,
    "praise": 0.14,
    "question": 0.1,
    "job": 0.05,
    "legal": 0.02,
    "press": 0.06,
    "campaign": 0.08,
    "competitor": 0.14,
    "noise": 0.23,
}
TEMPLATES = {
    "complaint": ph.COMPLAINTS,
    "praise": ph.PRAISE,
    "question": ph.QUESTIONS,
    "job": ph.JOBS,
    "legal": ph.LEGAL,
    "press": ph.PRESS,
    "campaign": ph.CAMPAIGN,
    "competitor": ph.COMPETITOR_POSTS,
    "noise": ph.NOISE,
    "outage": ph.OUTAGE,
}
SOCIAL = ("mastodon", "bluesky", "reddit", "x")
SPIKE_DAYS_AGO = 9
SPIKE_POSTS = 320
NEWS_SITES = ("news.example.com", "tech.example.org", "vesti.example.mk", "biz.example.rs")


class _Authors:
    """A fixed pool of authors; a few influencers have many followers."""

    def __init__(self, rng: random.Random, size: int = 500) -> None:
        first = [
            "ana",
            "marko",
            "elena",
            "ivan",
            "sara",
            "nikola",
            "maja",
            "petar",
            "lena",
            "stefan",
            "jovana",
            "tom",
            "emma",
            "luka",
            "mila",
            "david",
            "iva",
            "filip",
        ]
        self.pool = []
        for i in range(size):
            handle = f"{rng.choice(first)}{rng.choice(['', '_', '.'])}{rng.randint(1, 999)}"
            followers = int(math.exp(rng.gauss(5.5, 1.6)))
            if i % 97 == 0:
                followers = rng.randint(50_000, 400_000)
            self.pool.append({"handle": handle.strip("._"), "followers": followers})

    def pick(self, rng: random.Random) -> dict[str, Any]:
        return dict(rng.choice(self.pool))


def _choose(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _brand(rng: random.Random, lang: str, kind: str) -> str:
    if kind == "competitor":
        return rng.choice(ph.COMPETITORS)
    if lang in ph.BRAND_LOCAL and rng.random() < 0.5:
        return ph.BRAND_LOCAL[lang]
    return ph.BRAND


def _fill(rng: random.Random, template: str, lang: str, kind: str) -> str:
    return template.format(
        b=_brand(rng, lang, kind),
        p=rng.choice(ph.PRODUCTS[lang]),
        c=rng.choice(ph.CITIES[lang]),
        h=ph.CAMPAIGN_TAG[lang],
        ceo=ph.CEO[lang],
    )


def _sentiment_hint(kind: str) -> str:
    return {
        "complaint": "negative",
        "outage": "negative",
        "legal": "negative",
        "praise": "positive",
        "campaign": "positive",
    }.get(kind, "neutral")


def make_post(
    rng: random.Random,
    authors: _Authors,
    *,
    number: int,
    when: datetime,
    kind: str | None = None,
    prefix: str = "demo",
) -> dict[str, Any]:
    """One post in the post format."""
    kind = kind or _choose(rng, KIND_WEIGHTS)
    table = TEMPLATES[kind]
    lang = _choose(rng, {k: v for k, v in LANG_WEIGHTS.items() if k in table})
    text = _fill(rng, rng.choice(table[lang]), lang, kind)
    post_id = f"{prefix}-{number}"
    author = authors.pick(rng)
    if kind == "press":
        site = rng.choice(NEWS_SITES)
        return {
            "network": "rss",
            "id": f"https://{site}/a/{post_id}",
            "kind": "article",
            "title": text,
            "text": text + ". " + _fill(rng, rng.choice(table[lang]), lang, kind),
            "created_at": when.isoformat(),
            "url": f"https://{site}/a/{post_id}",
            "author": {"name": site},
            "lang": lang,
            "extra": {"demo_kind": kind, "demo_sentiment": _sentiment_hint(kind)},
        }
    network = rng.choice(SOCIAL + (("hackernews",) if lang == "en" and kind != "noise" else ()))
    post: dict[str, Any] = {
        "network": network,
        "id": post_id,
        "text": text,
        "created_at": when.isoformat(),
        "url": f"https://{network}.example/{author['handle']}/{post_id}",
        "author": {
            "handle": author["handle"],
            "followers": author["followers"],
            "name": author["handle"].title(),
        },
        "metrics": {
            "likes": int(rng.expovariate(1 / 8)),
            "shares": int(rng.expovariate(1 / 2)),
            "replies": int(rng.expovariate(1 / 3)),
        },
        "extra": {"demo_kind": kind, "demo_sentiment": _sentiment_hint(kind)},
    }
    if network in ("mastodon", "bluesky") and rng.random() < 0.7:
        post["lang"] = lang  # these networks often say the language; the others do not
    return post


def _timestamp(rng: random.Random, now: datetime, days: int) -> datetime:
    """A time in the last ``days`` days, busier on weekday daytime (the usual rhythm)."""
    while True:
        when = now - timedelta(seconds=rng.uniform(0, days * 86400))
        hour_weight = 0.25 + 0.75 * math.sin(math.pi * max(0.0, min(1.0, (when.hour - 6) / 17)))
        weekday_weight = 0.7 if when.weekday() >= 5 else 1.0
        if rng.random() < hour_weight * weekday_weight:
            return when


def generate(
    *, now: datetime, seed: int = 7, count: int = 3000, days: int = 30
) -> list[dict[str, Any]]:
    """The demo history: ``count`` posts over ``days`` days plus an outage spike, oldest first."""
    rng = random.Random(seed)
    authors = _Authors(rng)
    posts = [
        make_post(rng, authors, number=i, when=_timestamp(rng, now, days)) for i in range(count)
    ]
    spike_start = (now - timedelta(days=SPIKE_DAYS_AGO)).replace(hour=9, minute=0, second=0)
    for i in range(SPIKE_POSTS):
        when = spike_start + timedelta(minutes=abs(rng.gauss(90, 70)))
        posts.append(make_post(rng, authors, number=count + i, when=when, kind="outage"))
    posts.sort(key=lambda p: p["created_at"])
    return posts


class LiveFeed:
    """New posts for the live replay, stamped with the time they are sent."""

    def __init__(self, *, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.authors = _Authors(self.rng)
        self.number = 0

    def next_post(self, now: datetime, *, run: str = "live") -> dict[str, Any]:
        """The next post; ``run`` keeps ids unique across demo runs."""
        self.number += 1
        kind = "noise" if self.rng.random() < 0.2 else None
        return make_post(
            self.rng, self.authors, number=self.number, when=now, kind=kind, prefix=run
        )
