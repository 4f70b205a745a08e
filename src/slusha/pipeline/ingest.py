"""Putting raw posts on the bus (connectors, the webhook and ``import --enqueue``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slusha.bus.base import Bus
from slusha.bus.messages import SUBJECT_POSTS, post_message, post_msg_id
from slusha.domain.post import Post


async def submit_posts(
    bus: Bus, posts: Sequence[Post | dict[str, Any]], *, source_id: int | None = None
) -> None:
    """Publish raw posts for the workers; returns once the bus holds them all."""
    if posts:
        await bus.publish_many(
            SUBJECT_POSTS,
            [(post_message(p, source_id=source_id), post_msg_id(p)) for p in posts],
        )
