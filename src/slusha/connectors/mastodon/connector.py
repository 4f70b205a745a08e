"""The Mastodon connector: hashtag, public, local or home timeline; stream or poll; reply."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from slusha.connectors.mastodon import parse
from slusha.connectors.mastodon.client import MastodonClient
from slusha.domain.post import Post
from slusha.errors import ConfigError, SlushaError
from slusha.plugins.api import (
    Connector,
    Cursor,
    FetchResult,
    HealthReport,
    PluginConfig,
    PluginContext,
    ReplyResult,
    StreamBatch,
    reveal,
)

PAGE = 40  # the API's maximum page size for timelines and search
MAX_RECENT = 1000


class MastodonConfig(PluginConfig):
    """Which instance and timeline to listen to."""

    instance_url: str = Field(description="Base URL of the instance, e.g. https://mastodon.social.")
    timeline: Literal["hashtag", "public", "local", "home"] = Field(
        "hashtag", description="Timeline: a hashtag, the federated or local public one, or home."
    )
    hashtag: str | None = Field(None, description="Hashtag without '#', for the hashtag timeline.")
    mode: Literal["poll", "stream"] = Field(
        "poll", description="Poll the REST API, or hold a streaming connection (catches deletes)."
    )
    access_token: SecretStr | None = Field(
        None,
        description="User access token (scopes read, write:statuses); needed for home, search "
        "and replies, and by instances that restrict public timelines.",
        json_schema_extra={"secret": True},
    )

    @field_validator("instance_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _hashtag_needed(self) -> MastodonConfig:
        if self.timeline == "hashtag":
            if not self.hashtag:
                raise ValueError("the hashtag timeline needs 'hashtag'")
            self.hashtag = self.hashtag.lstrip("#")
        if self.timeline == "home" and self.access_token is None:
            raise ValueError("the home timeline needs 'access_token'")
        return self


def _id_key(value: str) -> tuple[int, str]:
    # Mastodon ids are numeric strings of varying length; compare them as numbers.
    return (int(value), value) if value.isdigit() else (0, value)


class MastodonConnector(Connector):
    """Mastodon and compatible servers (any instance)."""

    kind = "mastodon"
    title = "Mastodon"
    summary = "Hashtag, public, local or home timelines of any Mastodon instance."
    description = (
        "Listens to one timeline of one instance: a hashtag, the federated or local public "
        "timeline, or the home timeline of the token's account. In `stream` mode it holds the "
        "streaming API (Server-Sent Events) open, sees edits and deletions as they happen, and "
        "catches up over REST after a reconnect; in `poll` mode it pages the REST timeline "
        "forward with `min_id`. Backfill uses `/api/v2/search`; replies are statuses with "
        "`in_reply_to_id` and an `Idempotency-Key`."
    )
    Config = MastodonConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll", "stream", "search", "reply"})
    default_interval_seconds = 120

    def _client(self, ctx: PluginContext, config: MastodonConfig) -> MastodonClient:
        return MastodonClient(ctx.http, config.instance_url, reveal(config.access_token) or None)

    def uses_stream(self, config: Any) -> bool:
        """Streams when configured to."""
        return bool(config.mode == "stream")

    async def fetch(
        self, ctx: PluginContext, config: MastodonConfig, cursor: Cursor | None
    ) -> FetchResult:
        """Page the timeline forward from the cursor's ``min_id`` (gap-free, oldest first)."""
        client = self._client(ctx, config)
        path, fixed = client.timeline_path(config.timeline, config.hashtag)
        cursor = dict(cursor or {})
        min_id = cursor.get("min_id")
        statuses: list[dict[str, Any]] = []
        if min_id is None:
            # First run: start from now (the newest page), not from the beginning of time.
            page = await client.get(path, {**fixed, "limit": PAGE})
            statuses = [s for s in page if isinstance(s, dict)] if isinstance(page, list) else []
        else:
            for _ in range(ctx.limits.max_pages_per_fetch):
                page = await client.get(path, {**fixed, "limit": PAGE, "min_id": min_id})
                if not isinstance(page, list):
                    raise SlushaError("the timeline is not a list", code="parse")
                batch = [s for s in page if isinstance(s, dict) and s.get("id")]
                if not batch:
                    break
                statuses.extend(batch)
                min_id = max((str(s["id"]) for s in batch), key=_id_key)
                if len(batch) < PAGE:
                    break
        posts = parse.statuses_to_posts(statuses, instance_url=config.instance_url)
        posts.sort(key=lambda p: _id_key(p.extra["local_id"]))
        newest = max((str(s["id"]) for s in statuses if s.get("id")), key=_id_key, default=None)
        new_min = max(filter(None, [cursor.get("min_id"), newest]), key=_id_key, default=None)
        return FetchResult(posts=posts, cursor={"min_id": new_min} if new_min else {})

    async def stream(
        self, ctx: PluginContext, config: MastodonConfig, cursor: Cursor | None
    ) -> AsyncGenerator[StreamBatch, None]:
        """Catch up over REST from the cursor, then follow the streaming API."""
        cursor = dict(cursor or {})
        recent: dict[str, str] = dict(cursor.get("recent") or {})
        catch_up = await self.fetch(ctx, config, {"min_id": cursor["min_id"]} if
                                    cursor.get("min_id") else None)  # fmt: skip
        for post in catch_up.posts:
            recent[post.extra["local_id"]] = post.id
        min_id = catch_up.cursor.get("min_id")
        yield StreamBatch(catch_up.posts, self._cursor(min_id, recent))
        client = self._client(ctx, config)
        path, params = client.stream_path(config.timeline, config.hashtag)
        decoder = parse.SseDecoder()
        # aclosing: a consumer that stops early must close the HTTP stream now, not at GC.
        async with contextlib.aclosing(client.stream_lines(path, params)) as lines:
            async for line in lines:
                for batch in self._on_line(decoder, line, config, recent, min_id):
                    min_id = batch.cursor.get("min_id", min_id)
                    yield batch

    def _on_line(
        self,
        decoder: parse.SseDecoder,
        line: str,
        config: MastodonConfig,
        recent: dict[str, str],
        min_id: str | None,
    ) -> list[StreamBatch]:
        event = decoder.feed(line)
        if event is None:
            return []
        change = parse.stream_event_change(event, instance_url=config.instance_url)
        if change is None:
            return []
        if change.post is not None:
            local_id = change.post.extra["local_id"]
            recent[local_id] = change.post.id
            if min_id is None or _id_key(local_id) > _id_key(min_id):
                min_id = local_id
            return [StreamBatch([change.post], self._cursor(min_id, recent))]
        uri = recent.pop(change.deleted_local_id or "", None)
        if uri is None:
            return []
        return [StreamBatch([], self._cursor(min_id, recent), deleted_ids=[uri])]

    @staticmethod
    def _cursor(min_id: str | None, recent: dict[str, str]) -> Cursor:
        # Deletions arrive as local ids; the recent map turns them back into post ids.
        trimmed = dict(list(recent.items())[-MAX_RECENT:])
        return {"min_id": min_id, "recent": trimmed} if min_id else {"recent": trimmed}

    async def search(
        self,
        ctx: PluginContext,
        config: MastodonConfig,
        terms: Sequence[str],
        since: datetime | None,
        limit: int,
    ) -> list[Post]:
        """Statuses matching each term (``/api/v2/search``), newest first."""
        client = self._client(ctx, config)
        found: dict[str, Post] = {}
        for term in terms:
            offset = 0
            while len(found) < limit:
                data = await client.get(
                    "/api/v2/search",
                    {"q": term, "type": "statuses", "limit": PAGE, "offset": offset},
                )
                statuses = data.get("statuses") if isinstance(data, dict) else None
                if not statuses:
                    break
                for post in parse.statuses_to_posts(statuses, instance_url=config.instance_url):
                    if since is None or post.created_at >= since:
                        found.setdefault(post.id, post)
                offset += len(statuses)
                if len(statuses) < PAGE:
                    break
        posts = sorted(found.values(), key=lambda p: p.created_at, reverse=True)
        return posts[:limit]

    async def reply(
        self,
        ctx: PluginContext,
        config: MastodonConfig,
        post: Post,
        text: str,
        idempotency_key: str,
    ) -> ReplyResult:
        """Reply with a status; the idempotency key makes a resend return the first status."""
        if config.access_token is None:
            raise ConfigError("replying on Mastodon needs an access_token")
        client = self._client(ctx, config)
        local_id = (
            post.extra.get("local_id") if post.extra.get("instance") == _host(config) else None
        )
        if local_id is None:
            # The post came through another instance: find this instance's id for its URI.
            data = await client.get("/api/v2/search", {"q": post.id, "type": "statuses",
                                                       "resolve": "true", "limit": 1})  # fmt: skip
            statuses = data.get("statuses") if isinstance(data, dict) else None
            if not statuses:
                raise SlushaError(f"{_host(config)} cannot find {post.id}", code="http_404")
            local_id = str(statuses[0]["id"])
        created = await client.post_status(
            text=text, in_reply_to_id=str(local_id), idempotency_key=idempotency_key
        )
        return ReplyResult(external_id=str(created.get("uri") or created.get("id")),
                           url=created.get("url"))  # fmt: skip

    async def test(self, ctx: PluginContext, config: MastodonConfig) -> HealthReport:
        """Check the token (verify_credentials) or, without one, that the instance answers."""
        client = self._client(ctx, config)
        try:
            if config.access_token is not None:
                account = await client.get("/api/v1/accounts/verify_credentials")
                return HealthReport(ok=True, message=f"signed in as @{account.get('acct')}")
            path, fixed = client.timeline_path(config.timeline, config.hashtag)
            await client.get(path, {**fixed, "limit": 1})
        except SlushaError as exc:
            return HealthReport(ok=False, message=str(exc), code=exc.code)
        return HealthReport(ok=True, message=f"{config.instance_url} answers")


def _host(config: MastodonConfig) -> str:
    return urlsplit(config.instance_url).hostname or ""
