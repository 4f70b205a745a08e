"""An organisation with members of every role, posts through the pipeline, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from slusha.clock import FrozenClock
from slusha.domain.ingest import Incoming
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.topics import TopicIndex
from slusha.services.teams import create_team
from slusha.services.tokens import create_token
from slusha.services.topics import create_topic
from slusha.services.users import create_user
from slusha.store.db import Database
from slusha.store.schema import TEAM_ROLES
from slusha.web.app import create_app
from tests.support.builders import post

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class WordSentiment:
    label: str
    score: float


@dataclass(frozen=True)
class WordEnrichment:
    lang: str | None
    sentiment: WordSentiment


class WordEnricher:
    """A small real enricher: the language the network gave, sentiment from a few words.

    Predictable, so tests can say which sentiment a post has (the shipped model is tested in
    tests/enrich).
    """

    NEGATIVE = ("terrible", "awful", "late", "broken")
    POSITIVE = ("love", "great", "thanks")

    def enrich(self, posts: Any, hints: Any = None) -> list[WordEnrichment]:
        out = []
        for p in posts:
            text = p.text.lower()
            label = (
                "negative" if any(w in text for w in self.NEGATIVE)
                else "positive" if any(w in text for w in self.POSITIVE)
                else "neutral"
            )  # fmt: skip
            out.append(WordEnrichment(getattr(p, "lang", None) or "en", WordSentiment(label, 0.9)))
        return out


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    """The app over a real database, and what the tests need to know about its data."""

    app: FastAPI
    db: Database
    clock: FrozenClock
    teams: dict[str, int]
    topics: dict[str, int]
    mentions: dict[str, int] = field(default_factory=dict)

    def client(self, username: str | None = None) -> TestClient:
        """A client, signed in as ``username`` when given."""
        client = TestClient(self.app, follow_redirects=False)
        if username is not None:
            sign_in(client, username)
        return client

    def token(self, username: str, scope: str = "write") -> str:
        """A fresh API token for ``username``."""
        _view, secret = create_token(
            self.db, username=username, label="test", scope=scope, clock=self.clock
        )
        return secret

    def ingest(self, *posts: dict[str, Any]) -> None:
        """Run posts through the real pipeline (match, enrich, route, save)."""
        pipeline = Pipeline(
            db=self.db, clock=self.clock, topics=TopicIndex(self.db, refresh_seconds=0),
            enricher=WordEnricher(), keep_unmatched=False,
        )  # fmt: skip
        items = [Incoming(data=p, where=f"post {i}") for i, p in enumerate(posts)]
        pipeline.process(items)


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    found = CSRF_RE.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, as a browser does."""
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    if response.status_code == 303:
        client.headers["X-CSRF-Token"] = csrf_of(client.get("/profile").text)
    return response


def build_world(db: Database, clock: FrozenClock, settings: Any) -> World:
    """Care (own team) and HR (other team): members of every role, public and private topics."""
    teams = {
        "care": create_team(db, name="Customer care", clock=clock).id,
        "hr": create_team(db, name="HR", clock=clock).id,
    }
    topics = {
        "acme": create_topic(db, name="Acme", team="Customer care", query="acme NOT job*",
                             clock=clock).id,
        "refunds": create_topic(db, name="Refunds", team="Customer care",
                                query="refund NEAR/3 acme", clock=clock, is_private=True).id,
        "jobs": create_topic(db, name="Acme jobs", team="HR", query="acme job*", kind="other",
                             clock=clock, is_private=True).id,
        "hrpub": create_topic(db, name="HR news", team="HR", query="payroll", clock=clock).id,
    }  # fmt: skip
    create_user(db, username="admin", role="admin", password=PASSWORD, clock=clock)
    for role in TEAM_ROLES:
        create_user(db, username=f"care_{role}", role=role, team="Customer care",
                    password=PASSWORD, clock=clock)  # fmt: skip
    create_user(db, username="hr_viewer", role="viewer", team="HR", password=PASSWORD, clock=clock)
    create_user(db, username="hr_manager", role="manager", team="HR", password=PASSWORD,
                clock=clock)  # fmt: skip
    app = create_app(settings, db=db, clock=clock)
    world = World(app=app, db=db, clock=clock, teams=teams, topics=topics)
    world.ingest(
        post("p1", "I love the Acme app, great support", minutes_ago=50, lang="en"),
        post("p2", "acme refund still not here, terrible", minutes_ago=40, lang="en"),
        post("p3", "acme jobs: we are hiring engineers", minutes_ago=30, lang="en"),
        post("p4", "payroll day is friday", minutes_ago=20, lang="en"),
    )
    with db.transaction() as tx:
        from slusha.store.schema import Mention, Post

        for mention, ext in tx.session.query(Mention, Post.external_id).join(
            Post, Post.id == Mention.post_id
        ):
            world.mentions[f"{ext}:{mention.topic_id}"] = mention.id
    return world


def all_routes(routes: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every route, through included routers (FastAPI includes them lazily)."""
    found: list[tuple[str, str]] = []
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            found.extend(all_routes(original.routes, prefix + route.include_context.prefix))
            continue
        path = getattr(route, "path", None)
        for method in getattr(route, "methods", None) or ():
            if method not in ("HEAD", "OPTIONS") and path is not None:
                found.append((method, prefix + path))
    return found


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str | None, str]]:
    """(event, id, data) of each Server-Sent Event; comments (keep-alives) are skipped."""
    name: str | None = None
    event_id: str | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            if name is not None:
                yield name, event_id, "\n".join(data)
            name, event_id, data = None, None, []
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])
