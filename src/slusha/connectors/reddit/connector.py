"""The Reddit connector: new submissions or comments of subreddits, or a search, by polling."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from slusha.connectors.reddit import parse
from slusha.connectors.reddit.client import RedditClient
from slusha.domain.post import Post
from slusha.errors import ConfigError, PermanentError, SlushaError
from slusha.plugins.api import (
    Connector,
    Cursor,
    FetchResult,
    HealthReport,
    PluginConfig,
    PluginContext,
    ReplyResult,
    reveal,
)

PAGE = 100  # Reddit's maximum listing size
MAX_SEEN = 500
RECHECK = 100  # recent things re-read per poll to notice edits and deletions


class RedditConfig(PluginConfig):
    """What to listen to on Reddit, and the app credentials."""

    subreddits: list[str] = Field(
        default_factory=list, description="Subreddit names without 'r/' (empty: all of Reddit)."
    )
    listing: Literal["new", "comments", "search"] = Field(
        "new", description="New submissions, new comments, or a search (needs 'query')."
    )
    query: str | None = Field(None, description="Search terms (Reddit search syntax).")
    client_id: str = Field(description="OAuth client id of the Reddit app (reddit.com/prefs/apps).")
    client_secret: SecretStr = Field(
        description="OAuth client secret of the Reddit app.", json_schema_extra={"secret": True}
    )
    username: str | None = Field(None, description="Account of a 'script' app, for replies.")
    password: SecretStr | None = Field(
        None, description="Password of that account (replies only).",
        json_schema_extra={"secret": True},
    )  # fmt: skip
    auth_url: str = Field("https://www.reddit.com", description="OAuth token endpoint base URL.")
    api_url: str = Field("https://oauth.reddit.com", description="OAuth API base URL.")

    @field_validator("subreddits")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [v.strip().removeprefix("r/").removeprefix("/r/") for v in value if v.strip()]
        for name in names:
            if not re.fullmatch(r"[A-Za-z0-9_]{2,21}", name):
                raise ValueError(f"{name!r} is not a subreddit name")
        return names

    @model_validator(mode="after")
    def _query_for_search(self) -> RedditConfig:
        if self.listing == "search" and not self.query:
            raise ValueError("the search listing needs 'query'")
        return self


class RedditConnector(Connector):
    """Reddit submissions and comments."""

    kind = "reddit"
    title = "Reddit"
    summary = "New submissions, comments or search results of subreddits, polled."
    description = (
        "Polls `/r/<subs>/new`, `/r/<subs>/comments` or a search sorted by new with "
        "application-only OAuth (a 'script' app's account is needed only for replies). "
        "Paging uses `before` from the newest thing seen, with a fallback for an anchor that "
        "was deleted; the most recent things are re-read through `/api/info` each poll so "
        "that edits are picked up and deletions are reported. Replies are comments."
    )
    Config = RedditConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll", "search", "reply"})
    default_interval_seconds = 120

    def _client(self, ctx: PluginContext, config: RedditConfig) -> RedditClient:
        return RedditClient(
            ctx, auth_url=config.auth_url, api_url=config.api_url, client_id=config.client_id,
            client_secret=reveal(config.client_secret), username=config.username,
            password=reveal(config.password) or None,
        )  # fmt: skip

    @staticmethod
    def _path(config: RedditConfig) -> tuple[str, dict[str, Any]]:
        subs = "+".join(config.subreddits)
        prefix = f"/r/{subs}" if subs else ""
        if config.listing == "search":
            params: dict[str, Any] = {"q": config.query, "sort": "new"}
            if subs:
                params["restrict_sr"] = "on"
            return f"{prefix}/search", params
        if config.listing == "comments":
            return f"{prefix or '/r/all'}/comments", {}
        return f"{prefix}/new" if prefix else "/new", {}

    async def fetch(
        self, ctx: PluginContext, config: RedditConfig, cursor: Cursor | None
    ) -> FetchResult:
        """New things since the cursor, oldest first, plus edits and deletions of recent ones."""
        client = self._client(ctx, config)
        path, fixed = self._path(config)
        cursor = dict(cursor or {})
        seen: list[str] = list(cursor.get("seen") or [])
        newest = cursor.get("newest")
        items: list[dict[str, Any]] = []
        if newest:
            before = newest
            for _ in range(ctx.limits.max_pages_per_fetch):
                data = await client.call("GET", path, params={**fixed, "limit": PAGE,
                                                               "before": before})  # fmt: skip
                page = parse.listing_children(data)
                items += page
                before = (data.get("data") or {}).get("before") if isinstance(data, dict) else None
                if len(page) < PAGE or not before:
                    break
            if not items:
                # A deleted anchor makes ``before`` return nothing forever: look at the newest
                # page and keep what was not seen yet.
                data = await client.call("GET", path, params={**fixed, "limit": PAGE})
                floor = float(cursor.get("newest_utc") or 0)
                items = [
                    i
                    for i in parse.listing_children(data)
                    if i.get("name") not in seen and float(i.get("created_utc") or 0) >= floor
                ]
        else:
            data = await client.call("GET", path, params={**fixed, "limit": 25})
            items = parse.listing_children(data)
        fresh = [i for i in items if i.get("name") and i["name"] not in seen]
        unique = {i["name"]: i for i in fresh}
        posts, deleted = [], []
        for item in unique.values():
            if parse.is_deleted(item):
                continue
            try:
                posts.append(parse.thing_to_post(item))
            except PermanentError:
                continue
        posts.sort(key=lambda p: p.created_at)
        recheck = [n for n in seen[-RECHECK:] if n not in unique]
        if recheck:
            data = await client.call("GET", "/api/info", params={"id": ",".join(recheck)})
            edited = cursor.get("edited") or {}
            for item in parse.listing_children(data):
                if parse.is_deleted(item):
                    deleted.append(item["name"])
                elif item.get("edited") and edited.get(item["name"]) != item["edited"]:
                    edited[item["name"]] = item["edited"]
                    posts.append(parse.thing_to_post(item))
            cursor["edited"] = {k: v for k, v in edited.items() if k in seen}
        seen = [n for n in seen if n not in deleted] + [p.id for p in posts if p.id not in seen]
        if unique:
            top = max(unique.values(), key=lambda i: i.get("created_utc") or 0)
            newest = top["name"]
            cursor["newest_utc"] = top.get("created_utc")
        return FetchResult(
            posts=posts,
            cursor={**cursor, "newest": newest, "seen": seen[-MAX_SEEN:]},
            deleted_ids=deleted,
        )

    async def search(
        self,
        ctx: PluginContext,
        config: RedditConfig,
        terms: Sequence[str],
        since: datetime | None,
        limit: int,
    ) -> list[Post]:
        """Search sorted by new, paging with ``after``, for the terms (OR-ed)."""
        client = self._client(ctx, config)
        subs = "+".join(config.subreddits)
        path = f"/r/{subs}/search" if subs else "/search"
        query = " OR ".join(f'"{t}"' if " " in t else t for t in terms)
        params: dict[str, Any] = {"q": query, "sort": "new", "limit": PAGE}
        if subs:
            params["restrict_sr"] = "on"
        posts: list[Post] = []
        after = None
        while len(posts) < limit:
            data = await client.call("GET", path, params={**params, **({"after": after} if after
                                                                         else {})})  # fmt: skip
            items = parse.listing_children(data)
            for item in items:
                if parse.is_deleted(item):
                    continue
                post = parse.thing_to_post(item)
                if since is not None and post.created_at < since:
                    return posts[:limit]
                posts.append(post)
            after = (data.get("data") or {}).get("after") if isinstance(data, dict) else None
            if not after or not items:
                break
        return posts[:limit]

    async def reply(
        self, ctx: PluginContext, config: RedditConfig, post: Post, text: str,
        idempotency_key: str,
    ) -> ReplyResult:  # fmt: skip
        """Comment on ``post``; first looks for the same comment by this account (no repeats)."""
        if not (config.username and config.password):
            raise ConfigError("replying on Reddit needs the script app's username and password")
        client = self._client(ctx, config)
        # Reddit has no idempotency keys: a comment with the same parent and text by this
        # account means an earlier attempt went through.
        mine = await client.call("GET", f"/user/{config.username}/comments", params={"limit": 100})
        for item in parse.listing_children(mine):
            if item.get("parent_id") == post.id and item.get("body", "").strip() == text.strip():
                existing = parse.thing_to_post(item)
                return ReplyResult(external_id=existing.id, url=existing.url)
        data = await client.call(
            "POST", "/api/comment", form={"thing_id": post.id, "text": text, "api_type": "json"}
        )
        errors = ((data or {}).get("json") or {}).get("errors") or []
        if errors:
            raise PermanentError(f"Reddit refused the comment: {errors}", code="http_4xx")
        things = (((data.get("json") or {}).get("data") or {}).get("things")) or []
        if not things:
            raise PermanentError("Reddit accepted the comment but returned no thing", code="parse")
        created = parse.thing_to_post({**things[0]["data"], "_kind": "t1"})
        return ReplyResult(external_id=created.id, url=created.url)

    async def test(self, ctx: PluginContext, config: RedditConfig) -> HealthReport:
        """Obtain a token and read one listing item."""
        try:
            path, fixed = self._path(config)
            await self._client(ctx, config).call("GET", path, params={**fixed, "limit": 1})
        except SlushaError as exc:
            return HealthReport(ok=False, message=str(exc), code=exc.code)
        return HealthReport(ok=True, message="credentials accepted; listing readable")
