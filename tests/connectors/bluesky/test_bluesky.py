"""The Bluesky connector against a Jetstream-shaped WebSocket and XRPC server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from slusha.clock import FrozenClock
from slusha.connectors.bluesky.connector import BlueskyConfig, BlueskyConnector, tid_from_key
from slusha.connectors.bluesky.parse import jetstream_event, post_view_to_post
from slusha.errors import PermanentError, SlushaError, TransientError
from slusha.plugins.api import PluginContext, StreamBatch
from slusha.plugins.net import HttpClient
from tests.support.origin import Origin, WebSocket, json_reply

EVENTS = Path(__file__).resolve().parents[2] / "fixtures" / "bluesky" / "events.jsonl"
NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)
pytestmark = pytest.mark.timeout(20)


def lines() -> list[str]:
    return EVENTS.read_text().splitlines()


@pytest.fixture
def context(http: HttpClient) -> PluginContext:
    return PluginContext(http=http, clock=FrozenClock(NOW))


def cfg(origin: Origin, **values: Any) -> BlueskyConfig:
    base = {"jetstream_url": origin.ws_url("/subscribe"), "pds_url": origin.url(""),
            "appview_url": origin.url("")}  # fmt: skip
    return BlueskyConfig(**(base | values))


def test_every_captured_jetstream_event_parses(shared_data: Path) -> None:
    posts = 0
    for name in ("expected_v1.jsonl", "golden_v1.jsonl"):
        for line in (
            (shared_data / "wire" / "bluesky" / "jetstream" / name).read_text().splitlines()
        ):
            change = jetstream_event(line)
            assert change is not None and change.time_us > 0
            if change.post is not None:
                assert change.post.id.startswith("at://did:")
                posts += 1
    assert posts >= 17
    thread = json.loads((shared_data / "wire" / "bluesky" / "xrpc" /
                         "thread_view_post_with_embed_media.json").read_text())  # fmt: skip
    post = post_view_to_post(thread["thread"]["post"], fetched_at=NOW)
    assert post.author is not None and post.author.handle == "test.marshal.dev"


async def collect(context: PluginContext, config: BlueskyConfig, cursor: Any) -> list[StreamBatch]:
    return [batch async for batch in BlueskyConnector().stream(context, config, cursor)]


async def test_stream_filters_keeps_edits_and_deletions_and_resumes(
    origin: Origin, context: PluginContext
) -> None:
    seen_queries: list[dict[str, list[str]]] = []

    async def jetstream(ws: WebSocket) -> None:
        seen_queries.append(ws.query)
        await ws.accept()
        for line in lines():
            await ws.send_text(line)
        await ws.send_text(lines()[0])  # a duplicate event
        await ws.close()

    origin.websocket("/subscribe", jetstream)
    config = cfg(origin, keywords=["ACME"])
    batches = await collect(context, config, None)
    posts = [p for b in batches for p in b.posts]
    assert [p.text for p in posts] == [
        "The Acme widget is great",
        "acme support answered fast",
        "The Acme widget is great (edited)",
        "The Acme widget is great",
    ]
    assert posts[1].kind == "reply" and posts[1].thread == posts[0].id
    assert posts[2].extra["edited"] is True
    deleted = [d for b in batches for d in b.deleted_ids]
    assert deleted == ["at://did:plc:replier33333333333333/app.bsky.feed.post/3mabcdefghi25"]
    assert batches[-1].cursor == {"time_us": 1795766400000001}
    assert seen_queries[0]["wantedCollections"] == ["app.bsky.feed.post"]
    assert "cursor" not in seen_queries[0]
    # A restart resumes from the stored cursor, rewound by five seconds.
    await collect(context, config, json.loads(json.dumps(batches[-1].cursor)))
    assert seen_queries[1]["cursor"] == [str(1795766400000001 - 5_000_000)]


async def test_broken_connection_is_transient(origin: Origin, context: PluginContext) -> None:
    async def jetstream(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text(lines()[0])
        await ws.close(code=1011)

    origin.websocket("/subscribe", jetstream)
    with pytest.raises(TransientError) as info:
        await collect(context, cfg(origin), None)
    assert info.value.code == "network"


async def test_malformed_event_is_a_parse_error(origin: Origin, context: PluginContext) -> None:
    async def jetstream(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text('{"did": "x", "time_us": ')
        await ws.wait_closed()

    origin.websocket("/subscribe", jetstream)
    with pytest.raises(PermanentError) as info:
        await collect(context, cfg(origin), None)
    assert info.value.code == "parse"


async def test_jetstream_host_is_checked_by_the_guard(context: PluginContext) -> None:
    config = BlueskyConfig(jetstream_url="ws://evil.example.com:9/subscribe")
    with pytest.raises(SlushaError) as info:
        await collect(context, config, None)
    assert info.value.code == "private_address"


async def test_search_pages_with_the_cursor(origin: Origin, context: PluginContext) -> None:
    def view(n: int) -> dict[str, Any]:
        return {"uri": f"at://did:plc:a/app.bsky.feed.post/3m{n:011d}", "cid": f"c{n}",
                "author": {"did": "did:plc:a", "handle": "a.bsky.social"},
                "record": {"text": f"acme {n}", "createdAt": f"2026-11-27T08:{n:02d}:00Z"},
                "likeCount": n, "indexedAt": "2026-11-27T08:00:00Z"}  # fmt: skip

    def search(request):  # type: ignore[no-untyped-def]
        start = int(request.arg("cursor", "0"))
        return json_reply({"posts": [view(start + i) for i in range(3)],
                           "cursor": str(start + 3) if start < 6 else None})  # fmt: skip

    origin.route("/xrpc/app.bsky.feed.searchPosts", search)
    posts = await BlueskyConnector().search(context, cfg(origin), ["acme"], None, 7)
    assert len(posts) == 7 and posts[0].text == "acme 8"
    assert posts[0].metrics == {"likes": 8}


async def test_reply_uses_a_key_derived_record_and_never_posts_twice(
    origin: Origin, context: PluginContext
) -> None:
    records: dict[str, dict[str, Any]] = {}

    def create(request):  # type: ignore[no-untyped-def]
        body = request.json()
        if body["rkey"] in records:
            return json_reply({"error": "InvalidRequest", "message": "exists"}, status=400)
        records[body["rkey"]] = body["record"]
        return json_reply({"uri": f"at://did:plc:me/app.bsky.feed.post/{body['rkey']}",
                           "cid": "bafynew"})  # fmt: skip

    def get_record(request):  # type: ignore[no-untyped-def]
        rkey = request.arg("rkey")
        return json_reply({"uri": f"at://{request.arg('repo')}/app.bsky.feed.post/{rkey}",
                           "cid": "bafyold", "value": records.get(rkey, {})})  # fmt: skip

    origin.route("/xrpc/com.atproto.server.createSession", json_reply(
        {"accessJwt": "jwt", "refreshJwt": "r", "did": "did:plc:me", "handle": "me.test"}),
        method="POST")  # fmt: skip
    origin.route("/xrpc/com.atproto.repo.createRecord", create, method="POST")
    origin.route("/xrpc/com.atproto.repo.getRecord", get_record)
    change = jetstream_event(lines()[3])
    assert change is not None and change.post is not None
    config = cfg(origin, handle="me.test", app_password="abcd-efgh-ijkl-mnop")
    first = await BlueskyConnector().reply(context, config, change.post, "Thanks!", "key-9")
    again = await BlueskyConnector().reply(context, config, change.post, "Thanks!", "key-9")
    assert first == again and len(records) == 1
    (record,) = records.values()
    assert record["reply"]["parent"]["uri"] == change.post.id
    assert record["reply"]["root"]["uri"] == change.post.thread
    assert record["reply"]["root"]["cid"] == "bafyreiaaaa"
    assert tid_from_key("key-9") == first.external_id.rsplit("/", 1)[1]
    assert tid_from_key("key-9")[0] in "234567abcdefghij" and len(tid_from_key("x")) == 13
