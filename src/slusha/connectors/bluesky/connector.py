"""The Bluesky connector: Jetstream (posts only) with cursor resume; search; replies."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from slusha.connectors.bluesky import parse
from slusha.connectors.bluesky.client import XrpcClient, jetstream_messages, jetstream_uri
from slusha.domain.post import Post
from slusha.errors import ConfigError, PermanentError, SlushaError
from slusha.plugins.api import (
    Connector,
    Cursor,
    HealthReport,
    PluginConfig,
    PluginContext,
    ReplyResult,
    StreamBatch,
    reveal,
)
from slusha.plugins.codes import http_status_error

BATCH_EVENTS = 200
BATCH_SECONDS = 1.0
# Jetstream replays from a cursor; rewinding a little makes the resume gapless (its README).
REWIND_US = 5_000_000
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


class BlueskyConfig(PluginConfig):
    """Which posts to take from the network, and the account for search and replies."""

    keywords: list[str] = Field(
        default_factory=list,
        description="Keep only posts containing one of these words (case-insensitive); empty "
        "keeps every post of the network, which is a lot.",
    )
    dids: list[str] = Field(
        default_factory=list, description="Only posts by these accounts (DIDs); empty: everyone."
    )
    jetstream_url: str = Field(
        "wss://jetstream2.us-east.bsky.network/subscribe", description="Jetstream endpoint."
    )
    appview_url: str = Field(
        "https://public.api.bsky.app", description="AppView for unauthenticated searchPosts."
    )
    pds_url: str = Field("https://bsky.social", description="The account's PDS (login, replies).")
    handle: str | None = Field(None, description="Account handle or DID (search and replies).")
    app_password: SecretStr | None = Field(
        None, description="An app password of that account (Settings > App passwords).",
        json_schema_extra={"secret": True},
    )  # fmt: skip


def tid_from_key(key: str) -> str:
    """A record key in TID syntax derived from an idempotency key (the same key, the same TID)."""
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1
    chars = [TID_ALPHABET[(number >> (5 * i)) & 31] for i in range(12, -1, -1)]
    return "".join(chars)


class BlueskyConnector(Connector):
    """Bluesky posts through Jetstream."""

    kind = "bluesky"
    title = "Bluesky"
    summary = "Posts from the whole network via Jetstream, filtered by words or accounts."
    description = (
        "Holds a Jetstream WebSocket subscribed to `app.bsky.feed.post` (optionally only some "
        "DIDs), keeps posts containing the configured words, and sees edits and deletions. The "
        "cursor is Jetstream's `time_us`; after a reconnect it resumes a few seconds earlier, "
        "so nothing is lost (repeats are dropped by the pipeline). Backfill uses "
        "`app.bsky.feed.searchPosts`; replies are post records with a reply reference, written "
        "under a record key derived from the idempotency key so a retry cannot post twice."
    )
    Config = BlueskyConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"stream", "search", "reply"})
    default_interval_seconds = 60

    def uses_stream(self, config: Any) -> bool:
        """Always a stream."""
        return True

    async def stream(
        self, ctx: PluginContext, config: BlueskyConfig, cursor: Cursor | None
    ) -> AsyncGenerator[StreamBatch, None]:
        """Follow Jetstream from the cursor, yielding batches about once a second."""
        last = (cursor or {}).get("time_us")
        start = max(0, int(last) - REWIND_US) if isinstance(last, int) else None
        uri = jetstream_uri(config.jetstream_url, collections=[parse.POST_COLLECTION],
                            dids=config.dids, cursor_us=start)  # fmt: skip
        words = [w.lower() for w in config.keywords if w.strip()]
        async with contextlib.aclosing(jetstream_messages(ctx, uri)) as messages:
            async for batch in self._batches(messages, words, last):
                yield batch

    async def _batches(
        self, messages: AsyncIterator[str], words: list[str], last: Any
    ) -> AsyncIterator[StreamBatch]:
        posts: list[Post] = []
        deleted: list[str] = []
        loop = asyncio.get_running_loop()
        flushed_at = loop.time()
        time_us = last
        async for message in messages:
            change = parse.jetstream_event(message)
            if change is None:
                continue
            time_us = change.time_us
            if change.post is not None:
                text = change.post.text.lower()
                if not words or any(w in text for w in words):
                    posts.append(change.post)
            elif change.deleted_id is not None:
                deleted.append(change.deleted_id)
            pending = len(posts) + len(deleted)
            if pending >= BATCH_EVENTS or loop.time() - flushed_at >= BATCH_SECONDS:
                yield StreamBatch(posts, {"time_us": time_us}, deleted_ids=deleted)
                posts, deleted = [], []
                flushed_at = loop.time()
        if time_us is not None and (posts or deleted or time_us != last):
            yield StreamBatch(posts, {"time_us": time_us}, deleted_ids=deleted)

    async def _session(self, ctx: PluginContext, config: BlueskyConfig) -> XrpcClient:
        if not (config.handle and config.app_password):
            raise ConfigError("this needs the Bluesky 'handle' and an 'app_password'")
        client = XrpcClient(ctx, config.pds_url)
        await client.login(config.handle, reveal(config.app_password))
        return client

    async def search(
        self,
        ctx: PluginContext,
        config: BlueskyConfig,
        terms: Sequence[str],
        since: datetime | None,
        limit: int,
    ) -> list[Post]:
        """``app.bsky.feed.searchPosts`` sorted by latest, paging with its cursor."""
        if config.handle and config.app_password:
            client = await self._session(ctx, config)
        else:
            client = XrpcClient(ctx, config.appview_url)
        found: dict[str, Post] = {}
        for term in terms:
            page_cursor = None
            while len(found) < limit:
                params: dict[str, Any] = {"q": term, "sort": "latest", "limit": 100}
                if since is not None:
                    params["since"] = since.isoformat()
                if page_cursor:
                    params["cursor"] = page_cursor
                data = await client.query("app.bsky.feed.searchPosts", params)
                views = data.get("posts") if isinstance(data, dict) else None
                if not views:
                    break
                for view in views:
                    try:
                        post = parse.post_view_to_post(view, fetched_at=ctx.clock.now())
                    except PermanentError:
                        continue
                    found.setdefault(post.id, post)
                page_cursor = data.get("cursor")
                if not page_cursor:
                    break
        return sorted(found.values(), key=lambda p: p.created_at, reverse=True)[:limit]

    async def reply(
        self, ctx: PluginContext, config: BlueskyConfig, post: Post, text: str,
        idempotency_key: str,
    ) -> ReplyResult:  # fmt: skip
        """Create a reply record under a key derived from ``idempotency_key``."""
        client = await self._session(ctx, config)
        parent = {"uri": post.id, "cid": post.extra.get("cid") or await self._cid(client, post.id)}
        root = parent
        if post.thread and post.thread != post.id:
            root = {
                "uri": post.thread,
                "cid": post.extra.get("root_cid") or await self._cid(client, post.thread),
            }
        rkey = tid_from_key(idempotency_key)
        record = {
            "$type": parse.POST_COLLECTION,
            "text": text,
            "createdAt": ctx.clock.now().isoformat().replace("+00:00", "Z"),
            "reply": {"root": root, "parent": parent},
        }
        status, data = await client.procedure(
            "com.atproto.repo.createRecord",
            {"repo": client.did, "collection": parse.POST_COLLECTION, "rkey": rkey,
             "record": record},
            raise_for_status=False,
        )  # fmt: skip
        if status >= 400:
            # A record under this key exists: an earlier attempt went through.
            try:
                existing = await client.query(
                    "com.atproto.repo.getRecord",
                    {"repo": client.did, "collection": parse.POST_COLLECTION, "rkey": rkey},
                )
            except SlushaError:
                raise http_status_error(status, f"{config.pds_url} createRecord") from None
            data = existing
        uri = str(data.get("uri") or parse.post_uri(client.did or "", rkey))
        return ReplyResult(external_id=uri, url=parse.web_url(client.did or "", rkey))

    @staticmethod
    async def _cid(client: XrpcClient, uri: str) -> str:
        did, collection, rkey = uri.removeprefix("at://").split("/")
        data = await client.query(
            "com.atproto.repo.getRecord", {"repo": did, "collection": collection, "rkey": rkey}
        )
        return str(data["cid"])

    async def test(self, ctx: PluginContext, config: BlueskyConfig) -> HealthReport:
        """Log in when credentials are set; otherwise open Jetstream and read one message."""
        try:
            if config.handle and config.app_password:
                client = await self._session(ctx, config)
                return HealthReport(ok=True, message=f"signed in as {client.did}")
            uri = jetstream_uri(config.jetstream_url, collections=[parse.POST_COLLECTION],
                                dids=config.dids, cursor_us=None)  # fmt: skip
            async with (
                asyncio.timeout(15),
                contextlib.aclosing(jetstream_messages(ctx, uri)) as messages,
            ):
                async for _message in messages:
                    break
        except (SlushaError, TimeoutError) as exc:
            code = exc.code if isinstance(exc, SlushaError) else "timeout"
            return HealthReport(ok=False, message=str(exc) or "no message in 15 s", code=code)
        return HealthReport(ok=True, message="Jetstream is streaming")
