"""HTTP calls of the RSS connector: a conditional GET of a feed, within the feed size cap."""

from __future__ import annotations

from collections.abc import Mapping

from slusha.plugins.net import HttpClient, HttpResponse

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
)


async def get_feed(
    http: HttpClient, url: str, *, validators: Mapping[str, str] | None = None
) -> HttpResponse:
    """GET a feed (or the page that announces it); 304 when the validators still match."""
    return await http.request(
        "GET",
        url,
        headers={"Accept": ACCEPT},
        validators=validators,
        max_bytes=http.limits.max_feed_bytes,
    )
