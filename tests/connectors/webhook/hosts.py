"""What the ingest route tests run with: a plugin host over the built-in connectors (no
network), and a stand-in for the pipeline that takes the posts or is busy."""

from __future__ import annotations

from collections.abc import Iterable

from slusha.clock import Clock
from slusha.config import load_settings
from slusha.domain.post import Post
from slusha.errors import TransientError
from slusha.plugins.host import PluginHost
from slusha.plugins.registry import build_registry
from slusha.web.api.ingest import IngestSummary


def ingest_host(clock: Clock, extra_connectors: Iterable[type] = ()) -> PluginHost:
    """A host over the built-in connectors (and ``extra_connectors``)."""
    registry = build_registry(include_entry_points=False, extra_connectors=extra_connectors)
    return PluginHost(settings=load_settings(environ={}), clock=clock, registry=registry)


class BusyableReceiver:
    """The ``submit`` callable: keeps the posts, or refuses them (not stored) when ``busy``."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.busy = False

    async def __call__(
        self, posts: list[Post], *, source_id: int, source_language: str | None = None
    ) -> IngestSummary:
        if self.busy:
            raise TransientError("the pipeline has not stored 2 of 2 posts", code="bus_busy")
        self.posts.extend(posts)
        return IngestSummary(accepted=len(posts))
