"""Test plugins, registered through the real registry (never patched into Slusha)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field

from slusha.domain.post import Post
from slusha.errors import SlushaError
from slusha.plugins.api import (
    Connector,
    Cursor,
    FetchResult,
    PluginConfig,
    PluginContext,
    StreamBatch,
)


@dataclass
class Script:
    """What a scripted source does, step by step (shared by name with the test)."""

    fetches: list[FetchResult | SlushaError] = field(default_factory=list)
    stream_batches: list[list[StreamBatch | SlushaError]] = field(default_factory=list)
    cursors_seen: list[Cursor | None] = field(default_factory=list)


SCRIPTS: dict[str, Script] = {}


def make_post(post_id: str, text: str = "hello", network: str = "import") -> Post:
    """A post for scripted results."""
    return Post(network=network, id=post_id, text=text,
                created_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC))  # fmt: skip


class ScriptedConfig(PluginConfig):
    """Which script to play."""

    script: str = Field(description="Name of the script in tests.support.plugins.SCRIPTS.")
    streaming: bool = Field(False, description="Run as a stream instead of polling.")


class ScriptedConnector(Connector):
    """Plays back results a test scripted."""

    kind = "scripted"
    title = "Scripted (tests)"
    summary = "Plays back scripted fetch results."
    description = "A test connector."
    Config = ScriptedConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll", "stream", "search"})
    default_interval_seconds = 60
    network = "import"

    def uses_stream(self, config: Any) -> bool:
        return bool(config.streaming)

    async def fetch(self, ctx: PluginContext, config: Any, cursor: Cursor | None) -> FetchResult:
        script = SCRIPTS[config.script]
        script.cursors_seen.append(cursor)
        step = script.fetches.pop(0) if len(script.fetches) > 1 else script.fetches[0]
        if isinstance(step, SlushaError):
            raise step
        return step

    async def stream(
        self, ctx: PluginContext, config: Any, cursor: Cursor | None
    ) -> AsyncGenerator[StreamBatch, None]:
        script = SCRIPTS[config.script]
        script.cursors_seen.append(cursor)
        batches = script.stream_batches.pop(0) if script.stream_batches else []
        for item in batches:
            if isinstance(item, SlushaError):
                raise item
            yield item

    async def search(
        self, ctx: PluginContext, config: Any, terms: Sequence[str], since: Any, limit: int
    ) -> list[Post]:
        return [make_post(f"search-{term}-{n}") for term in terms for n in range(limit + 5)]
