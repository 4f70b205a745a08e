"""The RSS/Atom/JSON Feed connector: polls one feed with conditional GET."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from slusha.connectors.rss import client, parse
from slusha.connectors.rss.opml import parse_opml as _parse_opml
from slusha.errors import PermanentError, SlushaError
from slusha.plugins.api import (
    Connector,
    Cursor,
    FetchResult,
    HealthReport,
    PluginConfig,
    PluginContext,
)

MAX_SEEN = 2000


class RssConfig(PluginConfig):
    """Settings of one RSS/Atom/JSON feed source."""

    url: str = Field(
        description=(
            "Address of the feed (RSS, Atom or JSON Feed), or of a web page that announces "
            'one with <link rel="alternate">.'
        )
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class RssConnector(Connector):
    """Blogs and news: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, RDF and JSON Feed."""

    kind = "rss"
    title = "RSS / Atom / JSON Feed"
    summary = "Blogs and news sites through their feeds."
    description = (
        "Polls a feed by URL with conditional GET (ETag, Last-Modified) and honours the feed's "
        "`<ttl>` and `Cache-Control: max-age`. Give a site's home page and the feed it "
        "announces is found. Entries become posts of kind `article`: text reduced from HTML, "
        "the sanitised HTML kept. Edited entries are picked up again; many feeds can be "
        "imported at once from an OPML file."
    )
    Config = RssConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll"})
    default_interval_seconds = 900
    # OPML (a list of feeds) belongs to this plugin; services reach it through the registry.
    parse_opml = staticmethod(_parse_opml)

    async def _download(
        self, ctx: PluginContext, url: str, validators: dict[str, str] | None
    ) -> tuple[str, Any, parse.ParsedFeed | None]:
        response = await client.get_feed(ctx.http, url, validators=validators)
        if response.is_not_modified:
            return url, response, None
        parsed = parse.parse_feed(
            response.content,
            feed_url=response.url,
            fetched_at=ctx.clock.now(),
            content_type=response.headers.get("content-type"),
        )
        return response.url, response, parsed

    async def fetch(
        self, ctx: PluginContext, config: RssConfig, cursor: Cursor | None
    ) -> FetchResult:
        """Poll the feed once; only new and edited entries come back."""
        cursor = dict(cursor or {})
        if cursor.get("url") != config.url:
            cursor = {"url": config.url}  # the source now points elsewhere: start afresh
        feed_url = cursor.get("feed_url") or config.url
        validators = {k: cursor[k] for k in ("etag", "last_modified") if cursor.get(k)}
        final_url, response, parsed = await self._download(ctx, feed_url, validators)
        if parsed is not None and parsed.is_html:
            if not parsed.feed_links:
                raise PermanentError(
                    f"{feed_url} is a web page that announces no feed "
                    '(no <link rel="alternate" type="application/rss+xml">)',
                    code="parse",
                )
            final_url, response, parsed = await self._download(ctx, parsed.feed_links[0], None)
            if parsed is not None and parsed.is_html:
                raise PermanentError(f"{final_url} is a web page, not a feed", code="parse")
        hint = response.max_age_seconds
        if parsed is None:
            return FetchResult(posts=[], cursor=cursor, next_check_seconds=hint)
        if parsed.neutralised_entities:
            ctx.logger.warning(
                "feed declared XML entities; its DOCTYPE was removed",
                extra={"source": ctx.source_name, "url": final_url},
            )
        seen: dict[str, str] = dict(cursor.get("seen") or {})
        fresh = []
        current: dict[str, str] = {}
        for post in parsed.posts:
            print_ = parse.fingerprint(post)
            if post.id in current:
                continue  # the same entry twice in one document
            current[post.id] = print_
            if seen.get(post.id) != print_:
                fresh.append(post)
        fresh.sort(key=lambda p: p.created_at)
        new_cursor: Cursor = {
            "url": config.url,
            "feed_url": final_url if final_url != config.url else None,
            **response.validators(),
            "seen": dict(list(current.items())[:MAX_SEEN]),
        }
        new_cursor = {k: v for k, v in new_cursor.items() if v is not None}
        hints = [h for h in (parsed.ttl_seconds, hint) if h]
        return FetchResult(
            posts=fresh, cursor=new_cursor, next_check_seconds=max(hints) if hints else None
        )

    async def test(self, ctx: PluginContext, config: RssConfig) -> HealthReport:
        """Fetch the feed once and report how many entries it has."""
        try:
            result = await self.fetch(ctx, config, None)
        except SlushaError as exc:
            return HealthReport(ok=False, message=str(exc), code=exc.code)
        feed_url = result.cursor.get("feed_url") or config.url
        return HealthReport(
            ok=True,
            message=f"{feed_url}: {len(result.posts)} entries",
            details={"feed_url": feed_url, "entries": len(result.posts)},
        )
