"""The Hacker News connector against Algolia- and Firebase-shaped servers on 127.0.0.1."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from slusha.clock import FrozenClock
from slusha.connectors.hackernews.connector import HackerNewsConfig, HackerNewsConnector
from slusha.connectors.hackernews.parse import hit_to_post, item_to_post
from slusha.errors import PermanentError, TransientError
from slusha.plugins.api import PluginContext
from slusha.plugins.net import HttpClient
from tests.support.origin import Origin, Reply, json_reply

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "hackernews" / "search_by_date.json"
pytestmark = pytest.mark.timeout(20)


def page(hits: list[dict[str, Any]], nb_pages: int = 1) -> dict[str, Any]:
    data = json.loads(FIXTURE.read_text())
    data.update(hits=hits, nbPages=nb_pages, nbHits=len(hits))
    return data


def hit(n: int, at: int) -> dict[str, Any]:
    base = copy.deepcopy(json.loads(FIXTURE.read_text())["hits"][1])
    base.update(objectID=str(n), created_at_i=at, title=f"Story {n} about acme")
    return base


def cfg(origin: Origin) -> HackerNewsConfig:
    return HackerNewsConfig(query="acme", algolia_url=origin.url(""), firebase_url=origin.url(""))


@pytest.fixture
def context(http: HttpClient) -> PluginContext:
    return PluginContext(http=http, clock=FrozenClock(datetime(2026, 11, 27, 9, tzinfo=UTC)))


def test_fixture_hits_become_posts() -> None:
    comment, story = (hit_to_post(h) for h in json.loads(FIXTURE.read_text())["hits"])
    assert comment.kind == "comment" and comment.reply_to == "46000000"
    assert comment.text == "The Acme Widget 3 teardown shows a replaceable battery.\n\nNice."
    assert story.kind == "post" and story.title == "Acme Widget 3 teardown"
    assert story.metrics == {"likes": 120, "replies": 45}
    assert story.url == "https://news.ycombinator.com/item?id=46000000"


def test_every_captured_firebase_item_parses(shared_data: Path) -> None:
    items = 0
    for path in sorted((shared_data / "wire" / "hackernews" / "firebase-v0").glob("item_*.json")):
        post = item_to_post(json.loads(path.read_text()))
        assert post is not None and post.id.isdigit(), path
        items += 1
    assert items == 6
    assert item_to_post({"id": 1, "deleted": True}) is None


async def test_polls_by_date_without_repeats_at_the_same_second(
    origin: Origin, context: PluginContext
) -> None:
    state = {"hits": [hit(2, 1000), hit(1, 900)]}

    def search(request):  # type: ignore[no-untyped-def]
        floor = request.arg("numericFilters")
        hits = state["hits"]
        if floor:
            since = int(floor.split(">=")[1])
            hits = [h for h in hits if h["created_at_i"] >= since]
        size = int(request.arg("hitsPerPage"))
        number = int(request.arg("page"))
        pages = max(1, -(-len(hits) // size))
        return json_reply(page(hits[number * size : (number + 1) * size], pages))

    origin.route("/api/v1/search_by_date", search)
    origin.route("/v0/item/1.json", json_reply({"id": 1, "type": "story", "time": 900}))
    origin.route("/v0/item/2.json", json_reply({"id": 2, "type": "story", "time": 1000}))
    connector = HackerNewsConnector()
    first = await connector.fetch(context, cfg(origin), None)
    assert [p.id for p in first.posts] == ["1", "2"]
    # 150 new hits, three of them in the same second as the newest seen one.
    state["hits"] = [hit(n, 1000 + (n - 100) // 3) for n in range(249, 99, -1)] + state["hits"]
    cursor = json.loads(json.dumps(first.cursor))
    second = await connector.fetch(context, cfg(origin), cursor)
    assert sorted(int(p.id) for p in second.posts) == list(range(100, 250))
    third = await connector.fetch(context, cfg(origin), second.cursor)
    assert third.posts == []


async def test_deleted_and_dead_items_are_reported(origin: Origin, context: PluginContext) -> None:
    origin.route("/api/v1/search_by_date", json_reply(page([hit(3, 1000), hit(4, 999)])))
    first = await HackerNewsConnector().fetch(context, cfg(origin), None)
    origin.route("/v0/item/3.json", json_reply({"id": 3, "deleted": True, "time": 1000}))
    origin.route("/v0/item/4.json", json_reply(None))
    second = await HackerNewsConnector().fetch(context, cfg(origin), first.cursor)
    assert sorted(second.deleted_ids) == ["3", "4"]
    assert second.cursor["recent"] == []


@pytest.mark.parametrize(("reply", "error", "code"), [
    (Reply(500), TransientError, "http_5xx"),
    (Reply(429, headers={"retry-after": "3600"}), TransientError, "http_429"),
    (Reply(body=b'{"hits": [{"objectID": '), PermanentError, "parse"),
    (json_reply({"message": "no hits key"}), PermanentError, "parse"),
])  # fmt: skip
async def test_errors(
    origin: Origin, context: PluginContext, reply: Reply, error: type, code: str
) -> None:
    origin.route("/api/v1/search_by_date", reply)
    with pytest.raises(error) as info:
        await HackerNewsConnector().fetch(context, cfg(origin), None)
    assert info.value.code == code


async def test_search_backfill(origin: Origin, context: PluginContext) -> None:
    origin.route("/api/v1/search_by_date", json_reply(page([hit(n, 500 + n) for n in range(9)])))
    posts = await HackerNewsConnector().search(context, cfg(origin), ["acme"], None, 5)
    assert [p.id for p in posts] == ["8", "7", "6", "5", "4"]
