"""The Reddit connector against a server on 127.0.0.1 speaking Reddit's OAuth API."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from slusha.clock import FrozenClock
from slusha.connectors.reddit.connector import RedditConfig, RedditConnector
from slusha.connectors.reddit.parse import is_deleted, listing_children, thing_to_post
from slusha.errors import PermanentError, TransientError
from slusha.plugins.api import PluginContext
from slusha.plugins.net import HttpClient
from tests.support.origin import Origin, Reply, json_reply

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "reddit"
pytestmark = pytest.mark.timeout(20)


def thing(kind: str, n: int, **changes: Any) -> dict[str, Any]:
    base = json.loads((FIXTURES / ("submission.json" if kind == "t3" else "comment.json"))
                      .read_text())  # fmt: skip
    base["data"].update(id=f"x{n}", name=f"{kind}_x{n}", created_utc=1795770000.0 + n, **changes)
    return base


def listing(children: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "Listing", "data": {
        "children": children, "after": children[-1]["data"]["name"] if children else None,
        "before": children[0]["data"]["name"] if children else None}}  # fmt: skip


class FakeReddit:
    """The listing endpoint over a list of things (newest first), honouring before/after."""

    def __init__(self, origin: Origin) -> None:
        self.things = [thing("t3", n) for n in range(1, 31)][::-1]
        self.info: dict[str, dict[str, Any]] = {}
        self.tokens = 0
        origin.route("/api/v1/access_token", self.token, method="POST")
        origin.route("/r/acme/new", self.new)
        origin.route("/api/info", self.api_info)

    def token(self, request):  # type: ignore[no-untyped-def]
        assert request.headers["authorization"].startswith("Basic ")
        self.tokens += 1
        return json_reply({"access_token": f"tok{self.tokens}", "expires_in": 3600})

    def new(self, request):  # type: ignore[no-untyped-def]
        assert request.headers["authorization"].startswith("Bearer tok")
        limit = int(request.arg("limit", "25"))
        names = [t["data"]["name"] for t in self.things]
        before = request.arg("before")
        if before:
            if before not in names:
                return json_reply(listing([]))
            newer = self.things[: names.index(before)]
            return json_reply(listing(newer[-limit:]))
        return json_reply(listing(self.things[:limit]))

    def api_info(self, request):  # type: ignore[no-untyped-def]
        ids = (request.arg("id") or "").split(",")
        found = [
            self.info.get(i) or next(t for t in self.things if t["data"]["name"] == i)
            for i in ids
            if i in self.info or any(t["data"]["name"] == i for t in self.things)
        ]
        return json_reply(listing(found))


def cfg(origin: Origin, **values: Any) -> RedditConfig:
    base = {"subreddits": ["r/acme"], "client_id": "app", "client_secret": "s" * 20,
            "auth_url": origin.url(""), "api_url": origin.url("")}  # fmt: skip
    return RedditConfig(**(base | values))


@pytest.fixture
def context(http: HttpClient) -> PluginContext:
    return PluginContext(http=http, clock=FrozenClock(datetime(2026, 11, 27, tzinfo=UTC)))


def test_fixtures_become_posts() -> None:
    items = listing_children(listing([thing("t3", 1), thing("t1", 2)]))
    submission, comment = (thing_to_post(i) for i in items)
    assert submission.id == "t3_x1" and submission.kind == "post"
    assert submission.text.startswith("Is the Acme Widget 3 worth it?\n\nThinking")
    assert submission.author is not None and submission.author.handle == "u/widgetfan"
    assert submission.metrics == {"likes": 12, "replies": 4}
    assert comment.kind == "comment" and comment.reply_to == "t3_1abc"
    assert comment.thread == "t3_1abc" and comment.text == "Mine lasts two days."


def test_every_captured_listing_parses(shared_data: Path) -> None:
    count = 0
    for path in sorted((shared_data / "wire" / "reddit" / "json").glob("*.json")):
        data = json.loads(path.read_text())
        try:
            items = listing_children(data)
        except PermanentError:
            continue  # error bodies and non-listing answers
        for item in items:
            if not is_deleted(item):
                post = thing_to_post(item)
                assert post.id.startswith(("t1_", "t3_")), path
                count += 1
    assert count >= 100


async def test_polls_forward_with_before_without_loss_or_repeats(
    origin: Origin, context: PluginContext
) -> None:
    fake = FakeReddit(origin)
    connector = RedditConnector()
    first = await connector.fetch(context, cfg(origin), None)
    assert [p.id for p in first.posts] == [f"t3_x{n}" for n in range(6, 31)]  # oldest first
    fake.things = [thing("t3", n) for n in range(31, 136)][::-1] + fake.things  # 105 new
    cursor = json.loads(json.dumps(first.cursor))
    second = await connector.fetch(context, cfg(origin), cursor)
    assert [p.id for p in second.posts] == [f"t3_x{n}" for n in range(31, 136)]
    assert fake.tokens == 1  # the token is reused while valid
    third = await connector.fetch(context, cfg(origin), second.cursor)
    assert third.posts == []


async def test_deleted_anchor_falls_back_to_the_newest_page(
    origin: Origin, context: PluginContext
) -> None:
    fake = FakeReddit(origin)
    first = await RedditConnector().fetch(context, cfg(origin), None)
    fake.things = [thing("t3", 200), thing("t3", 199), *fake.things[1:]]  # the anchor is gone
    second = await RedditConnector().fetch(context, cfg(origin), first.cursor)
    assert [p.id for p in second.posts] == ["t3_x199", "t3_x200"]


async def test_edits_and_deletions_of_recent_things(origin: Origin, context: PluginContext) -> None:
    fake = FakeReddit(origin)
    first = await RedditConnector().fetch(context, cfg(origin), None)
    fake.info["t3_x10"] = thing("t3", 10, author="[deleted]", selftext="[removed]")
    fake.info["t3_x11"] = thing("t3", 11, selftext="Edited: battery is fine", edited=1795779999.0)
    second = await RedditConnector().fetch(context, cfg(origin), first.cursor)
    assert second.deleted_ids == ["t3_x10"]
    assert [p.text.split("\n\n")[1] for p in second.posts] == ["Edited: battery is fine"]
    third = await RedditConnector().fetch(context, cfg(origin), second.cursor)
    assert third.posts == [] and third.deleted_ids == []


async def test_expired_token_is_refreshed_once(origin: Origin, context: PluginContext) -> None:
    fake = FakeReddit(origin)
    calls = {"n": 0}

    def flaky(request):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return Reply(401) if calls["n"] == 1 else fake.new(request)

    origin.route("/r/acme/new", flaky)
    result = await RedditConnector().fetch(context, cfg(origin), None)
    assert len(result.posts) == 25 and fake.tokens == 2


@pytest.mark.parametrize(("reply", "error", "code"), [
    (Reply(403), PermanentError, "http_403"),
    (Reply(404), PermanentError, "http_404"),
    (Reply(429, headers={"retry-after": "600"}), TransientError, "http_429"),
    (Reply(500), TransientError, "http_5xx"),
    (Reply(body=b"<html>oops"), PermanentError, "parse"),
])  # fmt: skip
async def test_errors(
    origin: Origin, context: PluginContext, reply: Reply, error: type, code: str
) -> None:
    FakeReddit(origin)
    origin.route("/r/acme/new", reply)
    with pytest.raises(error) as info:
        await RedditConnector().fetch(context, cfg(origin), None)
    assert info.value.code == code


async def test_reply_is_not_posted_twice(origin: Origin, context: PluginContext) -> None:
    FakeReddit(origin)
    mine: list[dict[str, Any]] = []

    def comment(request):  # type: ignore[no-untyped-def]
        form = dict(pair.split("=", 1) for pair in request.body.decode().split("&"))
        made = thing("t1", 500 + len(mine), body="Thanks", parent_id=form["thing_id"])
        mine.insert(0, made)
        return json_reply({"json": {"errors": [], "data": {"things": [made]}}})

    origin.route("/api/comment", comment, method="POST")
    origin.route("/user/acmecare/comments", lambda r: json_reply(listing(mine)))
    config = cfg(origin, username="acmecare", password="p" * 12)
    target = thing_to_post(listing_children(listing([thing("t3", 7)]))[0])
    first = await RedditConnector().reply(context, config, target, "Thanks", "k1")
    again = await RedditConnector().reply(context, config, target, "Thanks", "k1")
    assert first == again and len(mine) == 1
    assert first.external_id == "t1_x500"


def test_config_rules() -> None:
    with pytest.raises(ValueError, match="query"):
        RedditConfig(listing="search", client_id="a", client_secret="b")
    with pytest.raises(ValueError, match="subreddit"):
        RedditConfig(subreddits=["not a name!"], client_id="a", client_secret="b")
    assert copy.deepcopy(RedditConfig(client_id="a", client_secret="b")).api_url
