"""The Mastodon connector against a server on 127.0.0.1 speaking the documented API."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from slusha.clock import FrozenClock
from slusha.connectors.mastodon.connector import MastodonConfig, MastodonConnector
from slusha.connectors.mastodon.parse import SseDecoder, status_to_post, stream_event_change
from slusha.errors import PermanentError, TransientError
from slusha.plugins.api import PluginContext
from slusha.plugins.net import HttpClient
from tests.support.origin import Origin, Reply, json_reply

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "mastodon" / "status.json"
pytestmark = pytest.mark.timeout(20)


def status(local_id: int, text: str = "hello #acme", **changes: Any) -> dict[str, Any]:
    data = json.loads(FIXTURE.read_text())
    data["id"] = str(local_id)
    data["uri"] = f"https://social.example/users/ana/statuses/{local_id}"
    data["url"] = f"https://social.example/@ana/{local_id}"
    data["content"] = f"<p>{text}</p>"
    data.update(changes)
    return data


def ctx(http: HttpClient) -> PluginContext:
    return PluginContext(http=http, clock=FrozenClock(datetime(2026, 11, 27, tzinfo=UTC)))


def config(origin: Origin, **values: Any) -> MastodonConfig:
    base = {"instance_url": origin.url(""), "timeline": "hashtag", "hashtag": "#acme"}
    return MastodonConfig(**(base | values))


def test_status_fixture_becomes_a_post() -> None:
    post = status_to_post(json.loads(FIXTURE.read_text()), instance_url="https://social.example")
    assert post.id == "https://social.example/users/ana/statuses/113000000000000001"
    assert post.text == "Loving the new #acme widget & its battery!"
    assert post.author is not None and post.author.handle == "@ana@social.example"
    assert post.author.followers == 1234
    assert post.metrics == {"likes": 5, "shares": 3, "replies": 2}
    assert post.lang == "en" and post.kind == "post"
    assert post.extra["local_id"] == "113000000000000001"
    boost = status_to_post(status(5, reblog=status(4, "original")), instance_url="https://x.y")
    assert boost.kind == "share" and boost.text == "original"


def _statuses_in(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        # StatusEdit entries (edit history) have content but no id: they are not statuses.
        return [s for s in data if isinstance(s, dict) and "content" in s and "id" in s]
    if not isinstance(data, dict):
        return []
    if "content" in data and "id" in data and "created_at" in data:
        return [data]
    found = []
    for key in ("statuses", "ancestors", "descendants"):
        found += _statuses_in(data.get(key))
    return found


def test_every_captured_status_and_stream_parses(shared_data: Path) -> None:
    root = shared_data / "wire" / "mastodon"
    count = 0
    for path in sorted((root / "json").glob("*.json")):
        for item in _statuses_in(json.loads(path.read_text())):
            post = status_to_post(item, instance_url="https://mastodon.social")
            assert post.id.startswith("http") and post.created_at.tzinfo is not None, path
            count += 1
    assert count >= 30
    updates = 0
    for path in sorted((root / "streaming").glob("*.sse.txt")):
        decoder = SseDecoder()
        for line in [*path.read_text().splitlines(), ""]:
            event = decoder.feed(line)
            if event is not None:
                change = stream_event_change(event, instance_url="http://localhost:3000")
                if change is not None and change.post is not None:
                    updates += 1
    assert updates >= 4


async def test_poll_starts_at_now_then_pages_forward_without_gaps(
    origin: Origin, http: HttpClient
) -> None:
    newest = [status(i) for i in (110, 109)]
    page1 = [status(i) for i in range(150, 110, -1)]  # a full page of 40, newest first
    page2 = [status(i) for i in (152, 151)]

    def timeline(request):  # type: ignore[no-untyped-def]
        min_id = request.arg("min_id")
        if min_id is None:
            return json_reply(newest)
        return json_reply({"110": page1, "150": page2}.get(min_id, []))

    origin.route("/api/v1/timelines/tag/acme", timeline)
    connector = MastodonConnector()
    first = await connector.fetch(ctx(http), config(origin), None)
    assert [p.extra["local_id"] for p in first.posts] == ["109", "110"]
    cursor = json.loads(json.dumps(first.cursor))  # a restart in between
    second = await connector.fetch(ctx(http), config(origin), cursor)
    ids = [int(p.extra["local_id"]) for p in second.posts]
    assert ids == list(range(111, 153))  # oldest first, nothing lost, nothing repeated
    assert second.cursor == {"min_id": "152"}
    third = await connector.fetch(ctx(http), config(origin), second.cursor)
    assert third.posts == [] and third.cursor == {"min_id": "152"}


@pytest.mark.parametrize(("status_code", "code"), [(401, "http_401"), (403, "http_403"),
                                                   (404, "http_404")])  # fmt: skip
async def test_errors_are_classified(
    origin: Origin, http: HttpClient, status_code: int, code: str
) -> None:
    origin.route("/api/v1/timelines/tag/acme", json_reply({"error": "nope"}, status=status_code))
    with pytest.raises(PermanentError) as info:
        await MastodonConnector().fetch(ctx(http), config(origin), None)
    assert info.value.code == code


async def test_malformed_json_is_a_parse_error(origin: Origin, http: HttpClient) -> None:
    origin.route("/api/v1/timelines/tag/acme", Reply(body=b'[{"id": '))
    with pytest.raises(PermanentError) as info:
        await MastodonConnector().fetch(ctx(http), config(origin), None)
    assert info.value.code == "parse"


def sse(event: str, data: Any) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"event: {event}\ndata: {payload}\n\n".encode()


async def test_stream_catches_up_then_follows_edits_and_deletions(
    origin: Origin, http: HttpClient
) -> None:
    origin.route("/api/v1/timelines/tag/acme", lambda r: json_reply(
        [status(201)] if r.arg("min_id") == "200" else []))  # fmt: skip
    edited = status(202, "edited text", edited_at="2026-11-27T09:00:00.000Z")
    origin.route("/api/v1/streaming/hashtag", Reply(
        headers={"content-type": "text/event-stream"},
        chunks=[b":)\n", sse("update", status(202)), b":thump\n", 0.05,
                sse("update", status(202)),  # a duplicate event
                sse("status.update", edited), sse("delete", "202"),
                sse("delete", "999"),  # unknown to this connection: ignored
                b"event: update\ndata: {\"id\": \"2"],  # the connection drops mid-event
    ))  # fmt: skip
    connector = MastodonConnector()
    batches = [b async for b in connector.stream(ctx(http), config(origin, mode="stream"),
                                                 {"min_id": "200"})]  # fmt: skip
    assert [p.extra["local_id"] for p in batches[0].posts] == ["201"]
    posts = [p for b in batches[1:] for p in b.posts]
    assert [p.text for p in posts] == ["hello #acme", "hello #acme", "edited text"]
    assert posts[2].extra["edited_at"]
    deletions = [d for b in batches for d in b.deleted_ids]
    assert deletions == ["https://social.example/users/ana/statuses/202"]
    assert batches[-1].cursor["min_id"] == "202"
    assert origin.hits("/api/v1/streaming/hashtag")[0].arg("tag") == "acme"


async def test_stream_with_malformed_event_fails_to_be_reconnected(
    origin: Origin, http: HttpClient
) -> None:
    origin.route("/api/v1/timelines/tag/acme", json_reply([]))
    origin.route("/api/v1/streaming/hashtag", Reply(chunks=[sse("update", "{broken")]))
    with pytest.raises(PermanentError) as info:
        async for _ in MastodonConnector().stream(ctx(http), config(origin, mode="stream"), None):
            pass
    assert info.value.code == "parse"


async def test_search_backfill_is_bounded(origin: Origin, http: HttpClient) -> None:
    def search(request):  # type: ignore[no-untyped-def]
        offset = int(request.arg("offset") or 0)
        statuses = [status(300 + offset + i) for i in range(40)]
        return json_reply({"accounts": [], "hashtags": [], "statuses": statuses})

    origin.route("/api/v2/search", search)
    posts = await MastodonConnector().search(ctx(http), config(origin, access_token="t" * 20),
                                             ["acme"], None, 50)  # fmt: skip
    assert len(posts) == 50 and len({p.id for p in posts}) == 50
    assert origin.hits("/api/v2/search")[0].headers["authorization"] == "Bearer " + "t" * 20


async def test_reply_sends_an_idempotency_key_and_is_never_retried(
    origin: Origin, http: HttpClient
) -> None:
    created: dict[str, dict[str, Any]] = {}

    def post_status(request):  # type: ignore[no-untyped-def]
        key = request.headers["idempotency-key"]
        if key not in created:  # what Mastodon does with Idempotency-Key
            created[key] = status(900 + len(created), reply=True, in_reply_to_id="113")
        return json_reply(created[key])

    origin.route("/api/v1/statuses", post_status, method="POST")
    cfg = config(origin, access_token="t" * 20)
    target = status_to_post(status(113), instance_url=origin.url(""))
    target.extra["instance"] = "127.0.0.1"
    first = await MastodonConnector().reply(ctx(http), cfg, target, "Thanks!", "key-1")
    again = await MastodonConnector().reply(ctx(http), cfg, target, "Thanks!", "key-1")
    assert first == again and len(created) == 1
    body = origin.hits("/api/v1/statuses")[0].body.decode()
    assert "in_reply_to_id=113" in body and "status=Thanks%21" in body
    origin.route("/api/v1/statuses", Reply(502), method="POST")
    with pytest.raises(TransientError):
        await MastodonConnector().reply(ctx(http), cfg, target, "Again", "key-2")
    assert len(origin.hits("/api/v1/statuses")) == 3


def test_config_rules() -> None:
    with pytest.raises(ValueError, match="hashtag"):
        MastodonConfig(instance_url="https://m.example", timeline="hashtag")
    with pytest.raises(ValueError, match="access_token"):
        MastodonConfig(instance_url="https://m.example", timeline="home")
    assert copy.deepcopy(MastodonConfig(instance_url="https://m.example/", timeline="public"))
