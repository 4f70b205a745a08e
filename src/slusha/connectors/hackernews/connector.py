"""The Hacker News connector: stories and comments matching a query, polled by date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from slusha.connectors.hackernews import client, parse
from slusha.domain.post import Post
from slusha.errors import PermanentError, SlushaError
from slusha.plugins.api import (
    Connector,
    Cursor,
    FetchResult,
    HealthReport,
    PluginConfig,
    PluginContext,
)

HITS_PER_PAGE = 100
MAX_RECENT = 300
RECHECK_PER_POLL = 10
TAGS = {"all": "(story,comment)", "stories": "story", "comments": "comment"}


class HackerNewsConfig(PluginConfig):
    """What to look for on Hacker News."""

    query: str = Field(description="Search terms (Algolia full-text search over stories/comments).")
    items: Literal["all", "stories", "comments"] = Field(
        "all", description="Stories, comments, or both."
    )
    algolia_url: str = Field("https://hn.algolia.com", description="Algolia HN Search API base.")
    firebase_url: str = Field(
        "https://hacker-news.firebaseio.com", description="Official HN API (Firebase) base."
    )


class HackerNewsConnector(Connector):
    """Hacker News stories and comments."""

    kind = "hackernews"
    title = "Hacker News"
    summary = "Stories and comments matching a query, via Algolia search by date."
    description = (
        "Polls Algolia's `search_by_date` for the query, paging from the newest hit back to "
        "the last one seen (cursor: the newest `created_at_i` and the ids at that second). A "
        "few recently seen items are re-read from the official Firebase API each poll so that "
        "deleted or killed items are reported. Hacker News has no API for posting: no replies."
    )
    Config = HackerNewsConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll", "search"})
    default_interval_seconds = 300

    async def fetch(
        self, ctx: PluginContext, config: HackerNewsConfig, cursor: Cursor | None
    ) -> FetchResult:
        """Hits newer than the cursor (oldest first), and deletions among recent items."""
        cursor = dict(cursor or {})
        since = cursor.get("since")
        at_since = set(cursor.get("at_since") or [])
        hits: list[dict[str, Any]] = []
        pages = 1 if since is None else ctx.limits.max_pages_per_fetch
        for page in range(pages):
            data = await client.search_by_date(
                ctx.http, config.algolia_url, query=config.query, tags=TAGS[config.items],
                after_epoch=since, page=page, hits_per_page=HITS_PER_PAGE,
            )  # fmt: skip
            batch = data.get("hits")
            if not isinstance(batch, list):
                raise PermanentError("Algolia sent no 'hits' list", code="parse")
            hits += [h for h in batch if isinstance(h, dict)]
            if len(batch) < HITS_PER_PAGE or page + 1 >= int(data.get("nbPages") or 0):
                break
        posts: dict[str, Post] = {}
        for hit in hits:
            try:
                post = parse.hit_to_post(hit)
            except PermanentError:
                continue
            # ``>=`` repeats the newest second; the ids seen at that second are skipped.
            if post.id in at_since or (since is not None and post.created_at.timestamp() < since):
                continue
            posts.setdefault(post.id, post)
        ordered = sorted(posts.values(), key=lambda p: (p.created_at, int(p.id) if p.id.isdigit()
                                                        else 0))  # fmt: skip
        recent: list[str] = list(cursor.get("recent") or [])
        deleted = await self._deleted(ctx, config, recent, cursor)
        recent = [r for r in recent if r not in deleted] + [p.id for p in ordered]
        if ordered:
            newest = int(ordered[-1].created_at.timestamp())
            at_newest = [p.id for p in ordered if int(p.created_at.timestamp()) == newest]
            if newest == since:
                at_newest = sorted(at_since | set(at_newest))
            cursor.update(since=newest, at_since=at_newest)
        elif since is None:
            cursor["since"] = int(ctx.clock.now().timestamp())
        cursor["recent"] = recent[-MAX_RECENT:]
        return FetchResult(posts=ordered, cursor=cursor, deleted_ids=deleted)

    async def _deleted(
        self, ctx: PluginContext, config: HackerNewsConfig, recent: list[str], cursor: Cursor
    ) -> list[str]:
        if not recent:
            return []
        # Re-read a few recent items per poll, round robin, through the official API.
        start = int(cursor.get("recheck_at") or 0) % len(recent)
        chosen = (recent[start:] + recent[:start])[:RECHECK_PER_POLL]
        cursor["recheck_at"] = start + len(chosen)
        deleted = []
        for item_id in chosen:
            try:
                item = await client.get_item(ctx.http, config.firebase_url, item_id)
            except SlushaError:
                continue  # a failed re-check must not cost the new posts; next round retries
            if parse.is_gone(item):
                deleted.append(item_id)
        return deleted

    async def search(
        self,
        ctx: PluginContext,
        config: HackerNewsConfig,
        terms: Sequence[str],
        since: datetime | None,
        limit: int,
    ) -> list[Post]:
        """Recent hits for each term, newest first."""
        found: dict[str, Post] = {}
        after = int(since.timestamp()) if since else None
        for term in terms:
            page = 0
            while len(found) < limit:
                data = await client.search_by_date(
                    ctx.http, config.algolia_url, query=term, tags=TAGS[config.items],
                    after_epoch=after, page=page, hits_per_page=HITS_PER_PAGE,
                )  # fmt: skip
                hits = data.get("hits") or []
                for hit in hits:
                    try:
                        post = parse.hit_to_post(hit)
                    except PermanentError:
                        continue
                    found.setdefault(post.id, post)
                page += 1
                if len(hits) < HITS_PER_PAGE or page >= int(data.get("nbPages") or 0):
                    break
        return sorted(found.values(), key=lambda p: p.created_at, reverse=True)[:limit]

    async def test(self, ctx: PluginContext, config: HackerNewsConfig) -> HealthReport:
        """Run the query once."""
        try:
            data = await client.search_by_date(
                ctx.http, config.algolia_url, query=config.query, tags=TAGS[config.items],
                after_epoch=None, page=0, hits_per_page=1,
            )  # fmt: skip
        except SlushaError as exc:
            return HealthReport(ok=False, message=str(exc), code=exc.code)
        return HealthReport(ok=True, message=f"{data.get('nbHits', 0)} hits for the query")
